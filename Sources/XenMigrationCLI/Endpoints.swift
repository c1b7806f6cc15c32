import Dispatch
import SystemPackage
import XenMigration

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
        var st = stat()
        if fstat(fd.rawValue, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            try? fd.close()
            throw OpenError(message: "Unable to open file '\(value)': \(Errno.isDirectory)")
        }
        return fd
    }

    /// Size of a regular-file input, for progress percentages.
    static func regularFileSize(_ fd: FileDescriptor) -> UInt64? {
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return UInt64(st.st_size)
    }

    static func identity(_ fd: FileDescriptor) -> (UInt64, UInt64)? {
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
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
    private var signalSources: [DispatchSourceSignal] = []

    private init(descriptor: FileDescriptor, temporaryPath: String?, finalPath: String?) {
        self.descriptor = descriptor
        self.temporaryPath = temporaryPath
        self.finalPath = finalPath
    }

    static func open(_ value: String, input: FileDescriptor) throws(OpenError) -> OutputTarget {
        if value == "-" { return OutputTarget(descriptor: .standardOutput, temporaryPath: nil, finalPath: nil) }
        if Endpoint.isDescriptorNumber(value) {
            return OutputTarget(descriptor: try Endpoint.descriptor(value), temporaryPath: nil, finalPath: nil)
        }
        var st = stat()
        let exists = stat(value, &st) == 0
        if exists && (st.st_mode & S_IFMT) == S_IFDIR {
            throw OpenError(message: "Unable to open file '\(value)': \(Errno.isDirectory)")
        }
        if exists && (st.st_mode & S_IFMT) != S_IFREG {
            // A device or FIFO: no rename is possible, write it in place.
            do {
                let fd = try FileDescriptor.open(FilePath(value), .writeOnly, options: [.truncate, .closeOnExec])
                return OutputTarget(descriptor: fd, temporaryPath: nil, finalPath: nil)
            } catch {
                throw OpenError(message: "Unable to open file '\(value)': \(error)")
            }
        }
        if exists, let (dev, ino) = Endpoint.identity(input), UInt64(st.st_dev) == dev, UInt64(st.st_ino) == ino {
            throw OpenError(message: "Refusing to write '\(value)': it is the input file")
        }

        let path = FilePath(value)
        let directory = path.removingLastComponent().isEmpty ? "." : path.removingLastComponent().string
        let base = path.lastComponent?.string ?? "output"
        var template = Array("\(directory)/.\(base).partial.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            let fd = mkstemp(base)
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return fd
        }
        guard fd >= 0 else {
            throw OpenError(message: "Unable to open file '\(value)': \(Errno(rawValue: errno))")
        }
        let temporary = template.withUnsafeBufferPointer { buffer in
            String(decoding: buffer.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        // mkstemp makes 0600; give the file the mode open() would have.
        let mask = umask(0)
        umask(mask)
        let mode = exists ? (st.st_mode & 0o7777) : (0o666 & ~mask)
        fchmod(fd, mode)
        return OutputTarget(descriptor: FileDescriptor(rawValue: fd), temporaryPath: temporary, finalPath: value)
    }

    /// On SIGTERM or SIGINT (libxl aborts with SIGTERM), remove the
    /// temporary file and exit at once.
    func removeOnSignals() {
        let path = temporaryPath
        for signo in [SIGTERM, SIGINT, SIGHUP] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                if let path { unlink(path) }
                _exit(128 + signo)
            }
            source.resume()
            signalSources.append(source)
        }
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
