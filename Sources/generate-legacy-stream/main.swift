import ArgumentParser
import SystemPackage
import XenLegacyGenerator
import XenMigration

struct GenerateLegacyStream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-legacy-stream",
        abstract: "Write a legacy (Xen 4.5 and older) save image, and optionally what converting it must give.",
        discussion: """
            Without --random: a big, realistic image of --pages pages in batches of --batch, written in \
            constant memory (for benchmarks). HVM images carry the usual HVM-param chunks, a libxl \
            toolstack chunk and a DeviceModelRecord0002 record; PV images extended info, a p2m frame \
            list, pinned pagetables and per-vcpu contexts.

            With --random SEED: a small random image covering every legacy feature (and, with \
            probability --fault-rate, one planted fault).

            With --xend PRESET: an image as xend's `xm save` wrote it: "LinuxGuestRecord", the \
            domain's configuration as an S-expression (a realistic running domain of that preset), \
            then a legacy stream of --width, --pages and --seed (HVM: ending in a QemuDeviceModelRecord).

            --expected FILE also writes the exact stream a correct `convert-legacy-stream` produces \
            with --format/--stream-version/--skip-qemu (and -x when the image has an xl header), built \
            independently of the converter. When conversion must fail, FILE is left empty; --summary \
            tells the expected exit status.

            Examples:
              generate-legacy-stream --guest hvm --pages 262144 --batch 1024 -o hvm-1g.legacy
              generate-legacy-stream --random 7 -o in.legacy --expected out.v2 --format libxl --summary
              generate-legacy-stream --xend hvm-windows --width 32 -o win.xm-save

            With --from-saved FILE: the legacy image a saved v2/v3 stream (an `xl save` file, a libxl \
            or a libxc stream, e.g. from Xen 4.17) would have been on Xen 4.5 or older (toolstack of \
            --width), PV or HVM, behind --front: xl-json (Xen 4.5's xl: the input's JSON config, or \
            --config), xl-text (Xen 4.4's xl: xl.cfg text from --config), none, or xend (xm save: \
            --config's SXP, or a minimal one). Records with no legacy equivalent are dropped and \
            named on stderr; what a legacy image cannot hold is refused (exit 2) with its offset.
              generate-legacy-stream --from-saved guest.save --front xl-json -o guest-legacy.save
            """)

    @Option(help: ArgumentHelp("Toolstack width: 32 or 64.", valueName: "32|64"))
    var width: ToolstackWidth = .bits64

    @Option(help: ArgumentHelp("Guest type.", valueName: "pv|hvm"))
    var guest: GuestType = .hvm

    @Option(help: "Number of pages (4 KiB each).")
    var pages: UInt64 = 256

    @Option(help: "Pages per batch, 1 to 1024 (the last batch may be shorter).")
    var batch: Int = 1024

    @Flag(help: "Put an `xl save` header (with a JSON config) in front of the image.")
    var xl = false

    @Option(help: "Seed of all generated contents.")
    var seed: UInt64 = 1

    @Option(help: "Online vcpus (ids 0 to N-1, at most 4096).")
    var vcpus: Int = 1

    @Option(name: .customLong("guest-width"), help: ArgumentHelp("PV guest width.", valueName: "32|64"))
    var guestWidth: ToolstackWidth = .bits64

    @Flag(help: "PV: add extended (128-byte) and xsave (0x340-byte) contexts to every vcpu.")
    var xsave = false

    @Option(
        help: ArgumentHelp(
            "Page contents: random bytes, or a cheap stamp (pfn and seed, then zeros).",
            valueName: "random|stamp"))
    var fill: PageFill = .random

    @Option(
        name: [.short, .customLong("output")], help: ArgumentHelp("Where the legacy image goes.", valueName: "FILE|-"))
    var output: String = "-"

    @Option(help: ArgumentHelp("Write a small random image made from SEED instead.", valueName: "SEED"))
    var random: UInt64?

    @Option(
        help: ArgumentHelp(
            "Write an xend (xm save) image of this preset domain instead.",
            valueName: "pv-kernel|pv-pygrub|hvm-windows|hvm-linux"))
    var xend: XendPreset?

    @Option(name: .customLong("fault-rate"), help: "With --random: probability of planting one fault.")
    var faultRate: Double = 0.15

    @Option(help: ArgumentHelp("Also write the expected converted stream.", valueName: "FILE|-"))
    var expected: String?

    @Option(help: ArgumentHelp("Format of the expected stream.", valueName: "libxc|libxl"))
    var format: OutputFormat = .libxc

    @Option(
        name: .customLong("stream-version"), help: ArgumentHelp("Version of the expected stream.", valueName: "2|3"))
    var streamVersion: Libxc.StreamVersion = .v2

    @Flag(name: .customLong("skip-qemu"), help: "The expected stream is for --skip-qemu.")
    var skipQemu = false

    @Flag(help: "Print one line to stderr: width=, guest=, xl=, status= (expected exit status), bytes.")
    var summary = false

    @Option(
        name: .customLong("from-saved"),
        help: ArgumentHelp("Turn this saved v2/v3 stream back into a legacy image.", valueName: "FILE|-"))
    var fromSaved: String?

    @Option(
        help: ArgumentHelp(
            "With --from-saved: what precedes the legacy stream.", valueName: "xl-json|xl-text|none|xend"))
    var front: LegacyFront = .xlJSON

    @Option(
        help: ArgumentHelp(
            "With --from-saved: the config for the front (JSON, xl.cfg text or SXP).", valueName: "FILE"))
    var config: String?

    @Option(
        name: .customLong("hvm-p2m-size"),
        help: ArgumentHelp("With --from-saved: an HVM image's p2m_size (default: highest pfn + 1).", valueName: "N"))
    var hvmP2MSize: UInt64?

    @Flag(help: "With --from-saved: name every dropped record and param on stderr.")
    var verbose = false

    func validate() throws {
        guard (1...1024).contains(batch) else { throw ValidationError("--batch must be 1 to 1024") }
        guard (0...4096).contains(vcpus) else { throw ValidationError("--vcpus must be 0 to 4096") }
        if fromSaved != nil {
            guard random == nil && xend == nil && expected == nil else {
                throw ValidationError("--from-saved cannot be combined with --random, --xend or --expected")
            }
        }
        if xend != nil {
            guard random == nil && !xl && expected == nil else {
                throw ValidationError("--xend cannot be combined with --random, --xl or --expected")
            }
        }
        if expected != nil && expected == output && output == "-" {
            throw ValidationError("the image and the expected stream cannot both go to stdout")
        }
    }

    func run() throws {
        if let fromSaved {
            return try runFromSaved(fromSaved)
        }
        if let preset = xend {
            let image = XendImage.preset(preset, width: width, seed: seed, pages: pages)
            let fd = try openOutput(output)
            let counter = CountingSink(FileDescriptorSink(fd))
            try image.write(to: counter)
            if fd != .standardOutput { try? fd.close() }
            if summary {
                StandardError.write(
                    "width=\(width.rawValue) guest=\(preset.guest.rawValue) xend=\(preset.rawValue)"
                        + " config_bytes=\(image.config.count) legacy_bytes=\(counter.count)\n")
            }
            return
        }
        let image: LegacyImage
        if let random {
            image = LegacyImage.random(seed: random, faultRate: faultRate)
        } else {
            image = LegacyImage.large(
                LargeImageSpec(
                    width: width, guest: guest, pages: pages, batchSize: batch, xl: xl, seed: seed, vcpus: vcpus,
                    fill: fill, guestWidth: guestWidth.rawValue / 8, xsave: xsave))
        }
        let settings = ConversionSettings(format: format, streamVersion: streamVersion.rawValue, skipQemu: skipQemu)

        let legacyFD = try openOutput(output)
        let legacySink = FileDescriptorSink(legacyFD)
        let legacyCounter = Emitter(sink: legacySink)
        try image.write(to: legacyCounter)
        try legacyCounter.flush()
        if legacyFD != .standardOutput { try? legacyFD.close() }

        var failure: ExpectedFailure?
        var expectedBytes: UInt64 = 0
        if let expected {
            let fd = try openOutput(expected)
            if random != nil {
                // Small: decide first, so a failing conversion leaves FILE empty.
                switch image.expectedOutcome(settings) {
                case .success(let bytes):
                    try bytes.withUnsafeBytes { try FileDescriptorSink(fd).write($0) }
                    expectedBytes = UInt64(bytes.count)
                case .failure(let f):
                    failure = f
                }
            } else {
                let counter = CountingSink(FileDescriptorSink(fd))
                failure = try image.writeExpected(settings, to: counter)
                expectedBytes = counter.count
                if failure != nil && fd != .standardOutput { try? fd.resize(to: 0) }
            }
            if fd != .standardOutput { try? fd.close() }
        } else {
            // Small images only: this holds the whole expected output in memory.
            if random != nil, case .failure(let f) = image.expectedOutcome(settings) { failure = f }
        }

        if summary {
            var line = "width=\(image.width.rawValue) guest=\(image.guest.rawValue) xl=\(image.xlHeader == nil ? 0 : 1)"
            line += " status=\(failure?.exitStatus ?? 0) legacy_bytes=\(legacyCounter.count)"
            if expected != nil { line += " expected_bytes=\(expectedBytes)" }
            if let failure { line += " reason=\"\(failure)\"" }
            if !image.convertedOutputVerifies(format: settings.format) { line += " verifies=0" }
            StandardError.write(line + "\n")
        }
    }

    func openOutput(_ path: String) throws -> FileDescriptor {
        if path == "-" { return .standardOutput }
        do {
            return try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec],
                permissions: FilePermissions(rawValue: 0o644))
        } catch {
            throw ValidationError("cannot open '\(path)': \(error)")
        }
    }
}

/// Counts what passes through to another sink.
final class CountingSink: ByteSink {
    var inner: any ByteSink
    private(set) var count: UInt64 = 0
    init(_ inner: any ByteSink) { self.inner = inner }
    func write(_ buffer: UnsafeRawBufferPointer) throws(StreamError) {
        try inner.write(buffer)
        count += UInt64(buffer.count)
    }
}

enum StandardError {
    static func write(_ text: String) {
        try? Array(text.utf8).withUnsafeBytes { try FileDescriptorSink(.standardError).write($0) }
    }
}

// The options' values, parsed by their raw values (what the help shows).
extension ToolstackWidth: ExpressibleByArgument {}
extension GuestType: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}
extension Libxc.StreamVersion: ExpressibleByArgument {}
extension PageFill: ExpressibleByArgument {}
extension XendPreset: ExpressibleByArgument {}
extension LegacyFront: ExpressibleByArgument {}

GenerateLegacyStream.main()
