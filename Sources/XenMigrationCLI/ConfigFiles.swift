import SystemPackage
import XenMigration

/// The domain config files of `--config` (read, bounded) and
/// `--config-out` (written whole or not at all).
enum ConfigFiles {
    /// The largest `--config` file: xl configs are a few KiB.
    static let maxBytes = Xend.maxConfigLength

    struct Failure: Error {
        var message: String
    }

    /// Reads `path`, refusing a file over `maxBytes` without reading past the bound.
    static func read(_ path: String) throws(Failure) -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw Failure(message: "Unable to read config '\(path)': \(error)")
        }
        defer { try? fd.close() }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try fd.read(into: $0) }
            } catch {
                throw Failure(message: "Unable to read config '\(path)': \(error)")
            }
            if n == 0 { return out }
            guard out.count + n <= maxBytes else {
                throw Failure(message: "Config '\(path)' is over the \(maxBytes)-byte limit (1 MiB)")
            }
            out += buffer[0..<n]
        }
    }

    /// Writes `bytes` to `path` through a temporary file in the same
    /// directory and a rename, so `path` never holds part of it; `-` is
    /// standard output.
    static func write(_ bytes: [UInt8], to path: String, cleanup: SignalCleanup) throws(Failure) {
        if path == "-" {
            _ = try? FileDescriptor.standardOutput.writeAll(bytes)
            return
        }
        let target = FilePath(path)
        let directory = target.removingLastComponent().isEmpty ? "." : target.removingLastComponent().string
        let temporary = "\(directory)/.\(target.lastComponent?.string ?? "config").partial.\(getpid())"
        cleanup.register(temporary)
        defer { cleanup.register(nil) }
        do {
            let fd = try FileDescriptor.open(
                FilePath(temporary), .writeOnly,
                options: [.create, .truncate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
            try fd.closeAfter { _ = try fd.writeAll(bytes) }
        } catch {
            unlink(temporary)
            throw Failure(message: "Unable to write config '\(path)': \(error)")
        }
        if rename(temporary, path) != 0 {
            let e = Errno(rawValue: errno)
            unlink(temporary)
            throw Failure(message: "Unable to write config '\(path)': \(e)")
        }
    }
}
