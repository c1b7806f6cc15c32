import ArgumentParser
import SystemPackage
import XenMigration

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension VerifyFormat: ExpressibleByArgument {}

/// `verify-stream-v2`: a drop-in for Xen's verifier, for v2 and v3 streams.
public struct VerifyCommand: ToolCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verify-stream-v2",
        abstract: "Verify a Xen migration stream (libxc v2 or v3, libxl, or an xl save file).",
        usage: "verify-stream-v2 [options]",
        discussion: "Exit status: 0 valid; 1 a stream or record error; 2 an internal error or an input that cannot be opened."
    )

    @Option(name: [.customShort("i"), .customLong("in")], help: ArgumentHelp("Stream to verify (default: standard input).", valueName: "FD or FILE"))
    var input: String = "0"

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Summarise the stream's contents.")
    var verbose = false

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing at all; report by exit status only.")
    var quiet = false

    @Option(name: [.customShort("f"), .customLong("format")], help: ArgumentHelp("Format of the stream: libxc (default), libxl or xl.", valueName: "libxc|libxl|xl"))
    var format: VerifyFormat = .libxc

    @Flag(name: .customLong("syslog"), help: "Send messages to syslog instead of the terminal.")
    var syslog = false

    @Argument(help: .hidden)
    var ignored: [String] = []

    public init() {}

    public static let compat = OptParseCompat(specs: [
        .init(long: "in", short: "i", takesValue: true),
        .init(long: "verbose", short: "v", takesValue: false),
        .init(long: "quiet", short: "q", takesValue: false),
        .init(long: "format", short: "f", takesValue: true),
        .init(long: "syslog", short: nil, takesValue: false),
        .init(long: "help", short: "h", takesValue: false),
    ])

    public func execute() -> Int32 {
        let console = Console(verbose: verbose, quiet: quiet, syslogIdent: syslog ? "verify-stream-v2" : nil)
        let fd: FileDescriptor
        do {
            fd = try Endpoint.openInput(input)
        } catch {
            console.error(error.message)
            return 2
        }
        let reader = StreamReader(FileDescriptorSource(fd))
        do {
            try StreamVerifier.verify(reader: reader, format: format, allowZeroCopy: Endpoint.allowZeroCopy,
                                      verbose: console.infoSink)
        } catch {
            console.error("Stream Error: " + error.description)
            return 1
        }
        return 0
    }
}
