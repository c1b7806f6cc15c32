/// Reads little-endian fields from an in-memory blob. Every read checks the
/// bounds and returns nil past the end, so a blob from the stream can be
/// decoded without trusting its lengths.
package struct ByteCursor: Sendable {
    package let bytes: [UInt8]
    package private(set) var position = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    package var remaining: Int { bytes.count - position }

    package mutating func read<T: FixedWidthInteger>(_: T.Type = T.self, _ order: ByteOrder = .little) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        defer { position += size }
        return bytes.withUnsafeBytes { T.load(from: $0, at: position, order) }
    }

    package mutating func read(count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// The value at `offset` without moving; nil past the end.
    package func peek<T: FixedWidthInteger>(_: T.Type = T.self, at offset: Int, _ order: ByteOrder = .little) -> T? {
        guard offset >= 0, bytes.count - offset >= MemoryLayout<T>.size else { return nil }
        return bytes.withUnsafeBytes { T.load(from: $0, at: offset, order) }
    }
}

/// Builds a small record body or header in memory, little-endian unless
/// `order` says otherwise.
package struct RecordBody: Sendable {
    package private(set) var bytes: [UInt8] = []
    package let order: ByteOrder
    package init(_ order: ByteOrder = .little) { self.order = order }
    package mutating func u8(_ v: UInt8) { bytes.append(v) }
    package mutating func u16(_ v: UInt16) { v.append(to: &bytes, order) }
    package mutating func u32(_ v: UInt32) { v.append(to: &bytes, order) }
    package mutating func u64(_ v: UInt64) { v.append(to: &bytes, order) }
    package mutating func append(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }
}
