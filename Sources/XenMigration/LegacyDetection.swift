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

    /// Looks at the next 16 bytes without consuming them.
    public static func detect(reader: StreamReader, width: ToolstackWidth?, guest: GuestType?) throws -> Result {
        let offset = reader.offset
        let prefix = try reader.peek(16)
        return try detect(prefix: prefix, width: width, guest: guest, offset: offset)
    }

    public static func detect(prefix: [UInt8], width givenWidth: ToolstackWidth?, guest givenGuest: GuestType?,
                              offset: UInt64 = 0) throws -> Result {
        func word(_ at: Int) -> UInt32? {
            guard prefix.count >= at + 4 else { return nil }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(prefix[at + $1]) << (8 * $1) }
        }
        let seen = prefix.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined(separator: " ")
        guard let octets4to7 = word(4) else {
            throw StreamError(.truncated,
                              "Stream truncated at input offset \(offset + UInt64(prefix.count)): too short to detect the image kind (saw \(prefix.count) bytes: \(seen))",
                              offset: offset + UInt64(prefix.count))
        }
        let width = givenWidth ?? (octets4to7 == 0 ? .bits64 : .bits32)
        let next = width.ulongSize
        if let g = givenGuest { return Result(width: width, guest: g) }

        guard let low = word(next), width == .bits32 || word(next + 4) != nil else {
            throw StreamError(.truncated,
                              "Stream truncated at input offset \(offset + UInt64(prefix.count)): too short to detect the guest type (saw \(seen))",
                              offset: offset + UInt64(prefix.count))
        }
        let high = width == .bits64 ? word(next + 4) ?? 0 : 0
        if low == 0xffff_ffff && (width == .bits32 || high == 0xffff_ffff) {
            return Result(width: width, guest: .pv)
        }
        // An HVM body starts with a chunk marker (-20 to -1), a page count
        // (1 to 1024) or the end marker.
        let marker = Int32(bitPattern: low)
        if marker >= -20 && marker <= Legacy.maxBatch {
            return Result(width: width, guest: .hvm)
        }
        throw StreamError(.malformed,
                          "Cannot detect the image kind: the first bytes (\(seen)) fit neither a PV image (extended-info marker) nor an HVM one (chunk marker) for a \(width.rawValue)-bit toolstack",
                          offset: offset)
    }
}
