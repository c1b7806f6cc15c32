import XenMigration

/// Buffered byte writer for generated streams: to a `ByteSink` in 1 MiB
/// pieces (constant memory, for big images) or into memory. Kept separate
/// from the library's `StreamWriter` so the expected output of a conversion
/// does not share code with the converter under test.
package final class Emitter {
    private var sink: (any ByteSink)?
    private let storage: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0
    private var collected: [UInt8] = []
    /// Bytes emitted so far.
    package private(set) var count: UInt64 = 0

    /// Writes to `sink`; nil collects the bytes for `finish()`.
    package init(sink: (any ByteSink)? = nil, capacity: Int = 1 << 20) {
        self.sink = sink
        self.capacity = max(capacity, 8192)
        self.storage = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    package func flush() throws {
        guard used > 0 else { return }
        let buffer = UnsafeRawBufferPointer(start: storage, count: used)
        used = 0
        if sink != nil {
            try sink?.write(buffer)
        } else {
            collected.append(contentsOf: buffer)
        }
    }

    /// Flushes and returns what was collected in memory.
    package func finish() throws -> [UInt8] {
        try flush()
        defer { collected = [] }
        return collected
    }

    @inline(__always)
    private func room(_ n: Int) throws {
        if capacity - used < n { try flush() }
    }

    @inline(__always)
    private func put<T: FixedWidthInteger>(_ value: T) throws {
        try room(MemoryLayout<T>.size)
        storage.storeBytes(of: value, toByteOffset: used, as: T.self)
        used += MemoryLayout<T>.size
        count &+= UInt64(MemoryLayout<T>.size)
    }

    package func u8(_ v: UInt8) throws { try put(v) }
    package func u16(_ v: UInt16) throws { try put(v.littleEndian) }
    package func u32(_ v: UInt32) throws { try put(v.littleEndian) }
    package func i32(_ v: Int32) throws { try put(v.littleEndian) }
    package func u64(_ v: UInt64) throws { try put(v.littleEndian) }
    package func u16BE(_ v: UInt16) throws { try put(v.bigEndian) }
    package func u32BE(_ v: UInt32) throws { try put(v.bigEndian) }
    package func u64BE(_ v: UInt64) throws { try put(v.bigEndian) }

    /// A native `unsigned long` of a toolstack of the given width.
    package func ulong(_ v: UInt64, width: ToolstackWidth) throws {
        if width == .bits32 { try u32(UInt32(truncatingIfNeeded: v)) } else { try u64(v) }
    }

    package func bytes(_ b: [UInt8]) throws {
        try b.withUnsafeBytes { try bytes($0) }
    }

    package func bytes(_ b: UnsafeRawBufferPointer) throws {
        guard let base = b.baseAddress else { return }
        var offset = 0
        while offset < b.count {
            if used == capacity { try flush() }
            let n = min(capacity - used, b.count - offset)
            (storage + used).copyMemory(from: base + offset, byteCount: n)
            used += n
            offset += n
        }
        count &+= UInt64(b.count)
    }

    package func zeros(_ n: Int) throws {
        var left = n
        while left > 0 {
            if used == capacity { try flush() }
            let k = min(capacity - used, left)
            (storage + used).initializeMemory(as: UInt8.self, repeating: 0, count: k)
            used += k
            left -= k
        }
        count &+= UInt64(n)
    }

    /// `n` pseudo-random bytes from `seed` (see `fillRandom`), written in
    /// pieces that each restart at a derived seed: the result depends only
    /// on `seed` and `n`, never on buffer boundaries.
    package func random(_ n: Int, seed: UInt64) throws {
        let piece = 4096
        var done = 0
        var index: UInt64 = 0
        while done < n {
            let k = min(piece, n - done)
            try room(k)
            fillRandom(storage + used, count: k, seed: SplitMix64.derive(seed, index))
            used += k
            done += k
            index += 1
        }
        count &+= UInt64(n)
    }

    /// One 4096-byte page of pseudo-random bytes.
    package func page(seed: UInt64) throws {
        try room(4096)
        fillRandom(storage + used, count: 4096, seed: seed)
        used += 4096
        count &+= 4096
    }

    /// One cheap page: its pfn and seed in the first 16 bytes, zeros after.
    /// Faster than `page(seed:)` for benchmarks that only move bytes.
    package func stampPage(pfn: UInt64, seed: UInt64) throws {
        try room(4096)
        (storage + used).initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        (storage + used).storeBytes(of: pfn.littleEndian, toByteOffset: 0, as: UInt64.self)
        (storage + used).storeBytes(of: seed.littleEndian, toByteOffset: 8, as: UInt64.self)
        used += 4096
        count &+= 4096
    }
}
