/// Coalescing writer over any `ByteSink`: small fields gather in one buffer
/// so a record costs one system call, not one per field.
public final class StreamWriter {
    public let sink: any ByteSink
    private let storage: UnsafeMutableRawBufferPointer
    private var used = 0
    /// Bytes accepted so far (buffered or written).
    public private(set) var bytesWritten: UInt64 = 0

    public static let defaultCapacity = 1024 * 1024

    public init(_ sink: any ByteSink, capacity: Int = StreamWriter.defaultCapacity) {
        self.sink = sink
        self.storage = .allocate(byteCount: max(capacity, 64), alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Writes out everything buffered.
    public func flush() throws {
        guard used > 0 else { return }
        let n = used
        used = 0
        try sink.write(UnsafeRawBufferPointer(rebasing: storage[0..<n]))
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
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

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func put<T: FixedWidthInteger>(_ value: T) throws {
        let size = MemoryLayout<T>.size
        if storage.count - used < size { try flush() }
        storage.storeBytes(of: value, toByteOffset: used, as: T.self)
        used += size
        bytesWritten &+= UInt64(size)
    }

    public func u8(_ v: UInt8) throws { try put(v) }
    public func u16(_ v: UInt16) throws { try put(v.littleEndian) }
    public func u32(_ v: UInt32) throws { try put(v.littleEndian) }
    public func u64(_ v: UInt64) throws { try put(v.littleEndian) }
    public func u16BE(_ v: UInt16) throws { try put(v.bigEndian) }
    public func u32BE(_ v: UInt32) throws { try put(v.bigEndian) }
    public func u64BE(_ v: UInt64) throws { try put(v.bigEndian) }

    public func zeros(_ count: Int) throws {
        for _ in 0..<count { try put(UInt8(0)) }
    }

    /// Accounts for bytes that went to the sink's descriptor directly.
    func noteDirectWrite(_ count: UInt64) {
        bytesWritten &+= count
    }

    /// Lets `body` fill free buffer space directly (up to `limit` bytes),
    /// so bulk data is copied once, not twice. Returns what `body` returned.
    func fill(upTo limit: UInt64, _ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int {
        if used == storage.count { try flush() }
        let room = storage.count - used
        let n = Int(min(UInt64(room), limit))
        let got = try body(UnsafeMutableRawBufferPointer(rebasing: storage[used..<(used + n)]))
        used += got
        bytesWritten &+= UInt64(got)
        return got
    }
}
