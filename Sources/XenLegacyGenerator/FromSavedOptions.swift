import XenMigration

/// What comes before the legacy stream in an image made from a saved one.
public enum LegacyFront: String, Sendable, CaseIterable {
    /// An `xl save` header as Xen 4.5's xl wrote it: the config as libxl
    /// JSON, mandatory flag JSON set.
    case xlJSON = "xl-json"
    /// An `xl save` header as Xen 4.4 and older wrote it: xl.cfg text.
    case xlText = "xl-text"
    /// The bare legacy libxc image.
    case none
    /// An xend `xm save` front: "LinuxGuestRecord" and an SXP config.
    case xend
}

/// How a saved v2/v3 stream is turned back into a legacy image.
public struct FromSavedOptions: Sendable, Equatable {
    public var front: LegacyFront
    /// The config for the front (xl.cfg text, JSON or SXP); nil: the
    /// input's xl header config (xl-json) or a minimal one (xend).
    public var config: [UInt8]?
    /// Bitness of the legacy toolstack to imitate.
    public var width: ToolstackWidth
    /// HVM: the legacy header's p2m_size; nil: the highest pfn seen in a
    /// scan + 1, or `defaultHVMP2MSize` when the input cannot be scanned.
    public var hvmP2MSize: UInt64?
    public var limits: FromSavedLimits

    public static let defaultHVMP2MSize: UInt64 = 0x10_0000

    public init(
        front: LegacyFront = .xlJSON, config: [UInt8]? = nil, width: ToolstackWidth = .bits64,
        hvmP2MSize: UInt64? = nil, limits: FromSavedLimits = FromSavedLimits()
    ) {
        self.front = front
        self.config = config
        self.width = width
        self.hvmP2MSize = hvmP2MSize
        self.limits = limits
    }
}

/// Bounds on what is held in memory: everything the legacy layout wants
/// earlier or later than the saved stream has it (the tail, the config).
/// Pages and the device model state stream through.
public struct FromSavedLimits: Sendable, Equatable {
    /// The config of an xl header or given by option.
    public var configBytes = 4 << 20
    /// Vcpu contexts, shared info and HVM context together, held until
    /// the legacy tail is written.
    public var tailBytes: UInt64 = 64 << 20
    /// EMULATOR_XENSTORE_DATA (libxl's physmap keys).
    public var xenstoreBytes: UInt32 = 1 << 20
    public var vcpus = 4096
    public var hvmParams = 1024

    public init() {}
}

/// What the layout of the legacy header depends on but only the end of a
/// saved stream tells: learnt by a first pass over a seekable input.
public struct SavedStreamFacts: Sendable, Equatable {
    /// PV: every vcpu has an X86_PV_VCPU_EXTENDED record.
    public var extendedContext = false
    /// PV: the size of every vcpu's xsave data (nil: no xsave records).
    public var xsaveSize: UInt64?
    /// Highest pfn in PAGE_DATA records and the magic HVM pfns.
    public var highestPFN: UInt64?
    /// Vcpus with a basic context (PV) or a CPU record in the HVM context.
    public var vcpus = 0
    /// Pages with data in PAGE_DATA records.
    public var pages: UInt64 = 0
    public var hvm = false

    public init() {}
}

/// What a run did: records without a legacy equivalent, by type, and
/// notes about values the legacy layout holds differently.
public struct FromSavedReport: Sendable, Equatable {
    public var guest: GuestType = .hvm
    public var streamVersion: UInt32 = 0
    /// The layers found: "xl", "libxl", "libxc".
    public var layers: [String] = []
    /// Dropped records by spec name (libxl ones prefixed "libxl "), in the
    /// order first seen, with their count.
    public var dropped: [(name: String, count: Int)] = []
    /// HVM params dropped (no legacy chunk), by index.
    public var droppedHVMParams: [UInt64] = []
    public var notes: [String] = []
    public var pageRecords: UInt64 = 0
    public var pages: UInt64 = 0
    public var deviceModelBytes: UInt64?
    public var bytesRead: UInt64 = 0
    public var bytesWritten: UInt64 = 0

    public init() {}

    /// Most distinct notes kept: a hostile stream may repeat one a million times.
    static let maxNotes = 64

    mutating func note(_ line: String) {
        guard notes.count < FromSavedReport.maxNotes, !notes.contains(line) else { return }
        notes.append(line)
    }

    mutating func drop(_ name: String) {
        if let i = dropped.firstIndex(where: { $0.name == name }) {
            dropped[i].count += 1
        } else {
            dropped.append((name, 1))
        }
    }

    /// One line per dropped record type and per note, for stderr.
    public var lines: [String] {
        var out = dropped.map {
            "dropped \($0.count) \($0.name) record\($0.count == 1 ? "" : "s"): no legacy equivalent"
        }
        if !droppedHVMParams.isEmpty {
            out.append(
                "dropped HVM param\(droppedHVMParams.count == 1 ? "" : "s") "
                    + droppedHVMParams.map { String($0) }.joined(separator: ", ") + ": no legacy chunk")
        }
        return out + notes
    }

    public static func == (a: FromSavedReport, b: FromSavedReport) -> Bool {
        a.guest == b.guest && a.streamVersion == b.streamVersion && a.layers == b.layers
            && a.dropped.map(\.name) == b.dropped.map(\.name) && a.dropped.map(\.count) == b.dropped.map(\.count)
            && a.droppedHVMParams == b.droppedHVMParams && a.notes == b.notes && a.pages == b.pages
    }
}
