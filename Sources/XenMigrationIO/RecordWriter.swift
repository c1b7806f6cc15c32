import XenMigrationFormat

/// Writes records as libxc and libxl both frame them: `uint32 type; uint32
/// length;`, the body, then zeros to a multiple of 8. The one place that
/// frames records: it writes the prefix and the payload itself (bytes in
/// memory, or a run copied from the input through the one `Transfer` it
/// owns), pads, and counts what it wrote. Callers check input-given sizes
/// against `Libxc.maxRecordLength` where they read them.
package final class RecordWriter {
    let output: StreamWriter
    /// Moves runs from the input to `output`.
    private let transfer: Transfer
    /// Records written so far.
    package private(set) var counts: [RecordKey: UInt64] = [:]

    package init(output: StreamWriter, input: StreamReader, allowZeroCopy: Bool) {
        self.output = output
        transfer = Transfer(from: input, to: output, allowZeroCopy: allowZeroCopy)
    }

    /// What follows a record's fixed fields.
    package enum Run {
        case none
        /// `count` bytes copied from the input (`what` names them in errors).
        case input(UInt64, String)
        /// A spooled run, copied whole.
        case spool(Spool)
        /// `count` little-endian words, each from `next`.
        case words(UInt64, next: () throws(StreamError) -> UInt64)

        package var length: UInt64 {
            switch self {
            case .none: 0
            case .input(let count, _): count
            case .spool(let spool): spool.size
            case .words(let count, _): count &* 8
            }
        }
    }

    /// A record whose body is in memory.
    package func write(_ type: some CountedRecordType, _ body: [UInt8] = []) throws(StreamError) {
        try frame(type, length: UInt64(body.count)) { () throws(StreamError) in try output.write(body) }
    }

    /// A record whose body is `fields`, then `entries` as uint64s, then `run`.
    package func write(
        _ type: some CountedRecordType, fields: WordPair, entries: [UInt64] = [], then run: Run
    ) throws(StreamError) {
        let length = 8 + UInt64(entries.count) * 8 + run.length
        try frame(type, length: length) { () throws(StreamError) in
            try fields.write(to: output)
            for entry in entries { try output.u64(entry) }
            try copy(run)
        }
    }

    /// A record whose whole body is `run`.
    package func write(_ type: some CountedRecordType, run: Run) throws(StreamError) {
        try frame(type, length: run.length) { () throws(StreamError) in try copy(run) }
    }

    /// Bytes outside any record: a layer's fixed header.
    package func writeUnframed(_ bytes: [UInt8]) throws(StreamError) { try output.write(bytes) }

    /// A run outside any record (the raw device model of libxc output).
    package func copyUnframed(_ count: UInt64, _ what: String) throws(StreamError) { try transfer.copy(count, what) }

    /// The rest of the input, outside any record; how many bytes it was.
    package func copyUnframedToEnd() throws(StreamError) -> UInt64 { try transfer.copyToEnd() }

    /// The rest of the input, parked until its length is known (a record
    /// whose body runs to the end of the input).
    package func spoolRestOfInput() throws(StreamError) -> Spool { try Spool(restOf: transfer) }

    package func flush() throws(StreamError) { try output.flush() }

    package var bytesWritten: UInt64 { output.bytesWritten }

    private func copy(_ run: Run) throws(StreamError) {
        switch run {
        case .none: break
        case .input(let count, let what): try transfer.copy(count, what)
        case .spool(let spool): try spool.copy(to: output, allowZeroCopy: transfer.allowZeroCopy)
        case .words(let count, let next):
            for _ in 0..<count { try output.u64(try next()) }
        }
    }

    private func frame(_ type: some CountedRecordType, length: UInt64, body: () throws(StreamError) -> Void)
        throws(StreamError)
    {
        precondition(length <= Libxc.maxRecordLength, "\(type.reportKey) of \(length) bytes: checked by the caller")
        try output.u32(type.rawValue)
        try output.u32(UInt32(length))
        let bodyStart = output.bytesWritten
        try body()
        precondition(output.bytesWritten &- bodyStart == length, "\(type.reportKey) body is not \(length) bytes")
        try output.zeros(Libxc.padding(for: length))
        counts[type.reportKey, default: 0] += 1
    }
}

extension Libxc {
    /// A record of `length` body bytes fits (a uint32 length); else the
    /// error, blaming the input at `offset` where the size was read.
    package static func checkRecordLength(_ type: some CountedRecordType, _ length: UInt64, at offset: UInt64)
        throws(StreamError)
    {
        guard length <= maxRecordLength else {
            throw StreamError(
                .malformed, "\(type.reportKey) of \(length) bytes does not fit in one record", offset: offset)
        }
    }
}
