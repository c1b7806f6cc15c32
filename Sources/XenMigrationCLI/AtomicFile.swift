import CXenPlatform
import SystemPackage
import XenMigration

/// A file written whole or not at all: a temporary file beside the target,
/// renamed over it by `commit` (after fsync), removed by `abandon`, by a
/// failure or by a signal. It is made when the run is set up, before the
/// sandbox forbids opening files. A target that exists and is not a regular
/// file (a device, a FIFO) cannot be renamed over: it is opened and
/// written in place. Used for the output, `--report` and `--config-out`.
final class AtomicFile {
    let descriptor: FileDescriptor
    /// The temporary file; nil when writing in place.
    let temporaryPath: String?
    let finalPath: String

    private init(descriptor: FileDescriptor, temporaryPath: String?, finalPath: String) {
        self.descriptor = descriptor
        self.temporaryPath = temporaryPath
        self.finalPath = finalPath
    }

    /// What exists at `path` now, if anything.
    static func existing(_ path: String) -> SystemPackage.Stat? { try? FilePath(path).stat() }

    /// Prepares `path`. `mode` is a new file's mode before the umask; a file
    /// that exists keeps its own. `SignalCleanup` learns the temporary file's
    /// name before the file exists, so a signal at any moment finds it.
    static func create(_ path: String, mode: mode_t) throws(Errno) -> AtomicFile {
        let st = existing(path)
        if st?.type == .directory { throw .isDirectory }
        if let st, st.type != .regular {
            let fd: FileDescriptor
            do {
                fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.truncate, .closeOnExec])
            } catch {
                throw (error as? Errno) ?? .ioError
            }
            return AtomicFile(descriptor: fd, temporaryPath: nil, finalPath: path)
        }
        let target = FilePath(path)
        let directory = target.removingLastComponent().isEmpty ? "." : target.removingLastComponent().string
        let base = target.lastComponent?.string ?? "output"
        // The name is made here, not by mkstemp, so that it is registered
        // for removal before the file is created.
        var fd: Int32 = -1
        var temporary = ""
        var error: Int32 = 0
        for _ in 0..<100 where fd < 0 {
            temporary = "\(directory)/.\(base).partial.\(randomSuffix())"
            SignalCleanup.register(temporary)
            fd = temporary.withCString { Glibc.open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
            if fd < 0 {
                error = errno
                SignalCleanup.unregister(temporary)
                guard error == EEXIST else { break }
            }
        }
        guard fd >= 0 else { throw Errno(rawValue: error) }
        // Made 0600; give the file the mode open() would have.
        let mask = umask(0)
        umask(mask)
        fchmod(fd, st.map { mode_t($0.permissions.rawValue) } ?? (mode & ~mask))
        return AtomicFile(
            descriptor: FileDescriptor(rawValue: fd), temporaryPath: temporary, finalPath: path)
    }

    /// Writes all of `bytes` (waiting if the descriptor is non-blocking).
    func write(_ bytes: UnsafeRawBufferPointer) throws(StreamError) {
        try FileDescriptorSink(descriptor).write(bytes)
    }

    /// Makes the file final: fsync, close and rename a temporary file.
    func commit() throws(OpenError) {
        guard let temporaryPath else { return }
        if fsync(descriptor.rawValue) != 0 {
            let e = Errno(rawValue: errno)
            abandon()
            throw OpenError(message: "Write error: \(e)")
        }
        try? descriptor.close()
        defer { SignalCleanup.unregister(temporaryPath) }
        if rename(temporaryPath, finalPath) != 0 {
            let e = Errno(rawValue: errno)
            unlink(temporaryPath)
            throw OpenError(message: "Unable to rename '\(temporaryPath)' to '\(finalPath)': \(e)")
        }
    }

    /// Drops what was written: a temporary file is removed.
    func abandon() {
        guard let temporaryPath else { return }
        try? descriptor.close()
        unlink(temporaryPath)
        SignalCleanup.unregister(temporaryPath)
    }
}

/// Where `--report` or `--config-out` goes: standard output for `-`, else
/// a file prepared at set-up, or why it could not be (told when the file
/// would be written, after the stream, as before the sandbox).
enum SideFile {
    case standardOutput
    case file(AtomicFile)
    case failed(Errno)

    static func prepare(_ path: String, mode: mode_t) -> SideFile {
        if path == "-" { return .standardOutput }
        do {
            return .file(try AtomicFile.create(path, mode: mode))
        } catch {
            return .failed(error)
        }
    }

    /// Writes `bytes` and makes the file final; the message on failure.
    func write(_ bytes: [UInt8]) -> String? {
        switch self {
        case .standardOutput:
            bytes.withUnsafeBytes { try? FileDescriptorSink(.standardOutput).write($0) }
            return nil
        case .failed(let error):
            return "\(error)"
        case .file(let file):
            do {
                try bytes.withUnsafeBytes { buffer in Result { () throws(StreamError) in try file.write(buffer) } }
                    .get()
            } catch {
                file.abandon()
                return error.description
            }
            do {
                try file.commit()
            } catch {
                return error.message
            }
            return nil
        }
    }

    func abandon() {
        if case .file(let file) = self { file.abandon() }
    }
}

/// Six random letters and digits for a temporary name.
private func randomSuffix() -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    var generator = SystemRandomNumberGenerator()
    return String((0..<6).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
}

/// On SIGTERM, SIGINT or SIGHUP (libxl aborts with SIGTERM): remove the
/// partial files there are yet, and exit at once (status 128 + the signal).
/// The handlers and the list of files are in CXenPlatform's cleanup.c, as a
/// signal handler can reach only global state. Installed before any file is
/// made, so there is no moment in which a signal leaves a partial file
/// behind; in the sandbox too, where unlink stays allowed.
enum SignalCleanup {
    static func install() {
        _ = cxen_cleanup_install()
    }

    /// A file to remove on a signal, named before it is created.
    static func register(_ path: String) {
        _ = cxen_cleanup_register(path)
    }

    /// A file no longer to remove (renamed into place, or removed).
    static func unregister(_ path: String) {
        cxen_cleanup_unregister(path)
    }
}
