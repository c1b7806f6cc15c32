import SystemPackage
import XenHost
import XenMigrationFormat

/// Looking ahead in an input pipe without taking anything out of it:
/// `tee(2)` copies the pipe's head into a private pipe, which is read into
/// the reader's buffer. The bytes stay in the input pipe until the parser
/// has consumed them and `drain` removes exactly those. So an exact reader
/// needs a few calls per buffer, not two per record, and still never takes
/// a byte past the stream from a descriptor it shares.
final class PipeLookahead {
    private let input: FileDescriptor
    private let copyRead: FileDescriptor
    private let copyWrite: FileDescriptor
    /// Where drained bytes are spliced; nil: read into `scratch` instead.
    private var null: FileDescriptor?
    private var scratch: UnsafeMutableRawBufferPointer?
    /// Bytes at the end of the reader's buffer (consumed or not) that are
    /// still in the input pipe.
    var peeked = 0

    /// Nil when no private pipe can be made; the reader then reads exactly.
    init?(input: FileDescriptor, capacity: Int, null: FileDescriptor?) {
        guard let ends = try? Host.makePipe() else { return nil }
        self.input = input
        (copyRead, copyWrite) = ends
        self.null = null
        // A private pipe as large as the buffer lets one tee fill it.
        Host.setPipeSize(copyWrite, bytes: Int32(clamping: capacity))
    }

    deinit {
        try? copyRead.close()
        try? copyWrite.close()
        scratch?.deallocate()
    }

    /// Copies what the input pipe holds, up to `buffer.count` bytes, into
    /// `buffer`, leaving it in the pipe. Waits while the pipe is empty; 0 at
    /// end of input; nil if the kernel cannot tee these pipes (nothing was
    /// taken: the caller reads as before).
    func look(into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) -> Int? {
        precondition(peeked == 0, "drain the input pipe before looking again")
        switch Host.tee(from: input, to: copyWrite, count: buffer.count) {
        case .endOfInput:
            return 0
        case .failed(let error):
            if error == .invalidArgument || error == .noFunction || error == .permissionDenied { return nil }
            throw StreamError(io: "Read error", error)
        case .moved(let count):
            // All of it is in the private pipe now: read it out in full.
            var got = 0
            while got < count {
                let n: Int
                do {
                    n = try Host.read(copyRead, into: UnsafeMutableRawBufferPointer(rebasing: buffer[got..<count]))
                } catch {
                    throw StreamError(io: "Read error", error)
                }
                guard n > 0 else { throw StreamError(io: "Read error", .ioError) }
                got += n
            }
            return count
        }
    }

    /// Takes `count` looked-at bytes out of the input pipe.
    func drain(_ count: Int) throws(StreamError) {
        precondition(count <= peeked, "only looked-at bytes are drained")
        var left = count
        while left > 0 {
            let n: Int
            if let null {
                switch Host.splice(from: input, to: null, count: left) {
                case .moved(let moved): n = moved
                case .endOfInput: throw StreamError(io: "Read error", .ioError)
                case .failed(let error):
                    guard error == .invalidArgument || error == .noFunction else {
                        throw StreamError(io: "splice error", error)
                    }
                    self.null = nil
                    continue
                }
            } else {
                let space = scratch ?? .allocate(byteCount: 64 * 1024, alignment: 16)
                scratch = space
                do {
                    n = try Host.read(
                        input, into: UnsafeMutableRawBufferPointer(rebasing: space[..<min(left, space.count)]))
                } catch {
                    throw StreamError(io: "Read error", error)
                }
                guard n > 0 else { throw StreamError(io: "Read error", .ioError) }
            }
            left -= n
            peeked -= n
        }
    }
}
