import XenMigrationFormat
import XenMigrationIO

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
    /// Page batch entries by legacy page type; `.dropped` counts the padding
    /// entries the converter removes.
    public var pagesByType: [PageType: UInt64] = [:]
    /// PV: the pfns the image's unmapped list names, pfns with no page (a
    /// ballooned guest's); they are not written. `pagesByType.invalid`
    /// counts the batch entries that say the same of a pfn.
    public var unmappedPFNs: UInt64 = 0
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
    public var detected: [Detected] = []
    /// What wrote the input when it was not a bare legacy or `xl save`
    /// image: `.xend` for an `xm save` image; nil otherwise.
    public var source: Source?
    /// The domain config: for an xend image, the xl.cfg text put in the
    /// `xl save` header (the translation, or the replacement given); for an
    /// `xl save` input, the config in its header (libxl JSON when
    /// `configIsJSON`). Not valid UTF-8 is shown with replacement
    /// characters; `ConversionResult.config` has the bytes.
    public var xlConfig: String?

    enum CodingKeys: String, CodingKey {
        case guestType, toolstackWidth
        case guestWidthBits = "guestWidth"
        case pagetableLevels, p2mSize, xlHeader
        case outputFormat, streamVersion, vcpusOnline, pagesByType, unmappedPFNs, pageBatches, recordsWritten
        case hvmParams
        case deviceModelSignature, deviceModelBytes, debugStream, bytesRead, bytesWritten, detected, source, xlConfig
    }

    /// The `verify-stream-v2 -f` that fits the output: an xend image
    /// converted to libxl gets an `xl save` header too.
    public var verifyFormat: VerifyFormat {
        VerifyFormat(converted: outputFormat, xlHeader: xlHeader || (source == .xend && outputFormat == .libxl))
    }

    /// What detection found rather than the options gave.
    public enum Detected: String, Codable, Sendable {
        case xlHeader = "xl header"
        case width
        case guestType = "guest type"
    }

    public enum Source: String, Codable, Sendable {
        case xend
    }

    /// A legacy page type (the top nibble of a batch entry), or the padding
    /// entries dropped.
    public enum PageType: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
        case normal
        case l1Pagetable = "l1-pagetable"
        case l2Pagetable = "l2-pagetable"
        case l3Pagetable = "l3-pagetable"
        case l4Pagetable = "l4-pagetable"
        case type5 = "type-5"
        case type6 = "type-6"
        case type7 = "type-7"
        case type8 = "type-8"
        case l1PagetablePinned = "l1-pagetable-pinned"
        case l2PagetablePinned = "l2-pagetable-pinned"
        case l3PagetablePinned = "l3-pagetable-pinned"
        case l4PagetablePinned = "l4-pagetable-pinned"
        case broken
        case allocateOnly = "allocate-only"
        case invalid, dropped

        /// The type of a page type nibble (0 to 15).
        init(nibble: Int) { self = PageType.allCases[nibble & 0xf] }
    }

    /// The report of a finished conversion, from what its phases returned.
    init(
        options: ConversionOptions, front: Front, image: ImageKind, layout: ImageLayout, body: BodySummary,
        tail: TailSummary, recordsWritten: [RecordKey: UInt64], bytesRead: UInt64, bytesWritten: UInt64
    ) {
        guestType = image.guest
        toolstackWidth = image.width.rawValue
        outputFormat = options.format
        streamVersion = options.streamVersion
        p2mSize = layout.p2mSize
        pagetableLevels = layout.pv?.pagetableLevels
        guestWidthBits = layout.pv?.guestWordBytes.map { $0 * 8 }
        vcpusOnline = body.onlineVCPUs
        for (nibble, count) in body.pageTypeCounts.enumerated() where count > 0 {
            pagesByType[PageType(nibble: nibble)] = count
        }
        if body.droppedEntries > 0 { pagesByType[.dropped] = body.droppedEntries }
        pageBatches = body.pageBatches
        debugStream = body.debugStream
        hvmParams = (body.hvmParams + tail.hvmParams).map { HVMParamEntry(index: $0.index, value: $0.value) }
        deviceModelSignature = tail.deviceModelSignature
        deviceModelBytes = tail.deviceModelBytes
        unmappedPFNs = tail.unmappedPFNs
        self.recordsWritten = recordsWritten
        self.bytesRead = bytesRead
        self.bytesWritten = bytesWritten
        xlConfig = front.config.map { String(decoding: $0.bytes, as: UTF8.self) }
        switch front {
        case .bare, .xl:
            xlHeader = { if case .xl = front { true } else { false } }()
            if options.xlHeader == nil { detected.append(.xlHeader) }
        case .xend:
            xlHeader = false
            source = .xend
            if options.guest == nil { detected.append(.guestType) }
        }
        detected += image.detected
    }
}

/// A domain config an input carried: xl.cfg text, or libxl JSON.
public struct DomainConfig: Sendable, Equatable {
    public let bytes: [UInt8]
    /// libxl JSON (an `xl save` header's JSON flag), not xl.cfg text.
    public let isJSON: Bool

    package init(bytes: [UInt8], isJSON: Bool) {
        self.bytes = bytes
        self.isJSON = isJSON
    }
}

/// What a conversion returns: the report, and apart from it the domain
/// config the input carried (what `--config-out` writes).
public struct ConversionResult: Sendable {
    public let report: ConversionReport
    /// The xl.cfg put in the output's `xl save` header (xend input), or the
    /// config an `xl save` input's header held; nil otherwise.
    public let config: DomainConfig?
}

/// A failed conversion: the error, and the input's first bytes that
/// `Diagnosis` reads to tell what the input really is.
public struct ConversionFailure: Error, Sendable {
    public let error: StreamError
    /// The stream's first bytes (`InputKind.head(of:)`).
    public let head: [UInt8]
    /// The legacy image's first bytes, after any front; empty when the
    /// failure came before the image.
    public let imageHead: [UInt8]
    /// The options the conversion ran with, for `diagnosed`.
    package let options: ConversionOptions
}
