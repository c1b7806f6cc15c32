import SystemPackage
import XenHost
import XenMigration

/// Pipe tuning for the tool's input and output.
enum Pipes {
    /// Asks for a bigger pipe buffer when `descriptor` is a pipe, so the
    /// process at the other end hands over (or takes) more per wake-up.
    /// Best effort: a pipe the kernel will not enlarge works as before.
    static func enlarge(_ descriptor: FileDescriptor, toBytes bytes: Int32 = 1 << 20) {
        guard FileKind(descriptor) == .pipe else { return }
        Host.setPipeSize(descriptor, bytes: bytes)
    }
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

    /// An inherited descriptor, which must be open.
    static func descriptor(_ value: String) throws(ToolFailure) -> FileDescriptor {
        guard let number = Int32(value), Host.isOpen(number) else {
            throw ToolFailure(.setUp, "Unable to open fd \(value): \(Errno.badFileDescriptor)")
        }
        return FileDescriptor(rawValue: number)
    }

    /// XEN_STREAM_NO_ZEROCOPY=1 forces buffered copies: an escape hatch,
    /// and how the tests prove both copy paths write the same bytes.
    static var allowZeroCopy: Bool { Host.environment("XEN_STREAM_NO_ZEROCOPY") == nil }

    static func openInput(_ value: String) throws(ToolFailure) -> FileDescriptor {
        let fd = try openInputDescriptor(value)
        Pipes.enlarge(fd)
        return fd
    }

    private static func openInputDescriptor(_ value: String) throws(ToolFailure) -> FileDescriptor {
        if value == "-" { return .standardInput }
        if isDescriptorNumber(value) { return try descriptor(value) }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(value), .readOnly, options: [.closeOnExec])
        } catch {
            throw ToolFailure(.setUp, "Unable to open file '\(value)': \(error)")
        }
        if (try? fd.stat().type) == .directory {
            try? fd.close()
            throw ToolFailure(.setUp, "Unable to open file '\(value)': \(Errno.isDirectory)")
        }
        return fd
    }

    /// Size of a regular-file input, for progress percentages.
    static func regularFileSize(_ fd: FileDescriptor) -> UInt64? {
        guard let st = try? fd.stat(), st.type == .regular else { return nil }
        return UInt64(st.size)
    }

    /// Device and inode of a regular file: tells whether two names are one file.
    static func identity(_ st: SystemPackage.Stat) -> [UInt64]? {
        st.type == .regular ? [UInt64(st.deviceID.rawValue), UInt64(st.inode.rawValue)] : nil
    }
}

/// The output of a conversion. A path that is (or will be) a regular file
/// is written through a temporary file in the same directory, renamed over
/// the target only when the conversion succeeds (`AtomicFile`); anything
/// else (a descriptor, a pipe, a device) is written directly.
struct OutputTarget {
    let descriptor: FileDescriptor
    private let file: AtomicFile?

    /// `SignalCleanup`'s handlers must be installed first.
    static func open(_ value: String, input: FileDescriptor) throws(ToolFailure) -> OutputTarget {
        if value == "-" { return OutputTarget(descriptor: .standardOutput, file: nil) }
        if Endpoint.isDescriptorNumber(value) {
            return OutputTarget(descriptor: try Endpoint.descriptor(value), file: nil)
        }
        let path = FilePath(value)
        if let st = AtomicFile.existing(path), let inputStat = try? input.stat(),
            let identity = Endpoint.identity(st), identity == Endpoint.identity(inputStat)
        {
            throw ToolFailure(.setUp, "Refusing to write '\(value)': it is the input file")
        }
        do throws(Errno) {
            let file = try AtomicFile.create(path, mode: FilePermissions(rawValue: 0o666))
            return OutputTarget(descriptor: file.descriptor, file: file)
        } catch {
            throw ToolFailure(.setUp, "Unable to open file '\(value)': \(error)")
        }
    }

    /// Makes the output final: fsync and rename for a temporary file.
    func commit() throws(ToolFailure) {
        do throws(ToolFailure) {
            try file?.commit()
        } catch {
            throw ToolFailure(.output, "Stream Error: \(error.message)")
        }
    }

    /// Drops a failed conversion's output.
    func abandon() {
        file?.abandon()
    }
}
