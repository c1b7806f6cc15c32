import SystemPackage
import XenHost
import XenMigrationFormat

/// A source backed by an open descriptor: the transfer path may move its
/// bytes inside the kernel, and the reader decides from the kind of file
/// how far it may read ahead.
public protocol DescriptorSource: ByteSource {
    var descriptor: FileDescriptor { get }
}

/// A sink backed by an open descriptor: a target for kernel-side copies.
public protocol DescriptorSink: ByteSink {
    var descriptor: FileDescriptor { get }
}

/// An open descriptor, read until end of file. EINTR is retried; a
/// non-blocking descriptor is waited for (`Host.whenReady`).
public struct FileDescriptorSource: DescriptorSource {
    public let descriptor: FileDescriptor

    public init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) -> Int {
        do {
            return try Host.read(descriptor, into: buffer)
        } catch {
            throw StreamError(io: "Read error", error)
        }
    }
}

/// An open descriptor, written in full: short writes are resumed, a
/// non-blocking descriptor is waited for.
public struct FileDescriptorSink: DescriptorSink {
    public let descriptor: FileDescriptor

    public init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

    public func write(_ buffer: UnsafeRawBufferPointer) throws(StreamError) {
        var done = 0
        while done < buffer.count {
            do {
                done += try Host.write(descriptor, UnsafeRawBufferPointer(rebasing: buffer[done...]))
            } catch {
                throw StreamError(io: "Write error", error)
            }
        }
    }
}
