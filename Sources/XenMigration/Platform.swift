// The only file of the library that imports the C library: every system
// call the streams make beyond swift-system's is wrapped here.

import CXenPlatform
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What kind of file a descriptor refers to, as far as moving bytes cares.
enum FileKind {
    case regular, pipe, socket, directory, other

    init(_ descriptor: FileDescriptor) {
        guard let type = try? descriptor.stat().type else {
            self = .other
            return
        }
        switch type {
        case .regular: self = .regular
        case .fifo: self = .pipe
        case .socket: self = .socket
        case .directory: self = .directory
        default: self = .other
        }
    }
}

/// Pipe tuning for the tools.
package enum Pipes {
    /// Asks for a bigger pipe buffer when `descriptor` is a pipe, so the
    /// process at the other end hands over (or takes) more per wake-up.
    /// Best effort: a pipe the kernel will not enlarge works as before.
    package static func enlarge(_ descriptor: FileDescriptor, toBytes bytes: Int32 = 1 << 20) {
        guard FileKind(descriptor) == .pipe else { return }
        Platform.setPipeSize(descriptor, bytes: bytes)
    }
}

enum Platform {
    /// Outcome of one kernel-side copy call.
    enum KernelCopy {
        case moved(Int)
        case endOfInput
        /// Retry (EINTR, EAGAIN).
        case again
        case failed(Errno)
    }

    /// One `sendfile(2)` from the input's current offset.
    static func sendfile(from input: FileDescriptor, to output: FileDescriptor, count: Int) -> KernelCopy {
        #if os(Linux)
            return outcome(Glibc.sendfile(output.rawValue, input.rawValue, nil, count))
        #else
            return .failed(.noFunction)
        #endif
    }

    /// One `splice(2)`; one end must be a pipe.
    static func splice(from input: FileDescriptor, to output: FileDescriptor, count: Int) -> KernelCopy {
        outcome(cxen_splice(input.rawValue, output.rawValue, count))
    }

    private static func outcome(_ result: Int) -> KernelCopy {
        if result > 0 { return .moved(result) }
        if result == 0 { return .endOfInput }
        let error = Errno(rawValue: errno)
        if error == .interrupted || error == .resourceTemporarilyUnavailable { return .again }
        return .failed(error)
    }

    /// Asks for a pipe of `bytes` capacity; false where the kernel says no.
    @discardableResult
    static func setPipeSize(_ descriptor: FileDescriptor, bytes: Int32) -> Bool {
        cxen_set_pipe_size(descriptor.rawValue, bytes) >= 0
    }

    /// Whether `descriptor` is open in this process.
    static func isOpen(_ descriptor: FileDescriptor) -> Bool {
        fcntl(descriptor.rawValue, F_GETFD) != -1
    }

    /// A new file, mode 0600, made from `template` (ending in XXXXXX),
    /// close-on-exec. Returns the descriptor and the path chosen.
    static func makeTemporaryFile(template: String) throws(Errno) -> (FileDescriptor, String) {
        var bytes = Array(template.utf8CString)
        let fd = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            let fd = mkstemp(base)
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return fd
        }
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        let path = String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (FileDescriptor(rawValue: fd), path)
    }

    static func unlink(_ path: String) {
        _ = path.withCString { cUnlink($0) }
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// The C library's unlink(2), named apart from `Platform.unlink`.
private func cUnlink(_ path: UnsafePointer<CChar>) -> Int32 { unlink(path) }
