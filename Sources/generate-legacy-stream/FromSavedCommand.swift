import ArgumentParser
import SystemPackage
import XenHost
import XenLegacyGenerator
import XenMigration

/// `--from-saved`: two passes over the input (a scan for what the legacy
/// header needs, then the conversion). An input that cannot be read twice
/// (a pipe) is first parked in an unlinked temporary file.
extension GenerateLegacyStream {
    func runFromSaved(_ path: String) throws {
        var options = FromSavedOptions(
            front: front, width: width, hvmP2MSize: hvmP2MSize)
        if let config {
            options.config = try readConfig(config, limit: options.limits.configBytes)
        }
        let input = try openSeekableInput(path)
        defer { input.close() }
        // Opening the output truncates it: it must not be the input.
        if output != "-", case .file(let fd, _, _) = input, let inputStat = try? fd.stat(),
            let outputStat = try? FilePath(output).stat(),
            inputStat.deviceID == outputStat.deviceID && inputStat.inode == outputStat.inode
        {
            throw ValidationError("the output '\(output)' is the input")
        }

        let fail = { (error: StreamError) -> ExitCode in
            StandardError.write("generate-legacy-stream: \(error.description)\n")
            return ExitCode(error.kind == .unsupported ? 2 : 1)
        }
        let facts: SavedStreamFacts
        do {
            facts = try SavedToLegacy.scan(
                reader: try input.reader(readAhead: .free(seekBack: false)), options: options)
        } catch {
            throw fail(error)
        }

        let outFD = try openOutput(output)
        let writer = StreamWriter(FileDescriptorSink(outFD))
        let verbose = self.verbose
        do {
            let report = try SavedToLegacy.convert(
                reader: try input.reader(), writer: writer, options: options,
                facts: facts, verbose: verbose ? { StandardError.write($0 + "\n") } : nil)
            if outFD != .standardOutput { try? outFD.close() }
            for line in report.lines { StandardError.write("generate-legacy-stream: \(line)\n") }
            if summary {
                StandardError.write(
                    "guest=\(report.guest.rawValue) layers=\(report.layers.joined(separator: "+"))"
                        + " stream_version=\(report.streamVersion) pages=\(report.pages)"
                        + " device_model_bytes=\(report.deviceModelBytes.map(String.init) ?? "none")"
                        + " bytes_read=\(report.bytesRead) legacy_bytes=\(report.bytesWritten)\n")
            }
        } catch {
            // No half-written image is left behind.
            if outFD != .standardOutput {
                try? outFD.close()
                Host.remove(FilePath(output))
            }
            throw fail(error)
        }
    }

    private func readConfig(_ path: String, limit: Int) throws -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly)
        } catch {
            throw ValidationError("cannot open '\(path)': \(error)")
        }
        defer { try? fd.close() }
        let reader = StreamReader(FileDescriptorSource(fd))
        let bytes = try reader.peek(min(limit + 1, reader.capacity))
        guard bytes.count <= limit, bytes.count < reader.capacity else {
            throw ValidationError("--config '\(path)' is over the \(min(limit, reader.capacity - 1))-byte limit")
        }
        return bytes
    }

    /// The input as something that can be read twice: a regular file from
    /// where its descriptor stood, or anything else parked in a `Spool`.
    enum SavedInput {
        case file(FileDescriptor, start: Int64, owned: Bool)
        case spooled(Spool)

        /// A reader from the input's start.
        func reader(readAhead: StreamReader.ReadAhead? = nil) throws(StreamError) -> StreamReader {
            switch self {
            case .file(let fd, let start, _):
                do {
                    _ = try fd.seek(offset: start, from: .start)
                } catch {
                    throw StreamError(io: "Cannot rewind the input", error)
                }
                return StreamReader(FileDescriptorSource(fd), readAhead: readAhead)
            case .spooled(let spool):
                return try spool.rewound(readAhead: readAhead)
            }
        }

        func close() {
            if case .file(let fd, _, true) = self { try? fd.close() }
        }
    }

    private func openSeekableInput(_ path: String) throws -> SavedInput {
        let fd: FileDescriptor
        let owned: Bool
        if path == "-" {
            fd = .standardInput
            owned = false
        } else {
            do {
                fd = try FileDescriptor.open(FilePath(path), .readOnly)
            } catch {
                throw ValidationError("cannot open '\(path)': \(error)")
            }
            owned = true
        }
        if let kind = try? fd.stat().type, kind == .regular, let start = try? fd.seek(offset: 0, from: .current) {
            return .file(fd, start: start, owned: owned)
        }
        // A pipe or socket: parked in a temporary file (constant memory).
        defer { if owned { try? fd.close() } }
        do {
            return .spooled(try Spool(restOf: StreamReader(FileDescriptorSource(fd))))
        } catch {
            throw ValidationError("cannot spool the input: \(error)")
        }
    }
}
