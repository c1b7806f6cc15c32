import Foundation
import SystemPackage
import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration

#if canImport(Glibc)
    import Glibc
#endif

/// A source that records how many bytes it handed out: an exact reader
/// must never take more than the stream it parses.
private final class CountingSource: ByteSource {
    private var inner: MemorySource
    private(set) var handedOut = 0

    init(_ bytes: [UInt8], chunkLimit: Int) { inner = MemorySource(bytes, chunkLimit: chunkLimit) }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = inner.read(into: buffer)
        handedOut += n
        return n
    }
}

private let trailer: [UInt8] = Array(repeating: 0xa5, count: 4096)

@Suite("Exact reads: the library takes only the stream's bytes")
struct ExactReadTests {
    static let conversions = Vector.all("convert").filter { $0.expectedStatus == 0 }
    static let verifications = Vector.all("verify").filter { $0.expectedStatus == 0 }

    @Test(
        "every convertible vector, read exactly: nothing past the last byte used, same output",
        arguments: conversions)
    func conversion(_ vector: Vector) throws {
        let input = try #require(vector.bytes("input.legacy"))
        let options = try ConversionOptions(vectorArguments: vector.args)
        for chunkLimit in [1 << 20, 13] {
            let source = CountingSource(input + trailer, chunkLimit: chunkLimit)
            let sink = MemorySink()
            let reader = StreamReader(source, capacity: 4096, readAhead: .exact)
            let report = try LegacyConverter(options: options, reader: reader, writer: StreamWriter(sink)).run()
            #expect(sink.bytes == vector.bytes("expected.out"))
            #expect(UInt64(source.handedOut) == report.bytesRead)
            // QemuDeviceModelRecord data runs to the end of input: the
            // trailer is part of it, so only other images end early.
            if report.deviceModelSignature != "QemuDeviceModelRecord" {
                #expect(report.bytesRead <= UInt64(input.count))
            }
        }
    }

    @Test("every valid stream, verified exactly: nothing past the last END record", arguments: verifications)
    func verification(_ vector: Vector) throws {
        let stream = try #require(vector.bytes("stream"))
        let format =
            vector.args.firstIndex(of: "-f").flatMap { i in
                vector.args.indices.contains(i + 1) ? VerifyFormat(rawValue: vector.args[i + 1]) : nil
            } ?? .libxc
        let source = CountingSource(stream + trailer, chunkLimit: 1 << 20)
        let reader = StreamReader(source, capacity: 4096, readAhead: .exact)
        try StreamVerifier.verify(reader: reader, format: format)
        #expect(UInt64(source.handedOut) == reader.offset)
        if InputKind.identify(stream) == .libxlStream || InputKind.identify(stream) == .xlSave(streamV2: true) {
            #expect(reader.offset == UInt64(stream.count))
        } else {
            // A libxc stream of an HVM guest is followed by the device model
            // record, which is not the verifier's to read.
            #expect(reader.offset <= UInt64(stream.count))
        }
    }

    @Test("an announced run is fetched in one read, never beyond it")
    func announcedRun() throws {
        let source = CountingSource(Array(0..<200), chunkLimit: .max)
        let reader = StreamReader(source, capacity: 4096, readAhead: .exact)
        reader.expect(12)
        #expect(try reader.readU32("a") == 0x0302_0100)
        #expect(source.handedOut == 12)
        #expect(try reader.readU64("b") == 0x0b0a_0908_0706_0504)
        #expect(source.handedOut == 12)
        _ = try reader.readU8("c")
        #expect(source.handedOut == 13)
    }
}

extension ConversionOptions {
    /// A vector's `args` as the library's options (explicit width and guest).
    init(vectorArguments args: [String]) throws {
        func value(_ names: String...) -> String? {
            args.indices.first { names.contains(args[$0]) && $0 + 1 < args.count }.map { args[$0 + 1] }
        }
        self.init(
            width: value("-w", "--width") == "32" ? .bits32 : .bits64,
            guest: ["pv"].contains(value("-g", "--guest-type", "--guest")) ? .pv : .hvm,
            format: value("-f", "--format") == "libxl" ? .libxl : .libxc,
            streamVersion: value("--stream-version") == "3" ? .v3 : .v2,
            xlHeader: args.contains("-x") || args.contains("--xl"),
            skipQemu: args.contains("--skip-qemu"))
    }
}

@Suite("Truncation is told alike on every read path")
struct TruncationMessageTests {
    /// A finding of the io fuzzer: a PV image cut inside its shared-info
    /// page said "needs 2177 bytes, only 0 left" when read from memory and
    /// "needs 4096 bytes, only 1919 left" from a pipe.
    @Test("a cut inside a run gives the same message read ahead or read exactly, in any chunk size")
    func sameMessage() throws {
        let vector = Vector(kind: "convert", name: "pv64-libxc")
        let input = try #require(vector.bytes("input.legacy"))
        let options = try ConversionOptions(vectorArguments: vector.args)
        for cut in [input.count - 1, input.count - 2177, input.count - 4000, input.count / 2, 100] {
            var messages: Set<String> = []
            for (readAhead, chunk) in [
                (StreamReader.ReadAhead.free(seekBack: false), Int.max), (.exact, 7), (.exact, 4096),
            ] {
                let reader = StreamReader(MemorySource(Array(input[..<cut]), chunkLimit: chunk), readAhead: readAhead)
                do {
                    _ = try LegacyConverter(options: options, reader: reader, writer: StreamWriter(NullSink())).run()
                    Issue.record("converted a cut image")
                } catch {
                    #expect(error.kind == .truncated)
                    messages.insert(error.description)
                }
            }
            #expect(messages.count == 1, "cut at \(cut): \(messages)")
        }
    }
}

