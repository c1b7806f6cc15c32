import SystemPackage
import XenHost
import XenMigrationFormat

/// Buffered, offset-tracking reader of little-endian fields over any
/// `ByteSource`. Every read names what it is reading, so a short input
/// yields "truncated" with the offset where the bytes ran out.
///
/// A descriptor's bytes after the stream belong to whoever handed it over
/// (xenopsd reads the device model record that follows; `xl migrate`
/// keeps the socket open). So the reader never consumes more than the
/// stream: from a pipe, socket or terminal it reads only bytes the parser
/// has asked for or announced with `expect(_:)`; from a regular file it
/// reads ahead and `releaseUnread()` seeks back over what was not used.
/// From a pipe it looks ahead without consuming (`PipeLookahead`) and
/// takes out of the pipe only what the parser has consumed.
public final class StreamReader {
    /// How far past the parser the reader may read.
    public enum ReadAhead: Sendable, Equatable {
        /// Fill the whole buffer: the bytes after the stream are nobody's
        /// (memory, a file the tool opened itself), or can be given back
        /// (`seekBack`, a regular file).
        case free(seekBack: Bool)
        /// Only what the parser needs or has announced.
        case exact
    }

    private var source: any ByteSource
    public let readAhead: ReadAhead
    /// The descriptor behind the source, for kernel-side transfers.
    public let descriptor: FileDescriptor?
    let inputKind: FileKind?
    /// /dev/null, opened with a pipe input, for `Transfer.discard` to splice
    /// dropped runs into. Opened here, when the reader is made, so that a
    /// tool can confine itself (no more opens) before the stream is read.
    let nullDevice: FileDescriptor?
    /// An exact reader's look-ahead into an input pipe; nil when the input
    /// is not a pipe, or the kernel refused it (then it reads exactly).
    private var lookahead: PipeLookahead?

    private let storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Bytes consumed so far: the input offset of the next field.
    public private(set) var offset: UInt64 = 0
    /// Bytes from `offset` on that the stream is known to hold.
    private var announced: UInt64 = 0
    private(set) var sawEndOfInput = false

    public static let defaultCapacity = 256 * 1024

    /// `readAhead` nil: decided by the source. A descriptor that is a
    /// regular file reads ahead and seeks back; any other descriptor reads
    /// exactly; other sources read ahead.
    public init(_ source: any ByteSource, capacity: Int = StreamReader.defaultCapacity, readAhead: ReadAhead? = nil) {
        self.source = source
        storage = .allocate(byteCount: max(capacity, 64), alignment: 16)
        if let backed = source as? any DescriptorSource {
            descriptor = backed.descriptor
            let kind = FileKind(backed.descriptor)
            inputKind = kind
            self.readAhead = readAhead ?? (kind == .regular ? .free(seekBack: true) : .exact)
            nullDevice =
                kind == .pipe ? try? FileDescriptor.open("/dev/null", .writeOnly, options: [.closeOnExec]) : nil
            if kind == .pipe && self.readAhead == .exact {
                lookahead = PipeLookahead(input: backed.descriptor, capacity: max(capacity, 64), null: nullDevice)
            }
        } else {
            descriptor = nil
            inputKind = nil
            nullDevice = nil
            self.readAhead = readAhead ?? .free(seekBack: false)
        }
    }

    deinit {
        // Even when the parser stopped early, what it consumed leaves the
        // pipe: the input ends where the error was found, as with a read.
        try? settleInput()
        storage.deallocate()
        try? nullDevice?.close()
    }

    public var capacity: Int { storage.count }
    /// Bytes read from the source but not yet consumed.
    var buffered: Int { end - start }

    /// Announces that the stream holds at least `count` more bytes from the
    /// current offset, so an exact reader may fetch them in fewer calls.
    package func expect(_ count: UInt64) {
        announced = max(announced, count)
    }

