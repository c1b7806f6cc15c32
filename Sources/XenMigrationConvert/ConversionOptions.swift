import XenMigrationFormat
import XenMigrationIO

/// Bounds on what the converter must hold in memory. Everything else
/// (pages, contexts, device model data, p2m frames) streams through.
public struct ConversionLimits: Sendable, Equatable {
    /// Largest single toolstack chunk decoded for libxl output. libxl's own
    /// chunks are a few hundred bytes; 1 MiB leaves a wide margin.
    public var toolstackChunkBytes: UInt32 = 1 << 20
    /// Largest EMULATOR_XENSTORE_DATA body gathered from all toolstack chunks.
    public var xenstoreDataBytes: Int = 8 << 20
    /// Most HVM params collected from body chunks (a real stream has about a dozen).
    public var hvmParams: Int = 1 << 18
    /// Most online vcpu entries gathered from vcpu_info chunks.
    public var onlineVCPUs: Int = 1 << 16

    public init() {}
}

/// What the converter must be told (or detects) about a legacy image.
public struct ConversionOptions: Sendable, Equatable {
    /// nil: detect from the image (octets 4-7, as the libxc spec says).
    public var width: ToolstackWidth?
    /// nil: detect from what follows `p2m_size`.
    public var guest: GuestType?
    public var format: OutputFormat
    public var streamVersion: Libxc.StreamVersion
    /// The stream starts with an `xl save` header, copied to the output.
    /// nil: look for its magic.
    public var xlHeader: Bool?
    /// With libxc output, stop after the HVM context (leave the device
    /// model record unread). No effect on libxl output.
    public var skipQemu: Bool
    public var limits: ConversionLimits
    /// For an xend image: the config to put in the `xl save` header instead
    /// of the translation (as `xl restore CONFIG SAVEFILE` would use it).
    /// Any other input with one is an error.
    public var replacementConfig: [UInt8]?

    public init(
        width: ToolstackWidth?, guest: GuestType?, format: OutputFormat = .libxc,
        streamVersion: Libxc.StreamVersion = .v2, xlHeader: Bool? = false, skipQemu: Bool = false,
        limits: ConversionLimits = ConversionLimits(), replacementConfig: [UInt8]? = nil
    ) {
        self.replacementConfig = replacementConfig
        self.width = width
        self.guest = guest
        self.format = format
        self.streamVersion = streamVersion
        self.xlHeader = xlHeader
        self.skipQemu = skipQemu
        self.limits = limits
    }
}
