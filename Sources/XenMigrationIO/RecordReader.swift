import XenMigrationFormat

/// Reads records as libxc and libxl both frame them (`uint32 type; uint32
/// length;`, the body, zeros to a multiple of 8): the reading side of
/// `RecordWriter`, and the one place that parses a record's frame. The
/// verifiers and the generator's `--from-saved` read every record with it.
package final class RecordReader {
    /// Drops what a check does not read; copies a run to its writer, if any.
    package let transfer: Transfer
    package var input: StreamReader { transfer.reader }

    package init(transfer: Transfer) { self.transfer = transfer }

    /// A record's frame as read: where it starts, its raw type and its
    /// body length.
    package struct Frame: Sendable {
        package var offset: UInt64
        package var rawType: UInt32
        package var length: UInt32
    }

    /// The next frame. `prefix` goes before the fields' names in messages
    /// ("libxl " for libxl records).
    package func nextFrame(_ prefix: String = "") throws(StreamError) -> Frame {
        let offset = input.offset
        let rawType = try input.readU32(prefix + "record type")
        let length = try input.readU32(prefix + "record length")
        return Frame(offset: offset, rawType: rawType, length: length)
    }

    /// The body of `frame`, whose type the caller has recognised as `type`.
    package func body<T: StreamRecordType>(_ type: T, _ frame: Frame, prefix: String = "") -> RecordBodyReader {
        RecordBodyReader(
            transfer: transfer, type: prefix + type.specName, length: frame.length, recordOffset: frame.offset,
            isLast: type == .end)
    }
}

/// Reads one record's body: small fields on demand, the rest skipped, then
/// the padding checked; no field is read past the body's length. Knows the
/// record for error messages.
package final class RecordBodyReader {
    package let transfer: Transfer
    package var reader: StreamReader { transfer.reader }
    package let type: String
    package let length: UInt32
    package let recordOffset: UInt64
    private var consumed: UInt64 = 0

    /// Announces the body, its padding and (unless `isLast`) the next
    /// record's header to the reader.
    init(transfer: Transfer, type: String, length: UInt32, recordOffset: UInt64, isLast: Bool) {
        self.transfer = transfer
        self.type = type
        self.length = length
        self.recordOffset = recordOffset
        transfer.reader.expect(UInt64(length) + UInt64(Libxc.padding(for: UInt64(length))) + (isLast ? 0 : 8))
    }

    package func error(_ message: String) -> StreamError {
        StreamError(.malformed, "\(message) [\(type) record]", offset: recordOffset)
    }

    private func take(_ n: UInt64) throws(StreamError) {
        guard consumed + n <= UInt64(length) else { throw error("Record too short for its fields") }
        consumed += n
    }

    package func u8() throws(StreamError) -> UInt8 {
        try take(1)
        return try reader.readU8("\(type) record")
    }
    package func u16() throws(StreamError) -> UInt16 {
        try take(2)
        return try reader.readU16("\(type) record")
    }
    package func u32() throws(StreamError) -> UInt32 {
        try take(4)
        return try reader.readU32("\(type) record")
    }
    package func u64() throws(StreamError) -> UInt64 {
        try take(8)
        return try reader.readU64("\(type) record")
    }

    /// The rest of the body, in memory (callers bound `length` first).
    package func rest() throws(StreamError) -> [UInt8] {
        let n = UInt64(length) - consumed
        consumed = UInt64(length)
        return try reader.readBytes(Int(n), "\(type) record")
    }

    /// Bytes of the body not read yet.
    package var remaining: UInt64 { UInt64(length) - consumed }

    /// Moves the next `count` bytes of the body to the transfer's writer.
    package func copy(_ count: UInt64, _ what: String) throws(StreamError) {
        try take(count)
        try transfer.copy(count, what)
    }

    /// The next `count` bytes of the body, in memory (callers bound `count`).
    package func bytes(_ count: Int) throws(StreamError) -> [UInt8] {
        try take(UInt64(count))
        return try reader.readBytes(count, "\(type) record")
    }

    /// Skips what the checks did not read, then checks the padding.
    package func finish() throws(StreamError) {
        try transfer.discard(UInt64(length) - consumed, "\(type) record")
        consumed = UInt64(length)
        let padding = Libxc.padding(for: UInt64(length))
        if padding > 0 {
            let bytes = try reader.readBytes(padding, "\(type) record padding")
            guard bytes.allSatisfy({ $0 == 0 }) else { throw error("Padding containing non0 bytes found") }
        }
    }
}
