import SystemPackage
import XenMigration

enum WidthChoice {
    case bits32, bits64, auto
    var width: ToolstackWidth? { self == .bits32 ? .bits32 : self == .bits64 ? .bits64 : nil }
}

enum GuestChoice {
    case pv, hvm, auto
    var guest: GuestType? { self == .pv ? .pv : self == .hvm ? .hvm : nil }
}

/// `convert-legacy-stream`: a drop-in for Xen's converter of the same name.
public struct ConvertCommand: ToolCommand {
    static let name = "convert-legacy-stream"
    static let usage = "Usage: convert-legacy-stream [options] -i INPUT -o OUTPUT -w WIDTH -g GUEST"
    static let help = """
        Convert a legacy Xen save/migration stream (Xen 4.5 and older) to a v2 or v3
        stream. INPUT and OUTPUT are a path, an open descriptor number, or - for
        standard input or output. An `xm save` image (xend, starting with
        LinuxGuestRecord) is recognised by its signature: with -f libxl the output
        gets an xl save header holding its config translated to xl.cfg.

        Options:
          -i, --in FD|FILE        legacy stream to convert (required)
          -o, --out FD|FILE       where to write the converted stream (required unless
                                  --dry-run)
          -w, --width 32|64|auto  bitness of the toolstack that wrote the stream
                                  (required unless --auto)
          -g, --guest-type pv|hvm|auto
                                  guest type in the stream (required unless --auto)
          -f, --format libxc|libxl
                                  stream to write (default: libxc)
          --stream-version 2|3    libxc stream version to write; 3 adds
                                  STATIC_DATA_END, as Xen 4.14 and later (default: 2)
          -x, --xl                the stream starts with an xl save header (not for
                                  an xend image, which has none)
          --skip-qemu             with libxc output, do not read or copy the device
                                  model record
          --auto                  detect the toolstack width, the guest type and an
                                  xl header
          --config-out FILE       after success, write the domain config to FILE (an
                                  xend image's xl.cfg translation, or the config in
                                  an xl save header); also with --dry-run
          --config FILE           for an xend image: put FILE (an xl.cfg, at most
                                  1 MiB) in the xl save header instead of the
                                  translation
          --dry-run               read and check the whole stream, write nothing
          --report FILE           after success, write a JSON report to FILE; - for
                                  standard output (not with -o -)
          --progress              show a progress line on standard error
          -v, --verbose           summarise the stream's contents on standard output
          --syslog                send messages to syslog instead of the terminal
          --no-sandbox            do not confine the process with seccomp once its
                                  files are open (also: XEN_STREAM_NO_SANDBOX=1)
          --version               print the version and exit
          -h, --help              print this help and exit

        Exit status: 0 converted (with --dry-run: checked); 1 a bad or truncated
        stream, an input or output failure, or a missing required option; 2 a stream
        feature that is not converted (tmem, Remus compression, an unknown device
        model signature), an unknown option or an invalid option value. A usage
        error prints one line saying what is wrong, then the usage line.

        """

    var input: String?
    var output: String?
    var width: WidthChoice?
    var guestType: GuestChoice?
    var format: OutputFormat = .libxc
    var verbose = false
    var xl = false
    var skipQemu = false
    var syslog = false
    var streamVersion: UInt32 = 2
    var auto = false
    var progress = false
    var report: String?
    var dryRun = false
    var configOut: String?
    var config: String?
    var noSandbox = false

    init() {}

    static let compat = OptParseCompat(specs: [
        .init(long: "in", short: "i", takesValue: true),
        .init(long: "out", short: "o", takesValue: true),
        .init(long: "width", short: "w", takesValue: true),
        .init(long: "guest-type", short: "g", takesValue: true),
        .init(long: "format", short: "f", takesValue: true),
        .init(long: "verbose", short: "v", takesValue: false),
        .init(long: "xl", short: "x", takesValue: false),
        .init(long: "skip-qemu", short: nil, takesValue: false),
        .init(long: "syslog", short: nil, takesValue: false),
        .init(long: "stream-version", short: nil, takesValue: true),
        .init(long: "auto", short: nil, takesValue: false),
        .init(long: "progress", short: nil, takesValue: false),
        .init(long: "report", short: nil, takesValue: true),
        .init(long: "dry-run", short: nil, takesValue: false),
        .init(long: "config-out", short: nil, takesValue: true),
        .init(long: "config", short: nil, takesValue: true),
        .init(long: "no-sandbox", short: nil, takesValue: false),
        .init(long: "version", short: nil, takesValue: false),
        .init(long: "help", short: "h", takesValue: false),
    ])

    mutating func take(_ option: OptParseCompat.Given) throws(UsageError) {
        switch option.long {
        case "in": input = option.value
        case "out": output = option.value
        case "width": width = try option.choice(["32": .bits32, "64": .bits64, "auto": .auto])
        case "guest-type": guestType = try option.choice(["pv": .pv, "hvm": .hvm, "auto": .auto])
        case "format": format = try option.choice(["libxc": .libxc, "libxl": .libxl])
        case "stream-version": streamVersion = try option.choice(["2": 2, "3": 3])
        case "verbose": verbose = true
        case "xl": xl = true
        case "skip-qemu": skipQemu = true
        case "syslog": syslog = true
        case "auto": auto = true
        case "progress": progress = true
        case "report": report = option.value
        case "dry-run": dryRun = true
        case "config-out": configOut = option.value
        case "config": config = option.value
        case "no-sandbox": noSandbox = true
        default: throw UsageError("no such option: \(option.name)")
        }
    }

