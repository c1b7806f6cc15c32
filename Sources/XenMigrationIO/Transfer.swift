import SystemPackage
import XenHost
import XenMigrationFormat

/// Moves runs of stream bytes from a reader to a writer, or drops them: the
/// one place that chooses between the kernel (`sendfile` from a regular
/// file, `splice` where a pipe is involved) and copies through the two
/// buffers. Either way exactly the bytes asked for are consumed from the
/// input, so what follows the stream stays for its owner.
package final class Transfer {
    package let reader: StreamReader
    /// Where `copy` writes; nil for a transfer that only drops bytes.
    private let writer: StreamWriter?
    /// False forces buffered copies (same bytes, more copying).
    package let allowZeroCopy: Bool

    /// Runs shorter than this go through the buffers: a system call saved
    /// is worth more than a copy avoided.
    static let zeroCopyThreshold: UInt64 = 64 * 1024

    private enum KernelMethod { case sendfile, splice }

    /// A transfer that copies runs to `writer` and drops others.
    package init(from reader: StreamReader, to writer: StreamWriter, allowZeroCopy: Bool = true) {
        self.reader = reader
        self.writer = writer
        self.allowZeroCopy = allowZeroCopy
    }

    /// A transfer that only drops runs (a verifier's): `copy` is not for it.
    package init(discardingFrom reader: StreamReader, allowZeroCopy: Bool = true) {
        self.reader = reader
        self.writer = nil
        self.allowZeroCopy = allowZeroCopy
    }

    // MARK: choices, made once on first use

    /// How `copy` moves long runs inside the kernel; nil: through the
    /// buffers. Set to nil when the kernel refuses these descriptors.
    private lazy var copyMethod: KernelMethod? = {
        guard allowZeroCopy, let input = reader.descriptor, let output = writer?.descriptor else { return nil }
        if (reader.inputKind ?? FileKind(input)) == .regular { return .sendfile }
        if reader.inputKind == .pipe || FileKind(output) == .pipe { return .splice }
        return nil
    }()

    /// Where `discard` splices long runs from a pipe: the reader's /dev/null.
    /// Set to nil when the kernel refuses it.
    private lazy var discardTarget: FileDescriptor? = allowZeroCopy ? reader.nullDevice : nil

    // MARK: copying

    /// Moves `count` bytes to the writer.
    package func copy(_ count: UInt64, _ what: String) throws(StreamError) {
        guard let writer else { preconditionFailure("a discarding Transfer cannot copy") }
        var left = count
        // What the reader already holds goes first.
        let held = min(UInt64(reader.buffered), left)
        if held > 0 {
            try reader.take(held, what) { (chunk) throws(StreamError) in try writer.write(chunk) }
            left -= held
        }
        // A short run goes through the reader's buffer, which also fetches
        // whatever the parser announced after it (a page and the next
        // marker in one read from a pipe).
        if left > 0 && left < Transfer.zeroCopyThreshold {
            return try lastOf(count, left: left, what) { () throws(StreamError) in
                try reader.take(left, what) { (chunk) throws(StreamError) in try writer.write(chunk) }
            }
        }
        if left > 0, let method = copyMethod, let input = reader.descriptor, let output = writer.descriptor {
            try writer.flush()
            if let moved = try kernelMove(left, method, from: input, to: output, what, total: count) {
                writer.accountDirect(moved)
                left -= moved
            } else {
                copyMethod = nil
            }
        }
        while left > 0 {
            let got = try writer.fillFreeSpace(upTo: left) { (space) throws(StreamError) in
                try reader.readDirect(into: space)
            }
            if got == 0 { throw reader.truncated(what, needed: count, got: count - left) }
            left -= UInt64(got)
        }
    }

    /// Moves everything left in the input to the writer; returns how much.
    package func copyToEnd() throws(StreamError) -> UInt64 {
        guard let writer else { preconditionFailure("a discarding Transfer cannot copy") }
        var total = UInt64(reader.buffered)
        if total > 0 {
            try reader.take(total, "rest of input") { (chunk) throws(StreamError) in try writer.write(chunk) }
        }
        while true {
            let got = try writer.fillFreeSpace(upTo: .max) { (space) throws(StreamError) in
                try reader.readDirect(into: space)
            }
            if got == 0 { return total }
            total += UInt64(got)
        }
    }

    // MARK: dropping

    /// Drops `count` bytes. Long runs from a pipe go to /dev/null inside the
    /// kernel; the rest pass through the reader's buffer.
    package func discard(_ count: UInt64, _ what: String) throws(StreamError) {
        var left = count
        let held = min(UInt64(reader.buffered), left)
        if held > 0 {
            try reader.skip(held, what)
            left -= held
        }
        if left >= Transfer.zeroCopyThreshold, let null = discardTarget, let input = reader.descriptor {
            if let moved = try kernelMove(left, .splice, from: input, to: null, what, total: count) {
                left -= moved
            } else {
                discardTarget = nil
            }
        }
        try lastOf(count, left: left, what) { () throws(StreamError) in try reader.skip(left, what) }
    }

    // MARK: shared

    /// Runs `body` on the last `left` bytes of a `count`-byte run, so that
    /// a truncation is told for the whole run, as on every path.
    private func lastOf(_ count: UInt64, left: UInt64, _ what: String, _ body: () throws(StreamError) -> Void)
        throws(StreamError)
    {
        let before = reader.offset
        do {
            try body()
        } catch {
            guard error.kind == .truncated else { throw error }
            throw reader.truncated(what, needed: count, got: count - left + (reader.offset - before))
        }
    }

    /// Moves up to `count` bytes in the kernel; nil if these descriptors
    /// cannot (nothing moved: the caller falls back to buffers). Counts what
    /// moved as consumed from the reader.
    private func kernelMove(
        _ count: UInt64, _ method: KernelMethod, from input: FileDescriptor,
        to output: FileDescriptor, _ what: String, total: UInt64
    ) throws(StreamError) -> UInt64? {
        try reader.settleInput()
        var moved: UInt64 = 0
        while moved < count {
            // Stay well inside what one call may move (2 GiB on Linux).
            let chunk = Int(min(count - moved, 1 << 30))
            let outcome =
                method == .sendfile
                ? Host.sendfile(from: input, to: output, count: chunk)
                : Host.splice(from: input, to: output, count: chunk)
            switch outcome {
            case .moved(let n):
                moved += UInt64(n)
                reader.advance(UInt64(n))
            case .endOfInput:
                reader.noteEndOfInput()
                throw reader.truncated(what, needed: total, got: total - (count - moved))
            case .failed(let error):
                if moved == 0 && Transfer.unsupported.contains(error) { return nil }
                throw StreamError(io: method == .sendfile ? "sendfile error" : "splice error", error)
            }
        }
        return moved
    }

    /// What the kernel answers when it cannot copy between these
    /// descriptors. Not EBADF: a descriptor open for reading (input) or
    /// writing (output) never gets it from sendfile(2) or splice(2); one
    /// open the other way has already failed its first read or write, so
    /// EBADF here would be a bug, reported as it is.
    private static let unsupported: [Errno] = [.invalidArgument, .noFunction, .improperLink, .illegalSeek]
}
