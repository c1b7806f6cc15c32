import Testing
import XenMigration

// The library's converter and verifier run in process, output discarded:
// what the truncation, hostile-size, mutation and fuzz-replay tests share.

/// The first `count` bytes of an input, without copying them: a sweep cuts
/// one input thousands of times.
package struct PrefixSource: ByteSource {
    private let bytes: [UInt8]
    private let count: Int
    private var position = 0

    package init(_ bytes: [UInt8], count: Int) {
        self.bytes = bytes
        self.count = count
    }

    package mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, count - position)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[position..<(position + n)]))
        }
        position += n
        return n
    }
}

/// The outcome of one in-process run: the error, if any, and how far it read.
package struct Outcome {
    package var error: StreamError?
    package var bytesRead: UInt64
}

private func source(_ bytes: [UInt8], chunkLimit: Int, cut: Int?) -> any ByteSource {
    cut.map { PrefixSource(bytes, count: $0) } ?? MemorySource(bytes, chunkLimit: chunkLimit)
}

/// Converts `bytes` in memory, output discarded. Small buffers keep a sweep
/// of thousands of runs cheap, and exercise the reader's refills. `cut`
/// ends the input there; `marks` is told the input offset at each verbose
/// line and progress report (chunk, batch and record boundaries).
package func convert(
    _ bytes: [UInt8], _ options: ConversionOptions, chunkLimit: Int = .max,
    readerCapacity: Int = 64 * 1024, cut: Int? = nil,
    marks: ((UInt64) -> Void)? = nil
) -> Outcome {
    let reader = StreamReader(source(bytes, chunkLimit: chunkLimit, cut: cut), capacity: readerCapacity)
    return convert(reader, options, verbose: marks.map { mark in { _ in mark(reader.offset) } }, marks: marks)
}

/// Converts from `reader`, output discarded.
package func convert(
    _ reader: StreamReader, _ options: ConversionOptions, verbose: ((VerboseLine) -> Void)? = nil,
    marks: ((UInt64) -> Void)? = nil
) -> Outcome {
    let converter = LegacyConverter(
        options: options, reader: reader,
        writer: StreamWriter(NullSink(), capacity: 64 * 1024), verbose: verbose,
        progress: marks.map { mark in { offset, _ in mark(offset) } })
    do {
        _ = try converter.run()
        return Outcome(error: nil, bytesRead: reader.offset)
    } catch {
        return Outcome(error: error, bytesRead: reader.offset)
    }
}

package func verify(
    _ bytes: [UInt8], _ format: VerifyFormat, chunkLimit: Int = .max,
    readerCapacity: Int = 64 * 1024, cut: Int? = nil
) -> Outcome {
    verify(StreamReader(source(bytes, chunkLimit: chunkLimit, cut: cut), capacity: readerCapacity), format)
}

package func verify(_ reader: StreamReader, _ format: VerifyFormat, verbose: ((VerboseLine) -> Void)? = nil) -> Outcome
{
    do {
        try StreamVerifier.verify(reader: reader, format: format, verbose: verbose)
        return Outcome(error: nil, bytesRead: reader.offset)
    } catch {
        return Outcome(error: error, bytesRead: reader.offset)
    }
}

/// Input offsets where a v2/v3 stream's headers and records end (libxc,
/// libxl, or xl then either), as the verifier reaches them.
package func recordBoundaries(_ s: [UInt8], _ format: VerifyFormat) -> [Int] {
    var marks: [Int] = []
    _ = try? StreamVerifier.verify(
        reader: StreamReader(MemorySource(s)), format: format, boundaries: { marks.append(Int($0)) })
    return marks
}

/// Offsets at which to cut an input of `length` bytes: every one of them
/// (inputs up to 64 KiB), or the first and last 4 KiB and 32 bytes around
/// each boundary (chunk, page batch or record) in between. The full sweep
/// runs on the thinned copies of the vectors in fuzz/corpus, which keep
/// every structure but most page data: a cut costs what it reads.
package func cutOffsets(length: Int, boundaries: [Int], everyOffset: Bool) -> [Int] {
    if everyOffset && length <= 64 * 1024 { return Array(0..<length) }
    var offsets = Set(0..<min(4096, length))
    offsets.formUnion(max(0, length - 4096)..<length)
    for b in boundaries {
        offsets.formUnion(max(0, b - 16)..<min(length, b + 17))
    }
    return offsets.sorted()
}