@Suite("Exact reads on generated images")
struct GeneratedExactReadTests {
    /// 300 random images (every chunk kind, batch size and tail), each read
    /// exactly with a trailer after it: nothing past the last byte used,
    /// and the same verdict and bytes as reading ahead.
    @Test("random images: the exact reader never takes a byte past the stream", arguments: 0..<3)
    func randomImages(_ slice: Int) throws {
        let trailer = [UInt8](repeating: 0x5a, count: 64 * 1024)
        for seed in UInt64(slice * 100)..<UInt64(slice * 100 + 100) {
            let image = LegacyImage.random(seed: seed)
            let settings = ConversionSettings(
                format: seed % 2 == 0 ? .libxc : .libxl, streamVersion: 2, skipQemu: seed % 3 == 0)
            let bytes = image.legacyBytes()
            let source = CountingSource(bytes + trailer, chunkLimit: seed % 5 == 0 ? 3 : .max)
            let reader = StreamReader(source, capacity: 8192, readAhead: .exact)
            let sink = MemorySink()
            let exact = Result { () throws(StreamError) in
                try LegacyConverter(
                    options: Generated.options(image, settings), reader: reader, writer: StreamWriter(sink)
                ).run()
            }
            let ahead = Generated.convert(image, settings)
            switch (exact, ahead) {
            case (.success(let report), .success(let output)):
                // QemuDeviceModelRecord data runs to the end of input, so
                // the trailer belongs to it there; every other image ends.
                if report.deviceModelSignature != "QemuDeviceModelRecord" {
                    #expect(sink.bytes == output, "seed \(seed)")
                    #expect(UInt64(source.handedOut) == report.bytesRead, "seed \(seed)")
                    #expect(report.bytesRead <= UInt64(bytes.count), "seed \(seed)")
                }
            case (.failure(let a), .failure(let b)):
                // A truncated image goes on into the trailer, so only other
                // faults must be found alike.
                if b.kind != .truncated { #expect(a.kind == b.kind, "seed \(seed): \(a) / \(b)") }
            default:
                Issue.record("seed \(seed): exact \(exact), read ahead \(ahead)")
            }
        }
    }
}

@Suite("Looking ahead in a pipe")
struct PipeLookaheadTests {
    /// Writes `bytes` into the write end of `pipe` on a thread, `chunk`
    /// bytes a call, then closes it.
    private static func feed(_ bytes: [UInt8], into pipe: [Int32], chunk: Int) {
        Thread {
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count, let base = raw.baseAddress {
                    let n = write(pipe[1], base + done, min(chunk, raw.count - done))
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    done += n
                }
            }
            close(pipe[1])
        }.start()
    }

    /// Converts from the read end of `pipe`. The reader is gone on return,
    /// so what it consumed has left the pipe, even after an error.
    private static func convert(_ image: LegacyImage, _ settings: ConversionSettings, from pipe: [Int32])
        -> (result: Result<ConversionReport, StreamError>, offset: UInt64, output: [UInt8])
    {
        let reader = StreamReader(FileDescriptorSource(FileDescriptor(rawValue: pipe[0])), capacity: 8192)
        let sink = MemorySink()
        let result = Result { () throws(StreamError) in
            try LegacyConverter(options: Generated.options(image, settings), reader: reader, writer: StreamWriter(sink))
                .run()
        }
        return (result, reader.offset, sink.bytes)
    }

    /// 80 random images, each written into a real pipe with a trailer after
    /// it, whole or in small writes (so the reader finds the pipe holding
    /// less than it needs): the same verdict and bytes as from memory, and
    /// the pipe then holds exactly what the converter did not consume.
    @Test("random images from a pipe: same output, and the pipe keeps every byte not consumed", arguments: 0..<2)
    func randomImages(_ slice: Int) throws {
        let trailer = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        for seed in UInt64(1000 + slice * 40)..<UInt64(1000 + slice * 40 + 40) {
            let image = LegacyImage.random(seed: seed)
            let settings = ConversionSettings(
                format: seed % 2 == 0 ? .libxc : .libxl, streamVersion: 2, skipQemu: seed % 3 == 0)
            let whole = image.legacyBytes() + trailer
            let pipe = Spawn.pipePair()
            try #require(pipe[0] >= 0)
            Self.feed(whole, into: pipe, chunk: [1 << 20, 4099, 37, 512][Int(seed % 4)])
            let (result, offset, output) = Self.convert(image, settings, from: pipe)
            let rest = Drain(pipe[0]).finish()
            let kept = Array(whole[Int(min(offset, UInt64(whole.count)))...])
            #expect(
                rest == kept, "seed \(seed): the pipe kept \(rest.count) bytes, not the \(kept.count) after \(offset)")
            switch (result, Generated.convert(image, settings)) {
            case (.success(let report), .success(let expected)):
                #expect(report.bytesRead == offset, "seed \(seed)")
                // QemuDeviceModelRecord data runs to the end of input.
                if report.deviceModelSignature != "QemuDeviceModelRecord" {
                    #expect(output == expected, "seed \(seed)")
                }
            case (.failure(let a), .failure(let b)):
                if b.kind != .truncated { #expect(a.kind == b.kind, "seed \(seed): \(a) / \(b)") }
            case (let a, let b):
                Issue.record("seed \(seed): from a pipe \(a), from memory \(b)")
            }
        }
    }
}
