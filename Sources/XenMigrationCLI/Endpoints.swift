import Dispatch
import Synchronization
import SystemPackage
import XenMigration

/// A failure to open an input or output, reported before any conversion.
struct OpenError: Error {
    var message: String
}

/// Opens what `-i`/`-o` name: `-` for standard input/output, a value made
/// only of decimal digits for an inherited descriptor, anything else a path.
enum Endpoint {
    static func isDescriptorNumber(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `-o` naming standard output: `-`, or descriptor 1 (as `-o 1`).
    static func isStandardOutput(_ value: String) -> Bool {
        value == "-" || (isDescriptorNumber(value) && Int(value) == 1)
    }

    static func descriptor(_ value: String) throws(OpenError) -> FileDescriptor {
        guard let number = Int32(value), fcntl(number, F_GETFD) != -1 else {
            throw OpenError(message: "Unable to open fd \(value): \(Errno(rawValue: EBADF))")
        }
        return FileDescriptor(rawValue: number)
    }

    /// XEN_STREAM_NO_ZEROCOPY=1 forces buffered copies: an escape hatch,
    /// and how the tests prove both copy paths write the same bytes.
    static var allowZeroCopy: Bool { getenv("XEN_STREAM_NO_ZEROCOPY") == nil }

    static func openInput(_ value: String) throws(OpenError) -> FileDescriptor {
        let fd = try openInputDescriptor(value)
        Pipes.enlarge(fd)
        return fd
    }

    private static func openInputDescriptor(_ value: String) throws(OpenError) -> FileDescriptor {
        if value == "-" { return .standardInput }
        if isDescriptorNumber(value) { return try descriptor(value) }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(value), .readOnly, options: [.closeOnExec])
        } catch {
            throw OpenError(message: "Unable to open file '\(value)': \(error)")
        }
        if (try? fd.stat().type) == .directory {
            try? fd.close()
            throw OpenError(message: "Unable to open file '\(value)': \(Errno.isDirectory)")
        }
        return fd
    }

    /// Size of a regular-file input, for progress percentages.
    static func regularFileSize(_ fd: FileDescriptor) -> UInt64? {
        guard let st = try? fd.stat(), st.type == .regular else { return nil }
        return UInt64(st.size)
    }

    /// Device and inode of a regular file: tells whether two names are one file.
    static func identity(_ fd: FileDescriptor) -> (UInt64, UInt64)? {
        guard let st = try? fd.stat(), st.type == .regular else { return nil }
        return (UInt64(st.deviceID.rawValue), UInt64(st.inode.rawValue))
    }
}

/// The output of a conversion. A path that is (or will be) a regular file
/// is written through a temporary file in the same directory, renamed over
/// the target only when the conversion succeeds; anything else (a
/// descriptor, a pipe, a device) is written directly.
final class OutputTarget {
    let descriptor: FileDescriptor
    private let temporaryPath: String?
    private let finalPath: String?

    private init(descriptor: FileDescriptor, temporaryPath: String?, finalPath: String?) {
        self.descriptor = descriptor
        self.temporaryPath = temporaryPath
        self.finalPath = finalPath
    }

    /// `cleanup` learns the temporary file's name before the file exists,
    /// so a signal at any moment finds it (install its handlers first).
    static func open(_ value: String, input: FileDescriptor, cleanup: SignalCleanup) throws(OpenError) -> OutputTarget {
        if value == "-" { return OutputTarget(descriptor: .standardOutput, temporaryPath: nil, finalPath: nil) }
        if Endpoint.isDescriptorNumber(value) {
            return OutputTarget(descriptor: try Endpoint.descriptor(value), temporaryPath: nil, finalPath: nil)
        }
        let st = try? FilePath(value).stat()
        if st?.type == .directory {
            throw OpenError(message: "Unable to open file '\(value)': \(Errno.isDirectory)")
        }
        if let st, st.type != .regular {
            // A device or FIFO: no rename is possible, write it in place.
            do {
                let fd = try FileDescriptor.open(FilePath(value), .writeOnly, options: [.truncate, .closeOnExec])
                return OutputTarget(descriptor: fd, temporaryPath: nil, finalPath: nil)
            } catch {
                throw OpenError(message: "Unable to open file '\(value)': \(error)")
            }
        }
        if let st, let (dev, ino) = Endpoint.identity(input), UInt64(st.deviceID.rawValue) == dev,
            UInt64(st.inode.rawValue) == ino
        {
            throw OpenError(message: "Refusing to write '\(value)': it is the input file")
        }

        let path = FilePath(value)
        let directory = path.removingLastComponent().isEmpty ? "." : path.removingLastComponent().string
        let base = path.lastComponent?.string ?? "output"
        // The name is made here, not by mkstemp, so that it is registered
        // for removal before the file is created.
        var fd: Int32 = -1
        var temporary = ""
        for _ in 0..<100 where fd < 0 {
            temporary = "\(directory)/.\(base).partial.\(randomSuffix())"
            cleanup.register(temporary)
            fd = temporary.withCString { Glibc.open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
            if fd < 0 {
                let error = errno
                cleanup.register(nil)
                guard error == EEXIST else { break }
            }
        }
        guard fd >= 0 else {
            throw OpenError(message: "Unable to open file '\(value)': \(Errno(rawValue: errno))")
        }
        // Made 0600; give the file the mode open() would have.
        let mask = umask(0)
        umask(mask)
        let mode = st.map { mode_t($0.permissions.rawValue) } ?? (0o666 & ~mask)
        fchmod(fd, mode)
        return OutputTarget(descriptor: FileDescriptor(rawValue: fd), temporaryPath: temporary, finalPath: value)
    }

    /// Makes the output final: fsync and rename for a temporary file.
    func commit() throws(OpenError) {
        guard let temporaryPath, let finalPath else { return }
        if fsync(descriptor.rawValue) != 0 {
            let e = Errno(rawValue: errno)
            abandon()
            throw OpenError(message: "Write error: \(e)")
        }
        try? descriptor.close()
        if rename(temporaryPath, finalPath) != 0 {
            let e = Errno(rawValue: errno)
            unlink(temporaryPath)
            throw OpenError(message: "Unable to rename '\(temporaryPath)' to '\(finalPath)': \(e)")
        }
    }

    /// Drops a failed conversion's output.
    func abandon() {
        guard let temporaryPath else { return }
        try? descriptor.close()
        unlink(temporaryPath)
    }
}

/// Six random letters and digits for a temporary name.
private func randomSuffix() -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    var generator = SystemRandomNumberGenerator()
    return String((0..<6).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
}

/// On SIGTERM, SIGINT or SIGHUP (libxl aborts with SIGTERM): remove the
/// partial output file, if there is one yet, and exit at once. Installed
/// before the output is opened, so there is no moment in which a signal
/// leaves a partial file behind.
final class SignalCleanup {
    /// The file to remove, shared with the signal handlers.
    private final class Registered: Sendable {
        let path = Mutex<String?>(nil)
    }

    private let registered = Registered()
    private var sources: [DispatchSourceSignal] = []

    func install() {
        for signo in [SIGTERM, SIGINT, SIGHUP] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [registered] in
                registered.path.withLock { if let path = $0 { _ = unlink(path) } }
                _exit(128 + signo)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The file to remove (nil: none), set before the file is created.
    func register(_ file: String?) {
        registered.path.withLock { $0 = file }
    }
}
