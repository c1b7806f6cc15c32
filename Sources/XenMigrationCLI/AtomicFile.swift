import CXenPlatform
import SystemPackage
import XenHost
import XenMigration

/// A file written whole or not at all: a temporary file beside the target,
/// renamed over it by `commit` (after fsync), removed by `abandon`, by a
/// failure or by a signal. It is made when the run is set up, before the
/// sandbox forbids opening files. A target that exists and is not a regular
/// file (a device, a FIFO) cannot be renamed over: it is opened and
/// written in place. The one way the tools make the output, `--report` and
/// `--config-out`.
final class AtomicFile {
    let descriptor: FileDescriptor
    /// The temporary file; nil when writing in place.
    let temporaryPath: FilePath?
    let finalPath: FilePath
    /// Committed or abandoned: nothing more to do.
    private var settled = false

    private init(descriptor: FileDescriptor, temporaryPath: FilePath?, finalPath: FilePath) {
        self.descriptor = descriptor
        self.temporaryPath = temporaryPath
        self.finalPath = finalPath
    }

    /// What exists at `path` now, if anything.
    static func existing(_ path: FilePath) -> SystemPackage.Stat? { try? path.stat() }

    /// Prepares `path`. `mode` is a new file's mode before the umask; a file
    /// that exists keeps its own. `SignalCleanup` learns the temporary file's
    /// name before the file exists, so a signal at any moment finds it.
    static func create(_ path: FilePath, mode: FilePermissions) throws(Errno) -> AtomicFile {
        let st = existing(path)
        if st?.type == .directory { throw .isDirectory }
        if let st, st.type != .regular {
            let fd = try open(path, options: [.truncate, .closeOnExec], permissions: nil)
            return AtomicFile(descriptor: fd, temporaryPath: nil, finalPath: path)
        }
        let directory = path.removingLastComponent().isEmpty ? FilePath(".") : path.removingLastComponent()
        let base = path.lastComponent?.string ?? "output"
        // The name is made here, not by mkstemp, so that it is registered
        // for removal before the file is created.
        var lastError = Errno.fileExists
        for _ in 0..<100 {
            let temporary = directory.appending(".\(base).partial.\(randomSuffix())")
            SignalCleanup.register(temporary)
            do throws(Errno) {
                let fd = try open(
                    temporary, options: [.create, .exclusiveCreate, .closeOnExec], permissions: .ownerReadWrite)
                // Made 0600; give the file the mode open() would have.
                Host.setPermissions(fd, st?.permissions ?? mode.subtracting(Host.creationMask))
                return AtomicFile(descriptor: fd, temporaryPath: temporary, finalPath: path)
            } catch {
                SignalCleanup.unregister(temporary)
                lastError = error
                guard error == .fileExists else { break }
            }
        }
        throw lastError
    }

    private static func open(
        _ path: FilePath, options: FileDescriptor.OpenOptions, permissions: FilePermissions?
    ) throws(Errno) -> FileDescriptor {
        do {
            return try FileDescriptor.open(path, .writeOnly, options: options, permissions: permissions)
        } catch {
            throw (error as? Errno) ?? .ioError
        }
    }

    /// Writes all of `bytes` (waiting if the descriptor is non-blocking).
    func write(_ bytes: UnsafeRawBufferPointer) throws(StreamError) {
        try FileDescriptorSink(descriptor).write(bytes)
    }

    /// Makes the file final: fsync, close and rename a temporary file.
    func commit() throws(ToolFailure) {
        guard let temporaryPath, !settled else { return }
        do throws(Errno) {
            try Host.sync(descriptor)
        } catch {
            abandon()
            throw ToolFailure(.output, "Write error: \(error)")
        }
        settled = true
        try? descriptor.close()
        defer { SignalCleanup.unregister(temporaryPath) }
        do throws(Errno) {
            try Host.rename(temporaryPath, to: finalPath)
        } catch {
            Host.remove(temporaryPath)
            throw ToolFailure(.output, "Unable to rename '\(temporaryPath)' to '\(finalPath)': \(error)")
        }
    }

    /// Drops what was written: a temporary file is removed. Nothing once
    /// committed.
    func abandon() {
        guard let temporaryPath, !settled else { return }
        settled = true
        try? descriptor.close()
        Host.remove(temporaryPath)
        SignalCleanup.unregister(temporaryPath)
    }
}

/// Where `--report` or `--config-out` goes: standard output for `-`, else
/// a file prepared at set-up, or why it could not be (told when the file
/// would be written, after the stream, as before the sandbox).
struct SideFile {
    enum Place {
        case standardOutput
        case file(AtomicFile)
        case failed(Errno)
    }

    /// How messages name it: "report", "config".
    let label: String
    let path: String
    let place: Place

    static func prepare(_ path: String, label: String, mode: FilePermissions) -> SideFile {
        if path == "-" { return SideFile(label: label, path: path, place: .standardOutput) }
        do throws(Errno) {
            return SideFile(label: label, path: path, place: .file(try AtomicFile.create(FilePath(path), mode: mode)))
        } catch {
            return SideFile(label: label, path: path, place: .failed(error))
        }
    }

    /// `Unable to write report 'r.json': No such file or directory`.
    func failure(_ why: String) -> ToolFailure {
        ToolFailure(.output, "Unable to write \(label) '\(path)': \(why)")
    }

    /// Writes `bytes` and makes the file final.
    func write(_ bytes: [UInt8]) throws(ToolFailure) {
        switch place {
        case .standardOutput:
            bytes.withUnsafeBytes { try? FileDescriptorSink(.standardOutput).write($0) }
        case .failed(let error):
            throw failure("\(error)")
        case .file(let file):
            let written = bytes.withUnsafeBytes { buffer in Result { () throws(StreamError) in try file.write(buffer) }
            }
            if case .failure(let error) = written {
                file.abandon()
                throw failure(error.description)
            }
            do throws(ToolFailure) {
                try file.commit()
            } catch {
                throw failure(error.message)
            }
        }
    }

    func abandon() {
        if case .file(let file) = place { file.abandon() }
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
    static func register(_ path: FilePath) {
        _ = cxen_cleanup_register(path.string)
    }

    /// A file no longer to remove (renamed into place, or removed).
    static func unregister(_ path: FilePath) {
        cxen_cleanup_unregister(path.string)
    }
}
