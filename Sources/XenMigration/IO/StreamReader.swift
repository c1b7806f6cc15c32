import SystemPackage

/// Buffered, offset-tracking reader of little-endian fields over any
/// `ByteSource`. Every read names what it is reading, so a short input
/// yields "truncated" with the offset where the bytes ran out.
public final class StreamReader {
    public let source: any ByteSource
    private let storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Bytes consumed so far: the input offset of the next field.
    public private(set) var offset: UInt64 = 0
    private var sawEOF = false

    public static let defaultCapacity = 256 * 1024

    public init(_ source: any ByteSource, capacity: Int = StreamReader.defaultCapacity) {
        self.source = source
        self.storage = .allocate(byteCount: max(capacity, 64), alignment: 16)
    }

    deinit {
        storage.deallocate()
        try? discardNull?.close()
    }

    public var capacity: Int { storage.count }
    private var available: Int { end - start }

    /// Reads from the source until `n` bytes are buffered or input ends.
    /// Returns how many are buffered (may be fewer than `n` at end of input).
    @discardableResult
    private func fillUpTo(_ n: Int) throws -> Int {
        precondition(n <= storage.count)
        if available >= n || sawEOF { return available }
        if storage.count - start < n {
            // Slide the unread tail to the front to make room.
            if available > 0, let base = storage.baseAddress {
                (base).copyMemory(from: base + start, byteCount: available)
            }
            end = available
            start = 0
        }
        while available < n {
            let got = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
            if got == 0 { sawEOF = true; break }
            end += got
        }
        return available
    }

    private func truncated(_ what: String, needed: UInt64, got: UInt64) -> StreamError {
        // At end of input every byte left is buffered: the end is here.
        let at = offset &+ UInt64(available)
        return StreamError(.truncated,
                           "Stream truncated at input offset \(at): \(what) needs \(needed) bytes, only \(got) left",
                           offset: at)
    }

    private func require(_ n: Int, _ what: String) throws {
        let have = try fillUpTo(n)
        if have < n { throw truncated(what, needed: UInt64(n), got: UInt64(have)) }
    }

    private func consume(_ n: Int) {
        start += n
        offset &+= UInt64(n)
    }

    // MARK: fixed-size fields

    public func readU8(_ what: String) throws -> UInt8 {
        try require(1, what)
        defer { consume(1) }
        return storage.load(fromByteOffset: start, as: UInt8.self)
    }

    public func readU16(_ what: String) throws -> UInt16 {
        try require(2, what)
        defer { consume(2) }
        return UInt16(littleEndian: storage.loadUnaligned(fromByteOffset: start, as: UInt16.self))
    }

    public func readU32(_ what: String) throws -> UInt32 {
        try require(4, what)
        defer { consume(4) }
        return UInt32(littleEndian: storage.loadUnaligned(fromByteOffset: start, as: UInt32.self))
    }

    public func readI32(_ what: String) throws -> Int32 {
        Int32(bitPattern: try readU32(what))
    }

    public func readU64(_ what: String) throws -> UInt64 {
        try require(8, what)
        defer { consume(8) }
        return UInt64(littleEndian: storage.loadUnaligned(fromByteOffset: start, as: UInt64.self))
    }

    public func readU32BE(_ what: String) throws -> UInt32 { UInt32(bigEndian: UInt32(littleEndian: try readU32(what))) }
    public func readU16BE(_ what: String) throws -> UInt16 { UInt16(bigEndian: UInt16(littleEndian: try readU16(what))) }
    public func readU64BE(_ what: String) throws -> UInt64 { UInt64(bigEndian: UInt64(littleEndian: try readU64(what))) }

    /// A native `unsigned long` of the legacy toolstack: 4 or 8 bytes.
    public func readULong(width: ToolstackWidth, _ what: String) throws -> UInt64 {
        width == .bits32 ? UInt64(try readU32(what)) : try readU64(what)
    }

    // MARK: variable-size data

