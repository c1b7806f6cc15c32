import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Moves bulk bytes between descriptors inside the kernel: `sendfile` when
/// the input is a regular file, `splice` when it is a pipe. Page data then
/// never enters this process. Anything these calls refuse falls back to
/// plain reads and writes, which write the same bytes.
struct ZeroCopy {
    enum Outcome {
        /// Moved this many bytes (fewer than asked only at end of input).
        case moved(UInt64, endOfInput: Bool)
        /// Not possible between these descriptors: copy by hand.
        case unsupported
    }

    private enum Method { case sendfile, splice }

    private let input: FileDescriptor
    private let output: FileDescriptor
    private let method: Method?

    private typealias SpliceFunction = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32,
                                                       UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int

    /// glibc declares splice only under _GNU_SOURCE, which Swift's Glibc
    /// module does not set; look it up once instead.
    private static let splice: SpliceFunction? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "splice") else { return nil }
        return unsafeBitCast(symbol, to: SpliceFunction.self)
        #else
        return nil
        #endif
    }()

    init(from input: FileDescriptor, to output: FileDescriptor) {
        self.input = input
        self.output = output
        #if os(Linux)
        var st = stat()
        let inputKind = fstat(input.rawValue, &st) == 0 ? st.st_mode & S_IFMT : 0
        if inputKind == S_IFREG {
            method = .sendfile
        } else if inputKind == S_IFIFO && ZeroCopy.splice != nil {
            method = .splice
        } else {
            method = nil
        }
        #else
        method = nil
        #endif
    }

    var isPossible: Bool { method != nil }

    /// Moves up to `count` bytes. Retries EINTR and short transfers.
    func transfer(_ count: UInt64) throws -> Outcome {
        guard let method else { return .unsupported }
        var moved: UInt64 = 0
        while moved < count {
            // Stay well inside what one call may move (at most 2 GiB on Linux).
            let chunk = Int(min(count - moved, 1 << 30))
            let n: Int
            switch method {
            case .sendfile:
                #if os(Linux)
                n = sendfile(output.rawValue, input.rawValue, nil, chunk)
                #else
                n = -1
                #endif
            case .splice:
                guard let splice = ZeroCopy.splice else { return .unsupported }
                n = splice(input.rawValue, nil, output.rawValue, nil, chunk, 1 /* SPLICE_F_MOVE */)
            }
            if n > 0 {
                moved += UInt64(n)
                continue
            }
            if n == 0 { return .moved(moved, endOfInput: true) }
            let error = errno
            if error == EINTR || error == EAGAIN { continue }
            if moved == 0 && (error == EINVAL || error == ENOSYS || error == EXDEV || error == ESPIPE || error == EBADF) {
                // These descriptors cannot do it; nothing moved yet.
                return .unsupported
            }
            throw StreamError(.io, "\(method == .sendfile ? "sendfile" : "splice") error: \(Errno(rawValue: error))")
        }
        return .moved(moved, endOfInput: false)
    }

    /// Whether `fd` is a pipe (or FIFO).
    static func isPipe(_ fd: FileDescriptor) -> Bool {
        var st = stat()
        return fstat(fd.rawValue, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO
    }
}
