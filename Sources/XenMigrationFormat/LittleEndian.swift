/// How a field's bytes are ordered: libxc and libxl records and the legacy
/// image are little-endian (x86), the libxc and libxl stream headers
/// big-endian.
package enum ByteOrder: Sendable {
    case little, big
}

/// Integer fields in raw bytes: the one decoder and encoder that every
/// layer uses (the stream reader's buffer and writer's, in-memory blobs,
/// detection, headers and record bodies built in memory).
extension FixedWidthInteger {
    /// The value stored at `offset` of `bytes` in `order`; the caller has
    /// checked that `offset + size` is within `bytes`.
    @inline(__always)
    package static func load(from bytes: UnsafeRawBufferPointer, at offset: Int, _ order: ByteOrder) -> Self {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: Self.self)
        return order == .little ? Self(littleEndian: raw) : Self(bigEndian: raw)
    }

    /// The value as memory holds it in `order`.
    @inline(__always)
    package func stored(_ order: ByteOrder) -> Self { order == .little ? littleEndian : bigEndian }

    /// Appends the value in `order`.
    @inline(__always)
    package func append(to bytes: inout [UInt8], _ order: ByteOrder = .little) {
        withUnsafeBytes(of: stored(order)) { bytes.append(contentsOf: $0) }
    }
}

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

/// Lower-case hexadecimal without a prefix, as `%x` prints it.
@inline(__always)
package func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }

/// `%0Nx`: hexadecimal padded with zeros to `width` digits.
package func hex<T: BinaryInteger>(_ value: T, width: Int) -> String {
    let digits = hex(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// Bytes as space-separated hex pairs, for messages that quote input.
package func hexBytes(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { hex($0, width: 2) }.joined(separator: " ")
}

/// Bytes from the input as printable text: ASCII as is, anything else
/// (and quotes and backslashes) escaped, so a message never carries raw
/// binary to a terminal.
package func escapedASCII(_ bytes: some Sequence<UInt8>) -> String {
    var text = ""
    for byte in bytes {
        switch byte {
        case 0x5c: text += "\\\\"
        case 0x27: text += "\\'"
        case 0x22: text += "\\\""
        case 0x20...0x7e: text.unicodeScalars.append(Unicode.Scalar(byte))
        case 0x0a: text += "\\n"
        case 0x0d: text += "\\r"
        case 0x09: text += "\\t"
        default: text += "\\x" + hex(byte, width: 2)
        }
    }
    return text
}
