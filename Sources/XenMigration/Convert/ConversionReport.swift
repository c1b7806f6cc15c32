/// What a conversion saw and wrote; encodable as the `--report` JSON.
public struct ConversionReport: Codable, Sendable, Equatable {
    public struct HVMParamEntry: Codable, Sendable, Equatable {
        public var index: UInt64
        public var value: UInt64
    }

    public var guestType: GuestType
    public var toolstackWidth: Int
    /// Guest width in bits (PV only; HVM guests have none in the stream).
    public var guestWidthBits: Int?
    public var pagetableLevels: Int?
    public var p2mSize: UInt64 = 0
    public var xlHeader: Bool
    public var outputFormat: OutputFormat
    public var streamVersion: Libxc.StreamVersion
    public var vcpusOnline: [Int] = []
    /// Page batch entries by legacy page type; "dropped" counts the padding
    /// entries the converter removes.
    public var pagesByType: [String: UInt64] = [:]
    public var pageBatches: UInt64 = 0
    /// Output records written, by layer and type (in JSON: by spec name,
    /// "PAGE_DATA", "libxl EMULATOR_CONTEXT", ...).
    public var recordsWritten: [RecordKey: UInt64] = [:]
    /// HVM params in the order they were written.
    public var hvmParams: [HVMParamEntry] = []
    public var deviceModelSignature: String?
    public var deviceModelBytes: UInt64 = 0
    public var debugStream = false
    public var bytesRead: UInt64 = 0
    public var bytesWritten: UInt64 = 0

    /// Which of guest type, width and xl header were detected, not given.
    public var detected: [String] = []
    /// What wrote the input when it was not a bare legacy or `xl save`
    /// image: "xend" for an `xm save` image; nil otherwise.
    public var source: String?
    /// The domain config: for an xend image, the xl.cfg text put in the
    /// `xl save` header (the translation, or the replacement given); for an
    /// `xl save` input, the config in its header (libxl JSON when
    /// `configIsJSON`). Not valid UTF-8 is shown with replacement
    /// characters; `configBytes` has the bytes.
    public var xlConfig: String?
    /// The config's bytes, as `xlConfig` (not in the JSON).
    public var configBytes: [UInt8]?
    /// The `xl save` header's config is libxl JSON (not in the JSON).
    public var configIsJSON = false

    enum CodingKeys: String, CodingKey {
        case guestType, toolstackWidth
        case guestWidthBits = "guestWidth"
        case pagetableLevels, p2mSize, xlHeader
        case outputFormat, streamVersion, vcpusOnline, pagesByType, pageBatches, recordsWritten, hvmParams
        case deviceModelSignature, deviceModelBytes, debugStream, bytesRead, bytesWritten, detected, source, xlConfig
    }

    init(options: ConversionOptions) {
        guestType = options.guest ?? .hvm
        toolstackWidth = options.width?.rawValue ?? 0
        xlHeader = options.xlHeader ?? false
        outputFormat = options.format
        streamVersion = options.streamVersion
    }

    /// Name of a legacy page type nibble, for `pagesByType`.
    static func pageTypeName(_ nibble: UInt64) -> String {
        switch nibble {
        case 0x0: "normal"
        case 0x1...0x4: "l\(nibble)-pagetable"
        case 0x9...0xc: "l\(nibble - 8)-pagetable-pinned"
        case 0xd: "broken"
        case 0xe: "allocate-only"
        case 0xf: "invalid"
        default: "type-\(nibble)"
        }
    }
}
