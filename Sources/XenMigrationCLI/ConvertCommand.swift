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

enum WidthChoice: String, ExpressibleByArgument, CaseIterable {
    case bits32 = "32", bits64 = "64", auto
    var width: ToolstackWidth? { self == .bits32 ? .bits32 : self == .bits64 ? .bits64 : nil }
}

enum GuestChoice: String, ExpressibleByArgument, CaseIterable {
    case pv, hvm, auto
    var guest: GuestType? { self == .pv ? .pv : self == .hvm ? .hvm : nil }
}

extension OutputFormat: ExpressibleByArgument {}

enum StreamVersionChoice: String, ExpressibleByArgument, CaseIterable {
    case v2 = "2", v3 = "3"
}

/// `convert-legacy-stream`: a drop-in for Xen's converter of the same name.
public struct ConvertCommand: ToolCommand {
    public static let configuration = CommandConfiguration(
        commandName: "convert-legacy-stream",
        abstract: "Convert a legacy Xen save/migration stream (Xen 4.5 and older) to a v2 or v3 stream.",
        usage: "convert-legacy-stream [options] -i INPUT -o OUTPUT -w WIDTH -g GUEST",
        discussion: """
            INPUT and OUTPUT are a path, an already-open descriptor number, or - for \
            standard input/output. Exit status: 0 converted; 1 bad or truncated stream, \
            or an input/output failure; 2 a stream feature that is not converted \
            (tmem, Remus compression, unknown device model signature).
            """,
        version: "1"
    )

    @Option(name: [.customShort("i"), .customLong("in")], help: ArgumentHelp("Legacy stream to convert.", valueName: "FD or FILE"))
    var input: String?

    @Option(name: [.customShort("o"), .customLong("out")], help: ArgumentHelp("Where to write the converted stream.", valueName: "FD or FILE"))
    var output: String?

    @Option(name: [.customShort("w"), .customLong("width")], help: ArgumentHelp("Bitness of the toolstack that wrote the stream: 32, 64 or auto.", valueName: "32/64/auto"))
    var width: WidthChoice?

    @Option(name: [.customShort("g"), .customLong("guest-type")], help: ArgumentHelp("Guest type in the stream: pv, hvm or auto.", valueName: "pv/hvm/auto"))
    var guestType: GuestChoice?

    @Option(name: [.customShort("f"), .customLong("format")], help: ArgumentHelp("Stream to write: libxc (default) or libxl.", valueName: "libxc|libxl"))
    var format: OutputFormat = .libxc

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Summarise the stream's contents on standard output.")
    var verbose = false

    @Flag(name: [.customShort("x"), .customLong("xl")], help: "The stream starts with an xl save header.")
    var xl = false

    @Flag(name: .customLong("skip-qemu"), help: "With libxc output, do not read or copy the device model record.")
    var skipQemu = false

    @Flag(name: .customLong("syslog"), help: "Send messages to syslog instead of the terminal.")
    var syslog = false

    @Option(name: .customLong("stream-version"), help: ArgumentHelp("libxc stream version to write: 2 (default) or 3 (Xen 4.14 and later).", valueName: "2|3"))
    var streamVersion: StreamVersionChoice = .v2

    @Flag(name: .customLong("auto"), help: "Detect the toolstack width, the guest type and an xl header.")
    var auto = false

    @Flag(name: .customLong("progress"), help: "Show a live progress line on standard error.")
    var progress = false

    @Option(name: .customLong("report"), help: ArgumentHelp("Write a JSON report of the conversion to FILE.", valueName: "FILE"))
    var report: String?

    @Flag(name: .customLong("dry-run"), help: "Read and check the whole stream; write no output (-o not needed).")
    var dryRun = false

    @Argument(help: .hidden)
    var ignored: [String] = []

    public init() {}

    public static let compat = OptParseCompat(specs: [
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
        .init(long: "version", short: nil, takesValue: false),
        .init(long: "help", short: "h", takesValue: false),
    ])

    public func execute() -> Int32 {
        let needOutput = !dryRun
        let widthKnown = width != nil || auto
        let guestKnown = guestType != nil || auto
        guard input != nil, output != nil || !needOutput, widthKnown, guestKnown else {
            Console.write(ConvertCommand.helpMessage() + "\n", to: .standardError)
            return 1
        }
        let console = Console(verbose: verbose, syslogIdent: syslog ? "convert-legacy-stream" : nil)

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
        target?.removeOnSignals()

        let options = conversionOptions

        let reader = StreamReader(FileDescriptorSource(inputFD))
        let sink: any ByteSink = target.map { FileDescriptorSink($0.descriptor) } ?? NullSink()
        if let target { Pipes.enlarge(target.descriptor) }
        let writer = StreamWriter(sink)
        let meter = progress ? ProgressMeter(total: Endpoint.regularFileSize(inputFD)) : nil
        let converter = LegacyConverter(
            options: options, reader: reader, writer: writer, allowZeroCopy: Endpoint.allowZeroCopy,
            verbose: console.infoSink,
            progress: meter.map { meter in { bytes, pages in meter.update(bytesRead: bytes, pages: pages) } })

        let started = ProgressMeter.now()
        let result: ConversionReport
        do {
            result = try converter.run()
        } catch {
            meter?.finish(bytesRead: reader.offset, pages: nil)
            console.error((error.kind == .unsupported ? "Script Error: " : "Stream Error: ") + error.description)
            target?.abandon()
            return error.exitStatus
        }
        meter?.finish(bytesRead: reader.offset, pages: nil)
        do {
            try target?.commit()
        } catch {
            console.error("Stream Error: \(error.message)")
            return 1
        }
        if let report {
            let document = ReportDocument(result, seconds: ProgressMeter.now() - started)
            do {
                try ReportFile.write(document, to: report)
            } catch {
                console.error("Unable to write report '\(report)': \(error)")
                return 1
            }
        }
        return 0
    }
}
