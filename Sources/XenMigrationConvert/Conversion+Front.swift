import XenMigrationFormat
import XenMigrationIO

/// What comes before the legacy image, read as the first phase of a
/// conversion: nothing, an `xl save` header, or an xend `xm save` header.
enum Front {
    case bare
    /// An `xl save` header (copied to the output) and the config its
    /// optional data holds, when it holds one within the config bound.
    case xl(XL.Header, config: DomainConfig?)
    /// An xend image: the guest type its config gives, and the xl.cfg text
    /// the output's `xl save` header carries (translation or replacement).
    case xend(guest: GuestType, config: DomainConfig)

    /// The guest type the front fixes (xend images only).
    var guest: GuestType? {
        if case .xend(let guest, _) = self { return guest }
        return nil
    }

    var config: DomainConfig? {
        switch self {
        case .bare: nil
        case .xl(_, let config): config
        case .xend(_, let config): config
        }
    }
}

/// A legacy image's toolstack width and guest type (given or detected),
/// and its first bytes as they were when the image started.
struct ImageKind {
    let width: ToolstackWidth
    let guest: GuestType
    /// Which of width and guest type detection found (report order).
    let detected: [ConversionReport.Detected]
    /// The image's first `LegacyDetection.prefixLength` bytes, for a diagnosis.
    let head: [UInt8]
    var isPV: Bool { guest == .pv }
}

extension Conversion {
    /// Reads the front: InputKind sniffs the stream's first bytes once, and
    /// they decide between xend, xl and bare (unless `-x` is given).
    func readFront(_ reader: FrontReader, head: [UInt8]) throws(StreamError) -> Front {
        let sniffed = InputKind.identify(head)
        if sniffed == .xendImage { return try readXendFront(reader) }
        if options.replacementConfig != nil {
            throw StreamError(
                .malformed, "Input is not an xend `xm save` image: only those take a replacement config",
                offset: 0)
        }
        let hasXL: Bool
        if let given = options.xlHeader {
            hasXL = given
        } else {
            if case .xlSave = sniffed { hasXL = true } else { hasXL = false }
            info(VerboseText.detectedXLHeader(hasXL))
        }
        guard hasXL else { return .bare }
        var header = try reader.xlHeader()
        if isLibxl { header.mandatoryFlags |= XL.mandatoryFlagStreamV2 }
        try records.writeUnframed(header.bytes)
        let config = try copyXLOptionalData(reader, header)
        info(VerboseText.processedXLHeader)
        return .xl(header, config: config)
    }

    /// Copies an `xl save` header's optional data, keeping the config in it
    /// (a uint32 length, then the config: xl.cfg text, or libxl JSON when
    /// the JSON flag is set) for the result. Optional data over the config
    /// bound streams through and is not kept.
    private func copyXLOptionalData(_ reader: FrontReader, _ header: XL.Header) throws(StreamError) -> DomainConfig? {
        let length = UInt64(header.optionalDataLength)
        guard length > 0, length <= UInt64(Xend.maxConfigLength) + 4 else {
            try records.copyUnframed(length, "xl header optional data")
            return nil
        }
        let data = try reader.xlOptionalData(Int(length))
        try records.writeUnframed(data)
        guard let configLength = ByteCursor(data).peek(UInt32.self, at: 0).map(UInt64.init) else {
            return DomainConfig(bytes: data, isJSON: false)
        }
        // Without a length that fits, the optional data is kept whole (some
        // writers put the config there bare).
        let config = configLength <= length - 4 ? Array(data[4..<(4 + Int(configLength))]) : data
        return DomainConfig(bytes: config, isJSON: header.mandatoryFlags & XL.mandatoryFlagJSON != 0)
    }

    /// The image kind: given, fixed by the front, or detected from the
    /// image's first bytes, which are kept for a diagnosis either way.
    func imageKind(_ reader: FrontReader, after front: Front) throws(StreamError) -> ImageKind {
        let offset = reader.offset
        let head = try reader.imageHead()
        let givenGuest = front.guest ?? options.guest
        if let w = options.width, let g = givenGuest {
            return ImageKind(width: w, guest: g, detected: [], head: head)
        }
        let detection = try LegacyDetection.detect(
            prefix: head, width: options.width, guest: givenGuest, offset: offset)
        info(VerboseText.detected(width: detection.width, guest: detection.guest))
        var detected: [ConversionReport.Detected] = []
        if options.width == nil { detected.append(.width) }
        if givenGuest == nil { detected.append(.guestType) }
        return ImageKind(width: detection.width, guest: detection.guest, detected: detected, head: head)
    }
}
