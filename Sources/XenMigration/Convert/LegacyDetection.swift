/// Tells a legacy image's toolstack width and guest type from its first
/// bytes, as the libxc spec's "Legacy Images (x86 only)" table does:
/// octets 4-7 are zero only in a 64-bit image (the top of `p2m_size`);
/// a PV image then has the all-ones extended-info marker, an HVM image a
/// chunk marker or page count.
public enum LegacyDetection {
    public struct Result: Sendable, Equatable {
        public var width: ToolstackWidth
        public var guest: GuestType
        public init(width: ToolstackWidth, guest: GuestType) {
            self.width = width
            self.guest = guest
        }
    }

    /// Bytes detection looks at.
    public static let prefixLength = 16

    /// Looks at the next 16 bytes without consuming them.
    public static func detect(reader: StreamReader, width: ToolstackWidth?, guest: GuestType?) throws(StreamError)
        -> Result
    {
        let offset = reader.offset
        let prefix = try reader.peek(prefixLength)
        return try detect(prefix: prefix, width: width, guest: guest, offset: offset)
    }

    public static func detect(
        prefix: [UInt8], width givenWidth: ToolstackWidth?, guest givenGuest: GuestType?,
        offset: UInt64 = 0
    ) throws(StreamError) -> Result {
        let bytes = ByteCursor(prefix)
        let seen = hexBytes(prefix)
        let end = offset &+ UInt64(prefix.count)
        guard let octets4to7 = bytes.peek(UInt32.self, at: 4) else {
            throw StreamError(
                .truncated,
                "Stream truncated at input offset \(end): too short to detect the image kind (saw \(prefix.count) bytes: \(seen))",
                offset: end)
        }
        let width = givenWidth ?? (octets4to7 == 0 ? .bits64 : .bits32)
        if let g = givenGuest { return Result(width: width, guest: g) }

        let next = width.ulongSize
        guard let low = bytes.peek(UInt32.self, at: next),
            width == .bits32 || bytes.peek(UInt32.self, at: next + 4) != nil
        else {
            throw StreamError(
                .truncated, "Stream truncated at input offset \(end): too short to detect the guest type (saw \(seen))",
                offset: end)
        }
        let high = width == .bits64 ? bytes.peek(UInt32.self, at: next + 4) ?? 0 : 0
        if low == 0xffff_ffff && (width == .bits32 || high == 0xffff_ffff) {
            return Result(width: width, guest: .pv)
        }
        // An HVM body starts with a chunk marker (-20 to -1), a page count
        // (1 to 1024) or the end marker.
        let marker = Int32(bitPattern: low)
        if marker >= -20 && marker <= Legacy.maxBatch {
            return Result(width: width, guest: .hvm)
        }
        throw StreamError(
            .malformed,
            "Cannot detect the image kind: the first bytes (\(seen)) fit neither a PV image (extended-info marker) nor an HVM one (chunk marker) for a \(width.rawValue)-bit toolstack",
            offset: offset)
    }
}
