/// How a field's bytes are ordered: libxc and libxl records and the legacy
/// image are little-endian (x86), the libxc and libxl stream headers
/// big-endian.
@usableFromInline package enum ByteOrder: Sendable {
    case little, big
}

/// Integer fields in raw bytes: the library's one decoder and encoder of
/// them (the stream reader's buffer and writer's, `ByteCursor` over
/// in-memory blobs and detection's first bytes, `RecordBody` for headers
/// and record bodies built in memory).
extension FixedWidthInteger {
    /// The value stored at `offset` of `bytes` in `order`; the caller has
    /// checked that `offset + size` is within `bytes`.
    @inlinable @inline(__always)
    package static func load(from bytes: UnsafeRawBufferPointer, at offset: Int, _ order: ByteOrder) -> Self {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: Self.self)
        return order == .little ? Self(littleEndian: raw) : Self(bigEndian: raw)
    }

    /// The value as memory holds it in `order`.
    @inlinable @inline(__always)
    package func stored(_ order: ByteOrder) -> Self { order == .little ? littleEndian : bigEndian }

    /// Appends the value in `order`.
    @inline(__always)
    package func append(to bytes: inout [UInt8], _ order: ByteOrder = .little) {
        withUnsafeBytes(of: stored(order)) { bytes.append(contentsOf: $0) }
    }
}
