import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where stream bytes come from. Conformers return fewer bytes than asked
/// whenever they like (a pipe does), and 0 only at end of input.
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The descriptor behind this source, if any: lets the copy path use
    /// zero-copy system calls. Sources without one return nil.
    var fileDescriptor: FileDescriptor? { get }
}

/// Where stream bytes go. `write` either takes every byte or throws.
public protocol ByteSink: AnyObject {
    func write(_ buffer: UnsafeRawBufferPointer) throws
    var fileDescriptor: FileDescriptor? { get }
}

extension ByteSource {
    public var fileDescriptor: FileDescriptor? { nil }
}

extension ByteSink {
    public var fileDescriptor: FileDescriptor? { nil }
}

/// An open descriptor read until end of file. EINTR is retried by
/// swift-system; any other failure is an I/O error.
public final class FileDescriptorSource: ByteSource {
    public let descriptor: FileDescriptor
    public var fileDescriptor: FileDescriptor? { descriptor }

    public init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            return try descriptor.read(into: buffer, retryOnInterrupt: true)
        } catch {
            throw StreamError(.io, "Read error: \(error)")
        }
    }
}

/// An open descriptor written in full: short writes are resumed.
public final class FileDescriptorSink: ByteSink {
    public let descriptor: FileDescriptor
    public var fileDescriptor: FileDescriptor? { descriptor }

    public init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            do {
                let rest = UnsafeRawBufferPointer(rebasing: buffer[done...])
                done += try descriptor.write(rest, retryOnInterrupt: true)
            } catch {
                throw StreamError(.io, "Write error: \(error)")
            }
        }
    }
}

/// Bytes held in memory; for tests and for callers that already have them.
public final class MemorySource: ByteSource {
    public let bytes: [UInt8]
    private var position = 0
    /// The most a single read returns: lets tests imitate a slow pipe.
    public let chunkLimit: Int

    public init(_ bytes: [UInt8], chunkLimit: Int = .max) {
        self.bytes = bytes
        self.chunkLimit = max(1, chunkLimit)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position, chunkLimit)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[position..<(position + n)]))
        }
        position += n
        return n
    }
}

/// Collects written bytes in memory.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        bytes.append(contentsOf: buffer)
    }
}

/// Discards everything; counts it.
public final class NullSink: ByteSink {
    public private(set) var count: UInt64 = 0
    public init() {}
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        count &+= UInt64(buffer.count)
    }
}
