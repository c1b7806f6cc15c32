// The command-line layer's one import of the C library: the calls
// swift-system does not wrap (fsync, rename, unlink, umask, fchmod, syslog,
// signals, the environment), each as a small typed function.

import Glibc  // Linux only, as the package says
import SystemPackage

enum Host {
    /// A variable of the environment.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// A closed reader becomes a write error (EPIPE), not a death by SIGPIPE.
    static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Whether descriptor `number` is open in this process.
    static func isOpen(_ number: Int32) -> Bool {
        fcntl(number, F_GETFD) != -1
    }

    /// fsync(2).
    static func sync(_ descriptor: FileDescriptor) throws(Errno) {
        guard fsync(descriptor.rawValue) == 0 else { throw Errno(rawValue: errno) }
    }

    /// rename(2): replaces `target` in one step.
    static func rename(_ source: FilePath, to target: FilePath) throws(Errno) {
        guard Glibc.rename(source.string, target.string) == 0 else { throw Errno(rawValue: errno) }
    }

    /// unlink(2), best effort: for files being dropped.
    static func remove(_ path: FilePath) {
        _ = unlink(path.string)
    }

    /// The process's umask (read without changing it).
    static var creationMask: FilePermissions {
        let mask = umask(0)
        umask(mask)
        return FilePermissions(rawValue: mask)
    }

    /// fchmod(2), best effort.
    static func setPermissions(_ descriptor: FileDescriptor, _ permissions: FilePermissions) {
        _ = fchmod(descriptor.rawValue, permissions.rawValue)
    }

    /// Reads the time zone now: glibc opens its file on the first local
    /// time (syslog's timestamps), which the sandbox would refuse later.
    static func loadTimeZone() {
        tzset()
    }

    static func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }

    enum LogPriority {
        case info, error
    }

    /// Connects to syslog now (LOG_NDELAY), before the sandbox forbids
    /// making sockets.
    static func openSyslog(_ ident: String) {
        // openlog keeps the pointer: storage that lives as long as the process.
        openlog(strdup(ident), LOG_PID | LOG_NDELAY, LOG_USER)
    }

    /// One message's bytes, up to a NUL (syslog takes a C string).
    static func syslog(_ priority: LogPriority, _ message: [UInt8]) {
        let level = priority == .info ? LOG_INFO : LOG_ERR
        (Array(message.prefix { $0 != 0 }) + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                guard let cstr = chars.baseAddress else { return }
                withVaList([cstr]) { vsyslog(level, "%s", $0) }
            }
        }
    }
}