    /// Reads `count` bytes into an array. Callers bound `count` first: this
    /// allocates what it is asked for.
    public func readBytes(_ count: Int, _ what: String) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        var left = count
        while left > 0 {
            let want = min(left, storage.count)
            let have = try fillUpTo(want)
            if have == 0 { throw truncated(what, needed: UInt64(count), got: UInt64(count - left)) }
            let n = min(have, left)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: storage[start..<(start + n)]))
            consume(n)
            left -= n
            if n < want && sawEOF && left > 0 {
                throw truncated(what, needed: UInt64(count), got: UInt64(count - left))
            }
        }
        return out
    }

    /// Gives the next `count` bytes (count ≤ capacity) to `body` without
    /// copying them out of the buffer, then consumes them.
    public func withBytes<T>(_ count: Int, _ what: String,
                             _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        try require(count, what)
        defer { consume(count) }
        return try body(UnsafeRawBufferPointer(rebasing: storage[start..<(start + count)]))
    }

    /// Discards `count` bytes as they stream past. Long runs from a pipe are
    /// dropped inside the kernel (spliced into /dev/null).
    public func skip(_ count: UInt64, _ what: String) throws {
        var left = count
        let buffered = min(UInt64(available), left)
        consume(Int(buffered))
        left -= buffered
        if left >= StreamReader.zeroCopyThreshold, let null = try discardTarget() {
            switch try ZeroCopy(from: null.input, to: null.output).transfer(left) {
            case .moved(let n, let endOfInput):
                offset &+= n
                left -= n
                if endOfInput {
                    sawEOF = true
                    throw truncated(what, needed: count, got: count - left)
                }
            case .unsupported:
                discardNull = nil
                allowZeroCopy = false
            }
        }
        while left > 0 {
            if available == 0 {
                start = 0; end = 0
                let got = try source.read(into: storage)
                if got == 0 {
                    sawEOF = true
                    throw truncated(what, needed: count, got: count - left)
                }
                end = got
            }
            let n = Int(min(UInt64(available), left))
            consume(n)
            left -= UInt64(n)
        }
    }

    /// Moves `count` bytes to `writer` without holding more than one
    /// buffer of them at a time. Large runs between two descriptors go
    /// through the kernel (`ZeroCopy`) unless `allowZeroCopy` is off.
    public func copy(_ count: UInt64, to writer: StreamWriter, _ what: String) throws {
        var left = count
        // First whatever is already buffered here.
        if available > 0 && left > 0 {
            let n = Int(min(UInt64(available), left))
            try writer.write(UnsafeRawBufferPointer(rebasing: storage[start..<(start + n)]))
            consume(n)
            left -= UInt64(n)
        }
        if left >= StreamReader.zeroCopyThreshold, let zeroCopy = zeroCopy(to: writer) {
            try writer.flush()
            switch try zeroCopy.transfer(left) {
            case .moved(let n, let endOfInput):
                offset &+= n
                writer.noteDirectWrite(n)
                left -= n
                if endOfInput {
                    sawEOF = true
                    throw truncated(what, needed: count, got: count - left)
                }
            case .unsupported:
                zeroCopyPair = nil
                allowZeroCopy = false
            }
        }
        while left > 0 {
            let got = try writer.fill(upTo: left) { space in try source.read(into: space) }
            if got == 0 {
                sawEOF = true
                throw truncated(what, needed: count, got: count - left)
            }
            offset &+= UInt64(got)
            left -= UInt64(got)
        }
    }

    /// Runs shorter than this are copied through the buffers: a system call
    /// saved is worth more than a copy avoided.
    static let zeroCopyThreshold: UInt64 = 64 * 1024

    /// Set false to force plain reads and writes (same bytes, more copies).
    public var allowZeroCopy = true {
        didSet { if !allowZeroCopy { discardNull = nil } }
    }
    private var discardNull: FileDescriptor?
    private var discardChecked = false

    /// The input pipe and an open /dev/null, when skipping can splice.
    private func discardTarget() throws -> (input: FileDescriptor, output: FileDescriptor)? {
        guard allowZeroCopy, let input = source.fileDescriptor else { return nil }
        if !discardChecked {
            discardChecked = true
            if ZeroCopy.isPipe(input) {
                discardNull = try? FileDescriptor.open("/dev/null", .writeOnly, options: [.closeOnExec])
            }
        }
        guard let null = discardNull else { return nil }
        return (input, null)
    }
    private var zeroCopyPair: (sink: ObjectIdentifier, method: ZeroCopy)?

    private func zeroCopy(to writer: StreamWriter) -> ZeroCopy? {
        guard allowZeroCopy, let input = source.fileDescriptor, let output = writer.sink.fileDescriptor else { return nil }
        let id = ObjectIdentifier(writer.sink)
        if let pair = zeroCopyPair, pair.sink == id { return pair.method }
        let method = ZeroCopy(from: input, to: output)
        guard method.isPossible else {
            allowZeroCopy = false
            return nil
        }
        zeroCopyPair = (id, method)
        return method
    }

    /// Up to `count` bytes (count ≤ capacity) of what comes next, without
    /// consuming them. Fewer only at end of input.
    public func peek(_ count: Int) throws -> [UInt8] {
        let have = try fillUpTo(min(count, storage.count))
        let n = min(have, count)
        return Array(UnsafeRawBufferPointer(rebasing: storage[start..<(start + n)]))
    }

    /// True when no byte is left.
    public func atEnd() throws -> Bool {
        try fillUpTo(1) == 0
    }

    /// Moves everything left in the input to `writer`; returns how much.
    public func copyToEnd(to writer: StreamWriter) throws -> UInt64 {
        var total: UInt64 = 0
        if available > 0 {
            let n = available
            try writer.write(UnsafeRawBufferPointer(rebasing: storage[start..<end]))
            consume(n)
            total += UInt64(n)
        }
        while !sawEOF {
            let got = try writer.fill(upTo: UInt64(Int.max)) { space in try source.read(into: space) }
            if got == 0 { sawEOF = true; break }
            offset &+= UInt64(got)
            total += UInt64(got)
        }
        return total
    }
}
