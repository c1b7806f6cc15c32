import SystemPackage
import XenMigration

/// `verify-stream-v2`: a drop-in for Xen's verifier, for v2 and v3 streams.
public struct VerifyCommand: ToolCommand {
    static let name = "verify-stream-v2"
    static let usage = "Usage: verify-stream-v2 [options]"
    static let help = """
        Verify a Xen migration stream: a libxc stream of version 2 or 3, a libxl
        stream, or a file written by xl save.

        Options:
          -i, --in FD|FILE        stream to verify: a path, an open descriptor number,
                                  or - (default: standard input)
          -f, --format libxc|libxl|xl
                                  what the stream is (default: libxc)
          -v, --verbose           summarise the stream's contents on standard output
          -q, --quiet             print nothing; report by exit status only
          --syslog                send messages to syslog instead of the terminal
          --no-sandbox            do not confine the process with seccomp once the
                                  input is open (also: XEN_STREAM_NO_SANDBOX=1)
          --version               print the version and exit
          -h, --help              print this help and exit

        Exit status: 0 valid; 1 a stream or record error; 2 an internal error, an
        input that cannot be opened, an unknown option or an invalid option value.
        A usage error prints one line saying what is wrong, then the usage line.

        """

    var input = "0"
    var verbose = false
    var quiet = false
    var format: VerifyFormat = .libxc
    var syslog = false
    var noSandbox = false

    init() {}

    static let compat = OptParseCompat(specs: [
        .init(long: "in", short: "i", takesValue: true),
        .init(long: "verbose", short: "v", takesValue: false),
        .init(long: "quiet", short: "q", takesValue: false),
        .init(long: "format", short: "f", takesValue: true),
        .init(long: "syslog", short: nil, takesValue: false),
        .init(long: "no-sandbox", short: nil, takesValue: false),
        // Xen's verifier has no --version: in full only, so that --v and
        // --ver still mean --verbose.
        .init(long: "version", short: nil, takesValue: false, exactOnly: true),
        .init(long: "help", short: "h", takesValue: false),
    ])

    mutating func take(_ option: OptParseCompat.Given) throws(UsageError) {
        switch option.long {
        case "in": input = option.value ?? input
        case "verbose": verbose = true
        case "quiet": quiet = true
        case "format": format = try option.choice(["libxc": .libxc, "libxl": .libxl, "xl": .xl])
        case "syslog": syslog = true
        case "no-sandbox": noSandbox = true
        default: throw UsageError("no such option: \(option.name)")
        }
    }

    func validate() throws(UsageError) {}

    func execute() -> Int32 {
        let console = Console(verbose: verbose, quiet: quiet, syslogIdent: syslog ? "verify-stream-v2" : nil)
        let fd: FileDescriptor
        do {
            fd = try Endpoint.openInput(input)
        } catch {
            console.error(error.message)
            return 2
        }
        let reader = StreamReader(FileDescriptorSource(fd))
        Sandbox.prepare()
        guard Sandbox.confine(disabled: noSandbox, console: console) else { return 2 }
        do {
            try StreamVerifier.verify(
                reader: reader, format: format, allowZeroCopy: Endpoint.allowZeroCopy,
                verbose: console.infoSink)
        } catch {
            let shown = Diagnosis.verification(error, head: reader.head(), format: format) ?? error
            console.error("Stream Error: " + shown.description)
            return 1
        }
        return 0
    }
}
