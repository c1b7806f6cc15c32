import SystemPackage
import XenHost
import XenMigrationFormat

/// The rest of an input, parked in a temporary file without a name so its
/// length is known before it is written out. Used only where the format puts a
/// length in front of data whose end is the end of the input.
package final class Spool {
    private let descriptor: FileDescriptor
    package let size: UInt64

    /// A temporary file without a name, in `TMPDIR` (or /tmp): gone when closed.
    package static func anonymousFile() throws(StreamError) -> FileDescriptor {
        let directory = Host.environment("TMPDIR") ?? "/tmp"
        do {
            return try Host.makeAnonymousFile(in: directory)
        } catch {
            throw StreamError(io: "Cannot create a temporary file in \(directory)", error)
        }
    }

    init(restOf transfer: Transfer) throws(StreamError) {
        descriptor = try Spool.anonymousFile()
        do {
            let writer = StreamWriter(FileDescriptorSink(descriptor))
            size = try Transfer(from: transfer.reader, to: writer, allowZeroCopy: transfer.allowZeroCopy).copyToEnd()
            try writer.flush()
        } catch {
            try? descriptor.close()
            throw error
        }
    }

    deinit { try? descriptor.close() }

    /// Writes the spooled bytes to `writer`.
    func copy(to writer: StreamWriter, allowZeroCopy: Bool) throws(StreamError) {
        do {
            _ = try descriptor.seek(offset: 0, from: .start)
        } catch {
            throw StreamError(io: "Cannot rewind the temporary file", error)
        }
        let reader = StreamReader(FileDescriptorSource(descriptor))
        try Transfer(from: reader, to: writer, allowZeroCopy: allowZeroCopy).copy(size, "spooled device model data")
    }
}
