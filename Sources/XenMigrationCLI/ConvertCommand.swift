import XenMigration

/// `convert-legacy-stream`: a drop-in for Xen's converter of the same name.
package struct ConvertCommand: ToolCommand {
    package enum Option: String, CommandOption {
        case input = "in"
        case output = "out"
        case width
        case guestType = "guest-type"
        case format
        case streamVersion = "stream-version"
        case xl
        case skipQemu = "skip-qemu"
        case auto
        case configOut = "config-out"
        case config
        case dryRun = "dry-run"
        case report
        case progress, verbose, syslog
        case noSandbox = "no-sandbox"
        case version, help

    }

    package static let name = "convert-legacy-stream"
    package static let usage = "Usage: convert-legacy-stream [options] -i INPUT -o OUTPUT -w WIDTH -g GUEST"
    package static let about = """
        Convert a legacy Xen save/migration stream (Xen 4.5 and older) to a v2 or v3
        stream. INPUT and OUTPUT are a path, an open descriptor number, or - for
        standard input or output. An `xm save` image (xend, starting with
        LinuxGuestRecord) is recognised by its signature: with -f libxl the output
        gets an xl save header holding its config translated to xl.cfg.
        """
    package static let exitStatusText = """
        Exit status: 0 converted (with --dry-run: checked); 1 a bad or truncated
        stream, an input or output failure, or a missing required option; 2 a stream
        feature that is not converted (tmem, Remus compression, an unknown device
        model signature), an unknown option or an invalid option value. A usage
        error prints one line saying what is wrong, then the usage line.
        """

    package static func exitStatus(_ kind: ToolFailure.Kind) -> Int32 {
        switch kind {
        case .usage, .unsupported: 2
        case .missingOption, .setUp, .stream, .output: 1
        }
    }

    /// `-v`, `--syslog` and `--no-sandbox`, set by the parser.
    package var common = CommonSettings()
    package var input: String?
    package var output: String?
    package var width: OrAuto<ToolstackWidth>?
    package var guestType: OrAuto<GuestType>?
    package var format: OutputFormat = .libxc
    package var streamVersion: Libxc.StreamVersion = .v2
    package var xl = false
    package var skipQemu = false
    package var auto = false
    package var configOut: String?
    package var config: String?
    package var dryRun = false
    package var report: String?
    package var progress = false

    package init() {}

    /// The converter's own options.
    package mutating func take(_ given: OptParseCompat<Option>.Given) throws(ToolFailure) {
        switch given.option {
        case .input: input = given.text
        case .output: output = given.text
        case .width: width = try given.choice(OrAuto<ToolstackWidth>.self)
        case .guestType: guestType = try given.choice(OrAuto<GuestType>.self)
        case .format: format = try given.choice(OutputFormat.self)
        case .streamVersion: streamVersion = try given.choice(Libxc.StreamVersion.self)
        case .xl: xl = true
        case .skipQemu: skipQemu = true
        case .auto: auto = true
        case .configOut: configOut = given.text
        case .config: config = given.text
        case .dryRun: dryRun = true
        case .report: report = given.text
        case .progress: progress = true
        case .verbose, .syslog, .noSandbox, .version, .help: break  // the parser's
        }
    }

    /// What Xen's converter requires (it prints its help and exits 1), and
    /// the combinations that cannot work.
    package func validate() throws(ToolFailure) {
        var missing: [Option] = []
        if input == nil { missing.append(.input) }
        if output == nil && !dryRun { missing.append(.output) }
        if width == nil && !auto { missing.append(.width) }
        if guestType == nil && !auto { missing.append(.guestType) }
        if !missing.isEmpty {
            // -w and -g come last, so the hint follows them.
            let autoHint = (width == nil || guestType == nil) && !auto ? " (or --auto)" : ""
            throw ToolFailure(.missingOption, "missing " + ToolFailure.listed(missing.map(\.name), "and") + autoHint)
        }
        let outputIsStandard = !dryRun && output.map(Endpoint.isStandardOutput) == true
        if report == "-" && outputIsStandard {
            throw .usage("--report - and -o \(output ?? "-") both write to standard output")
        }
        if configOut == "-" && report == "-" {
            throw .usage("--config-out - and --report - both write to standard output")
        }
        if configOut == "-" && outputIsStandard {
            throw .usage("--config-out - and -o \(output ?? "-") both write to standard output")
        }
    }

    package func makeConsole() -> Console {
        common.console(for: Self.name)
    }

    /// The options this parsed command line asks the converter for.
    package var conversionOptions: ConversionOptions {
        ConversionOptions(
            width: width?.value, guest: guestType?.value, format: format, streamVersion: streamVersion,
            xlHeader: xl ? true : (auto ? nil : false), skipQemu: skipQemu)
    }
}

