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

        switch bodyStart(prefix, width: width) {
        case nil:
            throw StreamError(
                .truncated, "Stream truncated at input offset \(end): too short to detect the guest type (saw \(seen))",
                offset: end)
        case .extendedInfo: return Result(width: width, guest: .pv)
        case .marker: return Result(width: width, guest: .hvm)
        case .neither: break
        }
        throw StreamError(
            .malformed,
            "Cannot detect the image kind: the first bytes (\(seen)) fit neither a PV image (extended-info marker) nor an HVM one (chunk marker) for a \(width.rawValue)-bit toolstack",
            offset: offset)
    }

    /// What the word after `p2m_size` is.
    package enum BodyStart: Equatable {
        /// All ones: the extended-info marker a PV image starts with.
        case extendedInfo
        /// A chunk marker (-20 to -1), a page count (1 to 1024) or the end
        /// marker (0): an HVM body.
        case marker(Int32)
        case neither
    }

    /// The word after `p2m_size` in `prefix` read for `width`; nil when
    /// `prefix` is too short to hold it.
    package static func bodyStart(_ prefix: [UInt8], width: ToolstackWidth) -> BodyStart? {
        let bytes = ByteCursor(prefix)
        let next = width.ulongSize
        guard let low = bytes.peek(UInt32.self, at: next) else { return nil }
        let high: UInt32
        if width == .bits64 {
            guard let word = bytes.peek(UInt32.self, at: next + 4) else { return nil }
            high = word
        } else {
            high = 0xffff_ffff
        }
        if low == 0xffff_ffff && high == 0xffff_ffff { return .extendedInfo }
        let marker = Int32(bitPattern: low)
        return marker >= Legacy.Chunk.lowestMarker && marker <= Legacy.maxBatch ? .marker(marker) : .neither
    }
}