    /// What Xen's converter requires (it prints its help and exits 1), and
    /// the one combination that cannot work.
    func validate() throws(UsageError) {
        var missing: [String] = []
        if input == nil { missing.append("-i/--in") }
        if output == nil && !dryRun { missing.append("-o/--out") }
        if width == nil && !auto { missing.append("-w/--width") }
        if guestType == nil && !auto { missing.append("-g/--guest-type") }
        if !missing.isEmpty {
            // -w and -g come last, so the hint follows them.
            let autoHint = (width == nil || guestType == nil) && !auto ? " (or --auto)" : ""
            throw UsageError("missing " + UsageError.listed(missing, "and") + autoHint, status: 1)
        }
        if report == "-" && !dryRun && output.map(Endpoint.isStandardOutput) == true {
            throw UsageError("--report - and -o \(output ?? "-") both write to standard output")
        }
        if configOut == "-" && report == "-" {
            throw UsageError("--config-out - and --report - both write to standard output")
        }
        if configOut == "-" && !dryRun && output.map(Endpoint.isStandardOutput) == true {
            throw UsageError("--config-out - and -o \(output ?? "-") both write to standard output")
        }
    }

    func execute() -> Int32 {
        let needOutput = !dryRun
        let console = Console(verbose: verbose, syslogIdent: syslog ? "convert-legacy-stream" : nil)

        // Set-up: everything the run will open is opened here, before the
        // sandbox (the output or its temporary file, --report, --config-out,
        // --config, syslog's socket); then the stream is read confined.
        SignalCleanup.install()
        let inputFD: FileDescriptor
        let target: OutputTarget?
        do {
            inputFD = try Endpoint.openInput(input ?? "-")
            if needOutput, let output {
                target = try OutputTarget.open(output, input: inputFD)
            } else {
                target = nil
            }
        } catch {
            console.error(error.message)
            return 1
        }

        var options = conversionOptions
        if let config {
            do {
                options.replacementConfig = try ConfigFiles.read(config)
            } catch {
                target?.abandon()
                console.error(error.message)
                return 1
            }
        }
        let reportFile = report.map { SideFile.prepare($0, mode: 0o666) }
        let configFile = configOut.map { SideFile.prepare($0, mode: 0o644) }
        func abandonAll() {
            target?.abandon()
            reportFile?.abandon()
            configFile?.abandon()
        }

        let reader = StreamReader(FileDescriptorSource(inputFD))
        let sink: any ByteSink = target.map { FileDescriptorSink($0.descriptor) } ?? NullSink()
        if let target { Pipes.enlarge(target.descriptor) }
        let writer = StreamWriter(sink)
        let meter = progress ? ProgressMeter(total: Endpoint.regularFileSize(inputFD)) : nil
        let converter = LegacyConverter(
            options: options, reader: reader, writer: writer, allowZeroCopy: Endpoint.allowZeroCopy,
            verbose: console.infoSink,
            progress: meter.map { meter in { bytes, pages in meter.update(bytesRead: bytes, pages: pages) } })

        Sandbox.prepare()
        guard Sandbox.confine(disabled: noSandbox, console: console) else {
            abandonAll()
            return 1
        }
        let started = ProgressMeter.now()
        let result: ConversionReport
        do {
            result = try converter.run()
        } catch {
            meter?.finish(bytesRead: reader.offset, pages: nil)
            abandonAll()
            // Say what the input really is when it is not what the options say.
            let shown =
                Diagnosis.conversion(
                    error, head: reader.head(), imageHead: reader.head(ofImage: true),
                    options: options) ?? error
            console.error((shown.kind == .unsupported ? "Script Error: " : "Stream Error: ") + shown.description)
            return shown.exitStatus
        }
        meter?.finish(bytesRead: reader.offset, pages: nil)
        if configOut != nil && result.configBytes == nil {
            abandonAll()
            console.error(
                "No domain config to write to --config-out: the input is neither an xend image nor an "
                    + "xl save file with a config in its header")
            return 1
        }
        do {
            try target?.commit()
        } catch {
            reportFile?.abandon()
            configFile?.abandon()
            console.error("Stream Error: \(error.message)")
            return 1
        }
        if let configOut, let configFile, let bytes = result.configBytes, let failure = configFile.write(bytes) {
            reportFile?.abandon()
            console.error("Unable to write config '\(configOut)': \(failure)")
            return 1
        }
        if let report, let reportFile {
            let document = ReportDocument(result, seconds: ProgressMeter.now() - started)
            if let failure = reportFile.write(Array(ReportFile.json(document, dryRun: dryRun).utf8)) {
                console.error("Unable to write report '\(report)': \(failure)")
                return 1
            }
        }
        return 0
    }
}
