import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The rest of an input, parked in an unlinked temporary file so its length
/// is known before it is written out. Used only where the format puts a
/// length in front of data whose end is the end of the input.
final class Spool {
    private let descriptor: FileDescriptor
    let size: UInt64

    init(reading reader: StreamReader) throws {
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((dir + "/convert-legacy-stream.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        guard fd >= 0 else {
            throw StreamError(.io, "Cannot create a temporary file in \(dir): \(Errno(rawValue: errno))")
        }
        template.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { _ = unlink(base) }
        }
        descriptor = FileDescriptor(rawValue: fd)
        do {
            let writer = StreamWriter(FileDescriptorSink(descriptor))
            size = try reader.copyToEnd(to: writer)
            try writer.flush()
        } catch {
            try? descriptor.close()
            throw error
        }
    }

    deinit { try? descriptor.close() }

    func copy(to writer: StreamWriter) throws {
        do {
            _ = try descriptor.seek(offset: 0, from: .start)
        } catch {
            throw StreamError(.io, "Cannot rewind the temporary file: \(error)")
        }
        let reader = StreamReader(FileDescriptorSource(descriptor))
        try reader.copy(size, to: writer, "spooled device model data")
    }
}
