import XenMigrationFormat

/// Where stream bytes come from. A read may return fewer bytes than asked
/// (a pipe does), and 0 only at end of input.
public protocol ByteSource {
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) -> Int
}

/// Where stream bytes go. `write` takes every byte or throws.
public protocol ByteSink {
    mutating func write(_ buffer: UnsafeRawBufferPointer) throws(StreamError)
}

/// Bytes held in memory; for tests and for callers that already have them.
public struct MemorySource: ByteSource {
    public let bytes: [UInt8]
    private var position = 0
    /// The most a single read returns: lets tests imitate a slow pipe.
    public let chunkLimit: Int

    public init(_ bytes: [UInt8], chunkLimit: Int = .max) {
        self.bytes = bytes
        self.chunkLimit = max(1, chunkLimit)
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, bytes.count - position, chunkLimit)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[position..<(position + n)]))
        }
        position += n
        return n
    }
}

/// Collects written bytes in memory. A class, so the caller keeps a
/// reference to what the writer filled.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ buffer: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: buffer)
    }
}

/// Discards everything; counts it.
public final class NullSink: ByteSink {
    public private(set) var count: UInt64 = 0
    public init() {}
    public func write(_ buffer: UnsafeRawBufferPointer) {
        count &+= UInt64(buffer.count)
    }
}
