import SystemPackage
import XenMigration

/// `verify-stream-v2`: a drop-in for Xen's verifier, for v2 and v3 streams.
package struct VerifyCommand: ToolCommand {
    package enum Option: String, CommandOption {
        case input = "in"
        case format, verbose, quiet, syslog
        case noSandbox = "no-sandbox"
        case version, help

    }

    package static let name = "verify-stream-v2"
    package static let usage = "Usage: verify-stream-v2 [options]"
    package static let about = """
        Verify a Xen migration stream: a libxc stream of version 2 or 3, a libxl
        stream, or a file written by xl save.
        """
    package static let exitStatusText = """
        Exit status: 0 valid; 1 a stream or record error; 2 an internal error, an
        input that cannot be opened, an unknown option or an invalid option value.
        A usage error prints one line saying what is wrong, then the usage line.
        """

    package static func exitStatus(_ kind: ToolFailure.Kind) -> Int32 {
        switch kind {
        case .stream, .unsupported: 1
        case .usage, .missingOption, .setUp, .output: 2
        }
    }

    /// `-v`, `--syslog` and `--no-sandbox`, set by the parser.
    package var common = CommonSettings()
    package var input = "0"
    package var format: VerifyFormat = .libxc
    package var quiet = false

    package init() {}

    /// The verifier's own options.
    package mutating func take(_ given: OptParseCompat<Option>.Given) throws(ToolFailure) {
        switch given.option {
        case .input: input = given.text
        case .format: format = try given.choice(VerifyFormat.self)
        case .quiet: quiet = true
        case .verbose, .syslog, .noSandbox, .version, .help: break  // the parser's
        }
    }

    package func validate() throws(ToolFailure) {}

    package func makeConsole() -> Console {
        common.console(for: Self.name, quiet: quiet)
    }

    /// Open the input, confine, verify.
    package func execute(_ console: Console) throws(ToolFailure) {
        let reader = StreamReader(FileDescriptorSource(try Endpoint.openInput(input)))
        try Sandbox.confine(disabled: common.noSandbox, console: console)
        var head: [UInt8] = []
        do {
            // The first bytes, for a diagnosis of a failure.
            head = try InputKind.head(of: reader)
            try StreamVerifier.verify(
                reader: reader, format: format, allowZeroCopy: Endpoint.allowZeroCopy, verbose: console.infoSink)
        } catch {
            let shown = Diagnosis.verification(error, head: head, format: format) ?? error
            throw ToolFailure(.stream, "Stream Error: " + shown.description)
        }
    }
}

extension VerifyFormat: OptionWords {
    package static let words: WordTable = [
        (.libxc, "libxc", "libxc stream (default)"), (.libxl, "libxl", "libxl stream"),
        (.xl, "xl", "file written by xl save"),
    ]
}

extension VerifyCommand.Option {
    package var spec: OptionSpec {
        switch self {
        case .input:
            OptionSpec(
                "i", .file(metavar: "FD|FILE"),
                help: "stream to verify: a path, an open descriptor number, or - (default: standard input)",
                summary: "stream to check (default: standard input)")
        case .format:
            OptionSpec(
                "f", VerifyFormat.choices, help: "what the stream is (default: libxc)",
                summary: "format of the stream")
        case .verbose:
            OptionSpec(
                "v", help: "summarise the stream's contents on standard output",
                summary: "describe every record on standard output")
        case .quiet:
            OptionSpec(
                "q", help: "print nothing; report by exit status only",
                summary: "print nothing; report by exit status only")
        case .syslog:
            .syslog
        case .noSandbox:
            OptionSpec(
                help: "do not confine the process with seccomp once the input is open "
                    + "(also: \(Sandbox.disableVariable)=1)",
                summary: "do not confine the process with seccomp")
        case .version:
            // Xen's verifier has no --version: in full only, so that --v
            // and --ver still mean --verbose.
            OptionSpec(help: "print the version and exit", summary: "print the version and exit", exactOnly: true)
        case .help:
            .help
        }
    }
}
