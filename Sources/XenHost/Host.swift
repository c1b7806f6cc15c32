// The package's one import of the C library: every system call the
// library and the tools make beyond swift-system's is wrapped here, with
// one policy for EINTR and EAGAIN (`whenReady`).

import CXenPlatform
import Glibc  // Linux only, as the package says
import SystemPackage

/// What kind of file a descriptor refers to, as far as moving bytes cares.
package enum FileKind {
    case regular, pipe, socket, directory, other

    /// From fstat(2) on the descriptor alone (no path), which a confined
    /// tool may still call.
    package init(_ descriptor: FileDescriptor) {
        let type = cxen_file_type(descriptor.rawValue)
        switch mode_t(bitPattern: type) {
        case _ where type < 0: self = .other
        case S_IFREG: self = .regular
        case S_IFIFO: self = .pipe
        case S_IFSOCK: self = .socket
        case S_IFDIR: self = .directory
        default: self = .other
        }
    }
}

package enum Host {
    /// Outcome of one kernel-side copy call.
    package enum KernelCopy {
        case moved(Int)
        case endOfInput
        case failed(Errno)
    }

    /// One `read(2)`, as many bytes as the descriptor has ready (0 at end of input).
    package static func read(_ descriptor: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno)
        -> Int
    {
        let result = whenReady(input: descriptor, output: nil) {
            Glibc.read(descriptor.rawValue, buffer.baseAddress, buffer.count)
        }
        guard result >= 0 else { throw Errno(rawValue: errno) }
        return result
    }

    /// One `write(2)`; may take fewer bytes than given.
    package static func write(_ descriptor: FileDescriptor, _ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
        let result = whenReady(input: nil, output: descriptor) {
            Glibc.write(descriptor.rawValue, buffer.baseAddress, buffer.count)
        }
        guard result >= 0 else { throw Errno(rawValue: errno) }
        return result
    }

    /// One `sendfile(2)` from the input's current offset.
    package static func sendfile(from input: FileDescriptor, to output: FileDescriptor, count: Int) -> KernelCopy {
        outcome(whenReady(input: input, output: output) { Glibc.sendfile(output.rawValue, input.rawValue, nil, count) })
    }

    /// One `splice(2)`; one end must be a pipe.
    package static func splice(from input: FileDescriptor, to output: FileDescriptor, count: Int) -> KernelCopy {
        outcome(whenReady(input: input, output: output) { cxen_splice(input.rawValue, output.rawValue, count) })
    }

    /// One `tee(2)`: copies what the input pipe holds, up to `count` bytes,
    /// into the output pipe and leaves it in the input. Waits while the
    /// input pipe is empty; `.endOfInput` when it is empty for good.
    package static func tee(from input: FileDescriptor, to output: FileDescriptor, count: Int) -> KernelCopy {
        outcome(whenReady(input: input, output: output) { cxen_tee(input.rawValue, output.rawValue, count) })
    }

    /// A new pipe, both ends close-on-exec.
    package static func makePipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        var ends: [Int32] = [-1, -1]
        guard cxen_pipe_cloexec(&ends) == 0 else { throw Errno(rawValue: errno) }
        return (FileDescriptor(rawValue: ends[0]), FileDescriptor(rawValue: ends[1]))
    }

    private static func outcome(_ result: Int) -> KernelCopy {
        if result > 0 { return .moved(result) }
        if result == 0 { return .endOfInput }
        return .failed(Errno(rawValue: errno))
    }

    /// Runs one read, write or copy call until it neither is interrupted
    /// (EINTR) nor finds its descriptors not ready (EAGAIN). A descriptor
    /// handed over by a caller may be non-blocking: `O_NONBLOCK` belongs to
    /// the open file, shared with every process holding it, so it is never
    /// changed here; after EAGAIN, poll(2) waits until `input` is readable
    /// and `output` writable, and the call is made again. This is the one
    /// place that handles EAGAIN, and it costs nothing until a call fails.
    /// Returns the call's result: -1 with `errno` set for any other error,
    /// or for EAGAIN if poll itself fails.
    @inline(__always)
    private static func whenReady(input: FileDescriptor?, output: FileDescriptor?, _ call: () -> Int) -> Int {
        while true {
            let result = call()
            if result >= 0 { return result }
            let error = errno
            if error == EINTR { continue }
            guard error == EAGAIN || error == EWOULDBLOCK,
                waitUntil(input, .readable), waitUntil(output, .writable)
            else {
                errno = error
                return result
            }
        }
    }

    private enum Readiness { case readable, writable }

    /// Blocks until `descriptor` (if any) is ready; false if poll fails.
    private static func waitUntil(_ descriptor: FileDescriptor?, _ readiness: Readiness) -> Bool {
        guard let descriptor else { return true }
        var entry = pollfd(
            fd: descriptor.rawValue, events: Int16(readiness == .readable ? POLLIN : POLLOUT), revents: 0)
        while true {
            // Ready, at end of input, or in error: the retried call tells which.
            if poll(&entry, 1, -1) >= 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Asks for a pipe of `bytes` capacity; false where the kernel says no.
    @discardableResult
    package static func setPipeSize(_ descriptor: FileDescriptor, bytes: Int32) -> Bool {
        cxen_set_pipe_size(descriptor.rawValue, bytes) >= 0
    }

    /// Whether descriptor `number` is open in this process.
    package static func isOpen(_ number: Int32) -> Bool {
        fcntl(number, F_GETFD) != -1
    }

    /// A new file, mode 0600, made from `template` (ending in XXXXXX),
    /// close-on-exec. Returns the descriptor and the path chosen.
    package static func makeTemporaryFile(template: String) throws(Errno) -> (FileDescriptor, String) {
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

    /// A read-write file that no other process can reach, in `directory`:
    /// one without a name (O_TMPFILE, which a confined tool may still
    /// create), or where the file system cannot, a temporary file removed
    /// at once.
    package static func makeAnonymousFile(in directory: String) throws(Errno) -> FileDescriptor {
        let fd = directory.withCString { cxen_open_anonymous($0) }
        if fd >= 0 { return FileDescriptor(rawValue: fd) }
        let error = Errno(rawValue: errno)
        guard [.notSupported, .isDirectory, .invalidArgument, .noFunction].contains(error) else { throw error }
        let (descriptor, path) = try makeTemporaryFile(template: directory + "/convert-legacy-stream.XXXXXX")
        remove(FilePath(path))
        return descriptor
    }

    /// unlink(2), best effort: for files being dropped.
    package static func remove(_ path: FilePath) {
        _ = unlink(path.string)
    }

    /// A variable of the environment.
    package static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// A closed reader becomes a write error (EPIPE), not a death by SIGPIPE.
    package static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// fsync(2).
    package static func sync(_ descriptor: FileDescriptor) throws(Errno) {
        guard fsync(descriptor.rawValue) == 0 else { throw Errno(rawValue: errno) }
    }

    /// rename(2): replaces `target` in one step.
    package static func rename(_ source: FilePath, to target: FilePath) throws(Errno) {
        guard Glibc.rename(source.string, target.string) == 0 else { throw Errno(rawValue: errno) }
    }

    /// The process's umask (read without changing it).
    package static var creationMask: FilePermissions {
        let mask = umask(0)
        umask(mask)
        return FilePermissions(rawValue: mask)
    }

    /// fchmod(2), best effort.
    package static func setPermissions(_ descriptor: FileDescriptor, _ permissions: FilePermissions) {
        _ = fchmod(descriptor.rawValue, permissions.rawValue)
    }

    /// Reads the time zone now: glibc opens its file on the first local
    /// time (syslog's timestamps), which the sandbox would refuse later.
    package static func loadTimeZone() {
        tzset()
    }

    package static func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }

    package enum LogPriority {
        case info, error
    }

    /// Connects to syslog now (LOG_NDELAY), before the sandbox forbids
    /// making sockets.
    package static func openSyslog(_ ident: String) {
        // openlog keeps the pointer: storage that lives as long as the process.
        openlog(strdup(ident), LOG_PID | LOG_NDELAY, LOG_USER)
    }

    /// One message's bytes, up to a NUL (syslog takes a C string).
    package static func syslog(_ priority: LogPriority, _ message: [UInt8]) {
        let level = priority == .info ? LOG_INFO : LOG_ERR
        (Array(message.prefix { $0 != 0 }) + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                guard let cstr = chars.baseAddress else { return }
                withVaList([cstr]) { vsyslog(level, "%s", $0) }
            }
        }
    }
}
