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
            front: LegacyFront(rawValue: front) ?? .xlJSON, width: width == 32 ? .bits32 : .bits64,
            hvmP2MSize: hvmP2MSize)
        if let config {
            options.config = try readConfig(config, limit: options.limits.configBytes)
        }
        let input = try openSeekableInput(path)
        defer { if input.owned { try? input.fd.close() } }
        // Opening the output truncates it: it must not be the input.
        if output != "-", let inputStat = try? input.fd.stat(), let outputStat = try? FilePath(output).stat(),
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
                reader: StreamReader(FileDescriptorSource(input.fd), readAhead: .free(seekBack: false)),
                options: options)
            _ = try input.fd.seek(offset: input.start, from: .start)
        } catch let error as StreamError {
            throw fail(error)
        }

        let outFD = try openOutput(output)
        let writer = StreamWriter(FileDescriptorSink(outFD))
        let verbose = self.verbose
        do {
            let report = try SavedToLegacy.convert(
                reader: StreamReader(FileDescriptorSource(input.fd)), writer: writer, options: options,
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

    /// The input as a descriptor that can be read twice, and where it starts.
    private func openSeekableInput(_ path: String) throws -> (fd: FileDescriptor, start: Int64, owned: Bool) {
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
            return (fd, start, owned)
        }
        // A pipe or socket: park it in a temporary file (constant memory).
        let spool: FileDescriptor
        do {
            spool = try Spool.anonymousFile()
        } catch {
            throw ValidationError("\(error)")
        }
        do {
            let writer = StreamWriter(FileDescriptorSink(spool))
            _ = try Transfer(from: StreamReader(FileDescriptorSource(fd)), to: writer).copyToEnd()
            try writer.flush()
        } catch {
            try? spool.close()
            throw ValidationError("cannot spool the input: \(error)")
        }
        guard (try? spool.seek(offset: 0, from: .start)) != nil else {
            try? spool.close()
            throw ValidationError("cannot rewind the spooled input")
        }
        if owned { try? fd.close() }
        return (spool, 0, true)
    }
}
