/// Writes records as libxc and libxl both frame them: `uint32 type; uint32
/// length;`, the body, then zeros to a multiple of 8. The one place that
/// frames records: it bounds the length, checks that the body was exactly
/// that long, pads, and counts what it wrote.
public final class RecordWriter {
    public let output: StreamWriter
    /// Records written so far.
    public private(set) var counts: [RecordKey: UInt64] = [:]
    /// The input offset to blame when a record cannot be framed.
    private let inputOffset: () -> UInt64?

    public init(_ output: StreamWriter, inputOffset: @escaping () -> UInt64? = { nil }) {
        self.output = output
        self.inputOffset = inputOffset
    }

    /// A record whose body is in memory.
    public func write(_ type: some StreamRecordType, _ body: [UInt8] = []) throws(StreamError) {
        try write(type, length: UInt64(body.count)) { (output) throws(StreamError) in try output.write(body) }
    }

    /// A record of `length` bytes whose body `body` writes (or streams) to
    /// the output.
    public func write(
        _ type: some StreamRecordType, length: UInt64,
        body: (StreamWriter) throws(StreamError) -> Void
    ) throws(StreamError) {
        guard length <= Libxc.maxRecordLength else {
            throw StreamError(
                .malformed, "\(type.reportKey) of \(length) bytes does not fit in one record",
                offset: inputOffset())
        }
        try output.u32(type.rawValue)
        try output.u32(UInt32(length))
        let bodyStart = output.bytesWritten
        try body(output)
        let written = output.bytesWritten &- bodyStart
        guard written == length else {
            throw StreamError(
                .malformed, "\(type.reportKey) record body was \(written) bytes, not \(length)",
                offset: inputOffset())
        }
        try output.zeros(Libxc.padding(for: length))
        counts[type.reportKey, default: 0] += 1
    }
}
