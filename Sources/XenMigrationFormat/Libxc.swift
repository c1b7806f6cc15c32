/// The libxc migration stream, versions 2 and 3
/// (docs/specs/libxc-migration-stream.pandoc).
public enum Libxc {
    /// The image header's version field.
    public enum StreamVersion: UInt32, Sendable, Codable, CaseIterable, Comparable {
        /// Xen 4.6 to 4.13.
        case v2 = 2
        /// Xen 4.14 and later: adds STATIC_DATA_END and the CPU policy records.
        case v3 = 3

        public static func < (a: StreamVersion, b: StreamVersion) -> Bool { a.rawValue < b.rawValue }
    }

    package static let imageMarker: UInt64 = .max
    package static let imageID: UInt32 = 0x5845_4E46  // "XENF"
    /// Image header option bit 0: big-endian stream.
    package static let optionBigEndian: UInt16 = 1
    /// Image header option bits the spec reserves (all but big-endian).
    package static let optionReservedMask: UInt16 = 0xfffe

    /// `xen_minor` of a legacy-converted domain header: the converter's
    /// version (`xen_major` is 0).
    package static let converterVersion: UInt32 = 1

    package enum DomainType: UInt32, Sendable, Codable {
        case x86PV = 1
        case x86HVM = 2
        case x86PVH = 3
        case arm = 4

        package var name: String {
            switch self {
            case .x86PV: "x86 PV"
            case .x86HVM: "x86 HVM"
            case .x86PVH: "x86 PVH"
            case .arm: "ARM"
            }
        }
    }

    public enum RecordType: UInt32, Sendable, CaseIterable {
        case end = 0x00
        case pageData = 0x01
        case x86PVInfo = 0x02
        case x86PVP2MFrames = 0x03
        case x86PVVCPUBasic = 0x04
        case x86PVVCPUExtended = 0x05
        case x86PVVCPUXsave = 0x06
        case sharedInfo = 0x07
        case x86TSCInfo = 0x08
        case hvmContext = 0x09
        case hvmParams = 0x0a
        case toolstack = 0x0b
        case x86PVVCPUMSRs = 0x0c
        case verify = 0x0d
        case checkpoint = 0x0e
        case checkpointDirtyPFNList = 0x0f
        case staticDataEnd = 0x10
        case x86CPUIDPolicy = 0x11
        case x86MSRPolicy = 0x12

        /// The name Xen's verifier prints.
        package var name: String {
            switch self {
            case .end: "End"
            case .pageData: "Page data"
            case .x86PVInfo: "x86 PV info"
            case .x86PVP2MFrames: "x86 PV P2M frames"
            case .x86PVVCPUBasic: "x86 PV vcpu basic"
            case .x86PVVCPUExtended: "x86 PV vcpu extended"
            case .x86PVVCPUXsave: "x86 PV vcpu xsave"
            case .sharedInfo: "Shared info"
            case .x86TSCInfo: "TSC info"
            case .hvmContext: "HVM context"
            case .hvmParams: "HVM params"
            case .toolstack: "Toolstack"
            case .x86PVVCPUMSRs: "x86 PV vcpu msrs"
            case .verify: "Verify"
            case .checkpoint: "Checkpoint"
            case .checkpointDirtyPFNList: "Checkpoint dirty pfn list"
            case .staticDataEnd: "Static data end"
            case .x86CPUIDPolicy: "x86 CPUID policy"
            case .x86MSRPolicy: "x86 MSR policy"
            }
        }

        /// Identifier used in reports: the spec's record name.
        package var specName: String {
            switch self {
            case .end: "END"
            case .pageData: "PAGE_DATA"
            case .x86PVInfo: "X86_PV_INFO"
            case .x86PVP2MFrames: "X86_PV_P2M_FRAMES"
            case .x86PVVCPUBasic: "X86_PV_VCPU_BASIC"
            case .x86PVVCPUExtended: "X86_PV_VCPU_EXTENDED"
            case .x86PVVCPUXsave: "X86_PV_VCPU_XSAVE"
            case .sharedInfo: "SHARED_INFO"
            case .x86TSCInfo: "X86_TSC_INFO"
            case .hvmContext: "HVM_CONTEXT"
            case .hvmParams: "HVM_PARAMS"
            case .toolstack: "TOOLSTACK"
            case .x86PVVCPUMSRs: "X86_PV_VCPU_MSRS"
            case .verify: "VERIFY"
            case .checkpoint: "CHECKPOINT"
            case .checkpointDirtyPFNList: "CHECKPOINT_DIRTY_PFN_LIST"
            case .staticDataEnd: "STATIC_DATA_END"
            case .x86CPUIDPolicy: "X86_CPUID_POLICY"
            case .x86MSRPolicy: "X86_MSR_POLICY"
            }
        }
    }

    /// PAGE_DATA pfn fields: type in bits 60-63, pfn in bits 0-51.
    package static let pfnTypeShift: UInt64 = 60
    package static let pfnReservedMask: UInt64 = ((1 << 60) - 1) & ~((1 << 52) - 1)

    /// Largest record body the format can express.
    package static let maxRecordLength = UInt64(UInt32.max)

    /// Zero bytes after a body of `length` bytes to reach a multiple of 8
    /// (libxl records are padded alike).
    package static func padding(for length: UInt64) -> Int {
        Int((8 &- (length & 7)) & 7)
    }

    /// The domain header's page shift: 4 KiB pages.
    package static let pageShift: UInt16 = 12
    /// Bytes in a page of `PAGE_DATA` (`1 << pageShift`).
    package static let pageSize = 1 << Int(pageShift)
}
