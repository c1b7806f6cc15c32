import SystemPackage
import XenMigration

/// The domain config file of `--config` (read, bounded). `--config-out`
/// is a `SideFile`, written whole or not at all.
enum ConfigFiles {
    /// The largest `--config` file: xl configs are a few KiB.
    static let maxBytes = Xend.maxConfigLength

    /// Reads `path`, refusing a file over `maxBytes` without reading past the bound.
    static func read(_ path: String) throws(ToolFailure) -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw ToolFailure(.setUp, "Unable to read config '\(path)': \(error)")
        }
        defer { try? fd.close() }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try fd.read(into: $0) }
            } catch {
                throw ToolFailure(.setUp, "Unable to read config '\(path)': \(error)")
            }
            if n == 0 { return out }
            guard out.count + n <= maxBytes else {
                throw ToolFailure(.setUp, "Config '\(path)' is over the \(maxBytes)-byte limit (1 MiB)")
            }
            out += buffer[0..<n]
        }
    }
}
