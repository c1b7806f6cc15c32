import SystemPackage
import XenMigrationFormat

/// Coalescing writer over any `ByteSink`: small fields gather in one buffer
/// so a record costs one system call, not one per field.
public final class StreamWriter {
    private var sink: any ByteSink
    /// The descriptor behind the sink, for kernel-side transfers.
    public let descriptor: FileDescriptor?
    private let storage: UnsafeMutableRawBufferPointer
    private var used = 0
    /// Bytes accepted so far (buffered or written).
    public private(set) var bytesWritten: UInt64 = 0

    public static let defaultCapacity = 1024 * 1024

    public init(_ sink: any ByteSink, capacity: Int = StreamWriter.defaultCapacity) {
        self.sink = sink
        descriptor = (sink as? any DescriptorSink)?.descriptor
        storage = .allocate(byteCount: max(capacity, 64), alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Writes out everything buffered.
    public func flush() throws(StreamError) {
        guard used > 0 else { return }
        let n = used
        used = 0
        try sink.write(UnsafeRawBufferPointer(rebasing: storage[0..<n]))
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(StreamError) {
        bytesWritten &+= UInt64(bytes.count)
        if bytes.count > storage.count - used {
            try flush()
            if bytes.count >= storage.count {
                try sink.write(bytes)
                return
            }
        }
        UnsafeMutableRawBufferPointer(rebasing: storage[used...]).copyMemory(from: bytes)
        used += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws(StreamError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(StreamError) in try write(buffer) }
        }.get()
    }

    private func put<T: FixedWidthInteger>(_ value: T, _ order: ByteOrder = .little) throws(StreamError) {
        let size = MemoryLayout<T>.size
        if storage.count - used < size { try flush() }
        storage.storeBytes(of: value.stored(order), toByteOffset: used, as: T.self)
        used += size
        bytesWritten &+= UInt64(size)
    }

    package func u8(_ v: UInt8) throws(StreamError) { try put(v) }
    package func u16(_ v: UInt16) throws(StreamError) { try put(v) }
    package func u32(_ v: UInt32) throws(StreamError) { try put(v) }
    package func u64(_ v: UInt64) throws(StreamError) { try put(v) }
    package func u16BE(_ v: UInt16) throws(StreamError) { try put(v, .big) }
    package func u32BE(_ v: UInt32) throws(StreamError) { try put(v, .big) }
    package func u64BE(_ v: UInt64) throws(StreamError) { try put(v, .big) }

    package func zeros(_ count: Int) throws(StreamError) {
        for _ in 0..<count { try put(UInt8(0)) }
    }

    // MARK: for the transfer path

    /// Counts bytes that went to the sink's descriptor directly.
    func accountDirect(_ count: UInt64) {
        bytesWritten &+= count
    }

    /// Lets `body` fill free buffer space directly (at most `limit` bytes),
    /// so bulk data is copied once, not twice. Returns what `body` returned.
    func fillFreeSpace(upTo limit: UInt64, _ body: (UnsafeMutableRawBufferPointer) throws(StreamError) -> Int)
        throws(StreamError) -> Int
    {
        if used == storage.count { try flush() }
        let n = Int(min(UInt64(storage.count - used), limit))
        let got = try body(UnsafeMutableRawBufferPointer(rebasing: storage[used..<(used + n)]))
        used += got
        bytesWritten &+= UInt64(got)
        return got
    }
}
