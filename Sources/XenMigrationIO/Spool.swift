import SystemPackage
import XenHost
import XenMigrationFormat

/// The rest of an input, parked in a temporary file without a name: so its
/// length is known before it is written out (where the format puts a length
/// in front of data whose end is the end of the input), or so an input that
/// cannot seek (a pipe) can be read twice (the generator's `--from-saved`).
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

    /// The rest of `reader`, up to its end.
    package init(restOf reader: StreamReader, allowZeroCopy: Bool = true) throws(StreamError) {
        descriptor = try Spool.anonymousFile()
        do {
            let writer = StreamWriter(FileDescriptorSink(descriptor))
            size = try Transfer(from: reader, to: writer, allowZeroCopy: allowZeroCopy).copyToEnd()
            try writer.flush()
        } catch {
            try? descriptor.close()
            throw error
        }
    }

    convenience init(restOf transfer: Transfer) throws(StreamError) {
        try self.init(restOf: transfer.reader, allowZeroCopy: transfer.allowZeroCopy)
    }

    deinit { try? descriptor.close() }

    /// A reader of the spooled bytes from their start; the spool can be
    /// read again, so each call rewinds.
    package func rewound(readAhead: StreamReader.ReadAhead? = nil) throws(StreamError) -> StreamReader {
        do {
            _ = try descriptor.seek(offset: 0, from: .start)
        } catch {
            throw StreamError(io: "Cannot rewind the temporary file", error)
        }
        return StreamReader(FileDescriptorSource(descriptor), readAhead: readAhead)
    }

    /// Writes the spooled bytes to `writer`.
    func copy(to writer: StreamWriter, allowZeroCopy: Bool) throws(StreamError) {
        try Transfer(from: try rewound(), to: writer, allowZeroCopy: allowZeroCopy).copy(
            size, "spooled device model data")
    }
}
