import XenMigrationFormat
import XenMigrationIO

/// Checks a libxl migration stream: its header, then each record, with the
/// libxc stream that follows a LIBXC_CONTEXT record checked in place.
package final class LibxlVerifier {
    private let context: VerifierContext
    private var reader: StreamReader { context.reader }
    /// Largest EMULATOR_XENSTORE_DATA body parsed in memory.
    package static let xenstoreDataLimit: UInt32 = 16 << 20

    init(context: VerifierContext) { self.context = context }

    private func info(_ line: @autoclosure () -> String) { context.info(line()) }

    package func verify() throws(StreamError) {
        try verifyHeader()
        context.boundary()
        while try verifyRecord() != .end {}
    }

    private func verifyHeader() throws(StreamError) {
        let offset = reader.offset
        let header = try Libxl.Header.read(from: reader)
        let (ident, version, options) = (header.ident, header.version, header.options)
        guard ident == Libxl.ident else {
            throw StreamError(
                .malformed, "Bad image id: Expected 0x\(hex(Libxl.ident)), got 0x\(hex(ident))", offset: offset)
        }
        guard version == Libxl.version else {
            throw StreamError(
                .malformed, "Unknown image version: Expected \(Libxl.version), got \(version)", offset: offset + 8)
        }
        guard options & Libxl.optionReservedMask == 0 else {
            throw StreamError(
                .malformed, "Reserved bits set in image options field: 0x\(hex(options & Libxl.optionReservedMask))",
                offset: offset + 12)
        }
        guard options & Libxl.optionBigEndian == 0 else {
            throw StreamError(.malformed, "Stream is not native endianess - unable to validate", offset: offset + 12)
        }
        info(VerifierText.libxlHeader(legacyConverted: options & Libxl.optionLegacy != 0))
    }

    private func verifyRecord() throws(StreamError) -> Libxl.RecordType {
        let frame = try context.records.nextFrame("libxl ")
        let length = frame.length
        guard let type = Libxl.RecordType(rawValue: frame.rawType) else {
            throw StreamError(.malformed, "Unrecognised record type \(hex(frame.rawType))", offset: frame.offset)
        }
        info(VerifierText.libxlRecord(type.name, length: length))
        let body = context.records.body(type, frame, prefix: "libxl ")
        switch type {
        case .end:
            guard length == 0 else { throw body.error("End record with non-zero length") }
            try body.finish()
        case .libxcContext:
            guard length == 0 else { throw body.error("Libxc context record with non-zero length") }
            try body.finish()
        case .emulatorXenstoreData:
            try checkEmulatorHeader(body)
            guard length <= LibxlVerifier.xenstoreDataLimit else {
                throw body.error(
                    "Emulator xenstore data of \(length) bytes exceeds the \(LibxlVerifier.xenstoreDataLimit)-byte limit"
                )
            }
            let data = try body.rest()
            try body.finish()
            if !data.isEmpty {
                guard data.last == 0 else { throw body.error("Data not NUL terminated") }
                let parts = data.dropLast().split(separator: 0, omittingEmptySubsequences: false)
                guard parts.count % 2 == 0 else {
                    throw body.error("Expected an even number of strings, got \(parts.count)")
                }
                if context.verbose != nil {
                    var i = 0
                    while i + 1 < parts.count {
                        info(VerifierText.xenstorePair(Array(parts[i]), Array(parts[i + 1])))
                        i += 2
                    }
                }
            }
        case .emulatorContext:
            try checkEmulatorHeader(body, context: true)
            try body.finish()
        case .checkpointEnd:
            guard length == 0 else { throw body.error("Checkpoint end record with non-zero length") }
            try body.finish()
        case .checkpointState:
            guard length > 0 else { throw body.error("Checkpoint state record with zero length") }
            try body.finish()
        }
        context.boundary()
        // The libxc stream follows its context record.
        if type == .libxcContext { try LibxcVerifier(context: context).verify() }
        return type
    }

    private func checkEmulatorHeader(_ body: RecordBodyReader, context: Bool = false) throws(StreamError) {
        guard body.length >= 8 else {
            throw body.error("Length must be at least 8 bytes, got \(body.length)")
        }
        let (id, index) = try WordPair.read(from: body).pair
        guard let emulator = Libxl.EmulatorID(rawValue: id) else {
            throw body.error("Unrecognised emulator id 0x\(hex(id))")
        }
        if context {
            info(VerifierText.emulatorContext(index: index, emulator))
        } else {
            info(VerifierText.emulatorXenstoreData(index: index, emulator))
        }
    }
}