extension ToolstackWidth: OptionWords {
    package static let words: WordTable = [(.bits32, "32", "32-bit toolstack"), (.bits64, "64", "64-bit toolstack")]
}

extension GuestType: OptionWords {
    package static let words: WordTable = [(.pv, "pv", "paravirtualised guest"), (.hvm, "hvm", "HVM guest")]
}

extension OutputFormat: OptionWords {
    package static let words: WordTable = [
        (.libxc, "libxc", "bare libxc stream (default)"), (.libxl, "libxl", "libxl stream wrapping a libxc one"),
    ]
}

extension Libxc.StreamVersion: OptionWords {
    package static let words: WordTable = [
        (.v2, "2", "read by Xen 4.6 and later (default)"), (.v3, "3", "written by Xen 4.14 and later"),
    ]
}

extension ConvertCommand.Option {
    package var spec: OptionSpec {
        switch self {
        case .input:
            OptionSpec(
                "i", .file(metavar: "FD|FILE"), help: "legacy stream to convert (required)",
                summary: "legacy stream to convert")
        case .output:
            OptionSpec(
                "o", .file(metavar: "FD|FILE"),
                help: "where to write the converted stream (required unless --dry-run)",
                summary: "where to write the converted stream")
        case .width:
            OptionSpec(
                "w", OrAuto<ToolstackWidth>.choices,
                help: "bitness of the toolstack that wrote the stream (required unless --auto)",
                summary: "width of the toolstack that wrote the stream")
        case .guestType:
            OptionSpec(
                "g", OrAuto<GuestType>.choices, help: "guest type in the stream (required unless --auto)",
                summary: "type of the saved guest")
        case .format:
            OptionSpec(
                "f", OutputFormat.choices, help: "stream to write (default: libxc)", summary: "stream to write")
        case .streamVersion:
            OptionSpec(
                nil, Libxc.StreamVersion.choices,
                help: "libxc stream version to write; 3 adds STATIC_DATA_END, as Xen 4.14 and later (default: 2)",
                summary: "libxc stream version to write")
        case .xl:
            OptionSpec(
                "x", help: "the stream starts with an xl save header (not for an xend image, which has none)",
                summary: "the stream starts with an xl save header")
        case .skipQemu:
            OptionSpec(
                help: "with libxc output, do not read or copy the device model record",
                summary: "with libxc output, do not read the device model record")
        case .auto:
            OptionSpec(
                help: "detect the toolstack width, the guest type and an xl header",
                summary: "detect the toolstack width, guest type and xl header")
        case .configOut:
            OptionSpec(
                nil, .file(metavar: "FILE"),
                help: "after success, write the domain config to FILE (an xend image's xl.cfg translation, "
                    + "or the config in an xl save header); also with --dry-run",
                summary: "write the domain config (xl.cfg) after success")
        case .config:
            OptionSpec(
                nil, .file(metavar: "FILE"),
                help: "for an xend image: put FILE (an xl.cfg, at most 1 MiB) in the xl save header "
                    + "instead of the translation",
                summary: "for an xm save image, the xl config to embed")
        case .dryRun:
            OptionSpec(
                help: "read and check the whole stream, write nothing",
                summary: "read and check the whole stream, write nothing")
        case .report:
            OptionSpec(
                nil, .file(metavar: "FILE"),
                help: "after success, write a JSON report to FILE; - for standard output (not with -o -)",
                summary: "write a JSON report of the conversion")
        case .progress:
            OptionSpec(
                help: "show a progress line on standard error", summary: "show a progress line on standard error")
        case .verbose:
            OptionSpec(
                "v", help: "summarise the stream's contents on standard output",
                summary: "describe the stream on standard output")
        case .syslog:
            .syslog
        case .noSandbox:
            OptionSpec(
                help: "do not confine the process with seccomp once its files are open "
                    + "(also: \(Sandbox.disableVariable)=1)",
                summary: "do not confine the process with seccomp")
        case .version:
            OptionSpec(help: "print the version and exit", summary: "print the version and exit")
        case .help:
            .help
        }
    }
}