    /// Reads until `n` bytes are buffered or input ends; returns how many
    /// are buffered (fewer than `n` only at end of input).
    @discardableResult
    private func fill(_ n: Int) throws(StreamError) -> Int {
        if buffered >= n || sawEndOfInput { return buffered }
        if lookahead != nil {
            try lookAhead(n)
            if buffered >= n || sawEndOfInput { return buffered }
        }
        if storage.count - start < n {
            // Slide the unread tail to the front to make room.
            if buffered > 0, let base = storage.baseAddress {
                base.copyMemory(from: base + start, byteCount: buffered)
            }
            end = buffered
            start = 0
        }
        // The most this fill may leave buffered.
        let limit: Int
        switch readAhead {
        case .free: limit = storage.count - start
        case .exact: limit = max(n, Int(min(announced, UInt64(storage.count - start))))
        }
        while buffered < n {
            let room = UnsafeMutableRawBufferPointer(rebasing: storage[end..<(start + limit)])
            let got = try source.read(into: room)
            if got == 0 {
                sawEndOfInput = true
                break
            }
            end += got
        }
        return buffered
    }

    /// Fills the buffer with what the input pipe holds (up to the buffer's
    /// room) without consuming it. If that is fewer than `n` bytes, those
    /// are needed anyway: they leave the pipe, and `fill` reads the rest.
    private func lookAhead(_ n: Int) throws(StreamError) {
        guard let pipe = lookahead else { return }
        // The pipe's first byte must be the first not yet in the buffer:
        // drop what was consumed, and forget the unconsumed bytes that are
        // still in the pipe (the look-ahead brings them again).
        try settleInput()
        end -= pipe.peeked
        pipe.peeked = 0
        if buffered == 0 || storage.count - start < n {
            if buffered > 0, let base = storage.baseAddress {
                base.copyMemory(from: base + start, byteCount: buffered)
            }
            end = buffered
            start = 0
        }
        guard let got = try pipe.look(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...])) else {
            lookahead = nil  // the kernel will not tee these pipes: read exactly
            return
        }
        if got == 0 {
            sawEndOfInput = true
            return
        }
        end += got
        pipe.peeked = got
        if buffered < n { try pipe.drain(got) }
    }

    /// Takes what the parser consumed out of the input pipe, so that the
    /// descriptor is at `offset`: before the descriptor is read or spliced
    /// directly, and when the stream is done.
    func settleInput() throws(StreamError) {
        guard let pipe = lookahead, pipe.peeked > buffered else { return }
        try pipe.drain(pipe.peeked - buffered)
    }

    func truncated(_ what: String, needed: UInt64, got: UInt64) -> StreamError {
        // At end of input every byte left is buffered: the end is here.
        let at = offset &+ UInt64(buffered)
        return StreamError(
            .truncated, "Stream truncated at input offset \(at): \(what) needs \(needed) bytes, only \(got) left",
            offset: at)
    }

    private func require(_ n: Int, _ what: String) throws(StreamError) {
        let have = try fill(n)
        if have < n { throw truncated(what, needed: UInt64(n), got: UInt64(have)) }
    }

    private func consume(_ n: Int) {
        start += n
        advance(UInt64(n))
    }

    /// Counts `n` bytes consumed without passing through the buffer.
    func advance(_ n: UInt64) {
        offset &+= n
        announced = announced > n ? announced - n : 0
    }

    // MARK: fixed-size fields

    private func field<T: FixedWidthInteger>(_: T.Type, _ what: String, _ order: ByteOrder = .little)
        throws(StreamError) -> T
    {
        let size = MemoryLayout<T>.size
        try require(size, what)
        defer { consume(size) }
        return T.load(from: UnsafeRawBufferPointer(storage), at: start, order)
    }

    package func readU8(_ what: String) throws(StreamError) -> UInt8 { try field(UInt8.self, what) }
    package func readU16(_ what: String) throws(StreamError) -> UInt16 { try field(UInt16.self, what) }
    package func readU32(_ what: String) throws(StreamError) -> UInt32 { try field(UInt32.self, what) }
    package func readI32(_ what: String) throws(StreamError) -> Int32 { try field(Int32.self, what) }
    package func readU64(_ what: String) throws(StreamError) -> UInt64 { try field(UInt64.self, what) }
    package func readU16BE(_ what: String) throws(StreamError) -> UInt16 { try field(UInt16.self, what, .big) }
    package func readU32BE(_ what: String) throws(StreamError) -> UInt32 { try field(UInt32.self, what, .big) }
    package func readU64BE(_ what: String) throws(StreamError) -> UInt64 { try field(UInt64.self, what, .big) }

    /// A native `unsigned long` of the legacy toolstack: 4 or 8 bytes.
    package func readULong(width: ToolstackWidth, _ what: String) throws(StreamError) -> UInt64 {
        width == .bits32 ? UInt64(try readU32(what)) : try readU64(what)
    }

    // MARK: variable-size data

    /// Reads `count` bytes into an array. Callers bound `count` first: this
    /// allocates what it is asked for.
    package func readBytes(_ count: Int, _ what: String) throws(StreamError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        try take(UInt64(count), what) { chunk in out.append(contentsOf: chunk) }
        return out
    }

    /// Drops `count` bytes as they stream past, a buffer at a time. (The
    /// transfer path drops long runs from a pipe inside the kernel.)
    package func skip(_ count: UInt64, _ what: String) throws(StreamError) {
        try take(count, what) { _ in }
    }

    /// Consumes `count` bytes, handing them to `body` a buffer at a time.
    func take(_ count: UInt64, _ what: String, _ body: (UnsafeRawBufferPointer) throws(StreamError) -> Void)
        throws(StreamError)
    {
        var left = count
        while left > 0 {
            let want = Int(min(left, UInt64(storage.count)))
            let have = try fill(buffered > 0 ? 1 : want)
            if have == 0 { throw truncated(what, needed: count, got: count - left) }
            let n = min(have, Int(min(left, UInt64(Int.max))))
            try body(UnsafeRawBufferPointer(rebasing: storage[start..<(start + n)]))
            consume(n)
            left -= UInt64(n)
        }
    }

    /// Up to `count` bytes (count ≤ capacity) of what comes next, without
    /// consuming them. Fewer only at end of input.
    package func peek(_ count: Int) throws(StreamError) -> [UInt8] {
        let have = try fill(min(count, storage.count))
        return Array(UnsafeRawBufferPointer(rebasing: storage[start..<(start + min(have, count))]))
    }

    // MARK: for the transfer path

    /// Reads from the source straight into `buffer`, bypassing the (empty)
    /// buffer; 0 at end of input.
    func readDirect(into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) -> Int {
        precondition(buffered == 0, "buffered bytes must be consumed first")
        try settleInput()
        let got = try source.read(into: buffer)
        if got == 0 { sawEndOfInput = true }
        advance(UInt64(got))
        return got
    }

    /// Marks the end of input, seen by a kernel-side copy.
    func noteEndOfInput() { sawEndOfInput = true }

    // MARK: end of stream

    /// Gives back what was read past the last consumed byte: a regular
    /// file's shared offset is moved back to the end of the stream. Call it
    /// when the stream is done; the reader must not be used afterwards.
    public func releaseUnread() throws(StreamError) {
        // A pipe still holds what was looked at and not consumed.
        try settleInput()
        lookahead?.peeked = 0
        guard buffered > 0 else { return }
        if case .free(seekBack: true) = readAhead, let descriptor {
            do {
                _ = try descriptor.seek(offset: -Int64(buffered), from: .current)
            } catch {
                throw StreamError(io: "Cannot leave the input at the end of the stream", error)
            }
        }
        start = 0
        end = 0
    }
}
