/// What an input is, told from its first bytes: the layers this project
/// reads and writes, so that a failure can say what the input really is.
public enum InputKind: Sendable, Equatable {
    /// A legacy image (what `convert-legacy-stream` reads), as detection
    /// reads its first words.
    case legacy(ToolstackWidth, GuestType)
    /// A libxc stream, already v2 or v3.
    case libxcStream(version: UInt32)
    /// A libxl stream (already converted).
    case libxlStream
    /// An `xl save` file; `streamV2` when its mandatory flags say a libxl
    /// stream follows, else a legacy image does.
    case xlSave(streamV2: Bool)
    /// An `xm save` (xend) image: `LinuxGuestRecord`, its config, a legacy image.
    case xendImage
    case unknown

    /// The bytes `identify` reads: enough for an xl header's flags.
    package static let headLength = XL.magic.count + 8

    /// What the first bytes say, from the magic numbers of every layer the
    /// tools read (the converter and the diagnoses sniff through it).
    public static func identify(_ head: [UInt8]) -> InputKind {
        if head.starts(with: XL.magic) {
            let flags = ByteCursor(head).peek(UInt32.self, at: XL.magic.count + 4) ?? 0
            return .xlSave(streamV2: flags & XL.mandatoryFlagStreamV2 != 0)
        }
        if head.starts(with: Xend.magic) { return .xendImage }
        let bytes = ByteCursor(head)
        if bytes.peek(UInt64.self, at: 0, .big) == Libxl.ident { return .libxlStream }
        if head.count >= 16, bytes.peek(UInt64.self, at: 0, .big) == Libxc.imageMarker,
            bytes.peek(UInt32.self, at: 8, .big) == Libxc.imageID, let version = bytes.peek(UInt32.self, at: 12, .big)
        {
            return .libxcStream(version: version)
        }
        if let detected = try? LegacyDetection.detect(
            prefix: Array(head.prefix(LegacyDetection.prefixLength)),
            width: nil, guest: nil)
        {
            return .legacy(detected.width, detected.guest)
        }
        return .unknown
    }

    /// How a message names it.
    public var description: String {
        switch self {
        case .legacy(let width, let guest):
            "a legacy \(guest == .pv ? "PV" : "HVM") image from a \(width.rawValue)-bit toolstack"
        case .libxcStream(let version): "a libxc v\(version) stream"
        case .libxlStream: "a libxl (v2) stream"
        case .xlSave(let v2): v2 ? "an xl save file holding a v2 stream" : "an xl save file holding a legacy image"
        case .xendImage: "an xm save (xend) image"
        case .unknown: "not a stream this tool knows"
        }
    }
}
