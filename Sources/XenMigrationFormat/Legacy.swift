/// The legacy (Xen 4.5 and older) save format written by `xc_domain_save()`:
/// a header, a body of `int`-marked chunks and page batches, and a tail.

/// Bitness of the toolstack that wrote a legacy image: the size of its
/// `unsigned long`.
public enum ToolstackWidth: Int, Sendable, Codable, CaseIterable {
    case bits32 = 32
    case bits64 = 64

    /// Size of a native `unsigned long`, in bytes.
    package var ulongSize: Int { self == .bits32 ? 4 : 8 }
    /// An `unsigned long` with every bit set.
    package var allOnes: UInt64 { self == .bits32 ? 0xffff_ffff : .max }
}

public enum GuestType: String, Sendable, Codable, CaseIterable {
    case pv
    case hvm
}

package enum Legacy {
    /// Largest page batch `xc_domain_save()` writes.
    package static let maxBatch: Int32 = 1024
    /// Largest vcpu id a vcpu_info chunk may describe.
    package static let maxVCPUID: Int32 = 4095
    package static let pageSize = 4096

    /// Page-type bits of a pfn_type entry (bits 28-31 of the low word).
    package static let pfnTypeMask: UInt64 = 0xf000_0000
    package static let pfnMask: UInt64 = 0x0fff_ffff
    /// Entries equal to this (XTAB with pfn 0) are padding: dropped.
    package static let xtabPadding: UInt64 = 0xf000_0000
    /// Types at or above this (broken, allocate-only, invalid) carry no page.
    package static let firstDatalessType: UInt64 = 0xd000_0000

    /// Extended-info block sizes of the `vcpu` block.
    package static let vcpuContextSize64: UInt32 = 0x1430
    package static let vcpuContextSize32: UInt32 = 0xaf0
    package static let extendedContextSize = 128
    package static let sharedInfoSize = 4096

    /// Device model record signatures.
    package static let qemuSignatureLength = 21
    package static let deviceModelRecord0002 = Array("DeviceModelRecord0002".utf8)
    package static let qemuDeviceModelRecord = Array("QemuDeviceModelRecord".utf8)
    package static let remusDeviceModelState = Array("RemusDeviceModelState".utf8)

    /// Legacy chunk markers (negative `int`s in the body).
    package enum Chunk: Int32, Sendable {
        case end = 0
        case enableVerifyMode = -1
        case vcpuInfo = -2
        case hvmIdentPT = -3
        case hvmVM86TSS = -4
        case tmem = -5
        case tmemExtra = -6
        case tscInfo = -7
        case hvmConsolePFN = -8
        case lastCheckpoint = -9
        case hvmACPIIOPortsLocation = -10
        case hvmViridian = -11
        case compressedData = -12
        case enableCompression = -13
        case hvmGenerationIDAddr = -14
        case hvmPagingRingPFN = -15
        case hvmMonitorRingPFN = -16
        case hvmSharingRingPFN = -17
        case toolstack = -18
        case hvmIOReqServerPFN = -19
        case hvmNrIOReqServerPages = -20

        /// The most negative marker Xen defines (detection's lower bound).
        package static let lowestMarker = Chunk.hvmNrIOReqServerPages.rawValue

        /// The chunk's name as Xen's tools spell it.
        package var name: String {
            switch self {
            case .end: "end"
            case .enableVerifyMode: "enable_verify_mode"
            case .vcpuInfo: "vcpu_info"
            case .hvmIdentPT: "hvm_ident_pt"
            case .hvmVM86TSS: "hvm_vm86_tss"
            case .tmem: "tmem"
            case .tmemExtra: "tmem_extra"
            case .tscInfo: "tsc_info"
            case .hvmConsolePFN: "hvm_console_pfn"
            case .lastCheckpoint: "last_checkpoint"
            case .hvmACPIIOPortsLocation: "hvm_acpi_ioports_location"
            case .hvmViridian: "hvm_viridian"
            case .compressedData: "compressed_data"
            case .enableCompression: "enable_compression"
            case .hvmGenerationIDAddr: "hvm_generation_id_addr"
            case .hvmPagingRingPFN: "hvm_paging_ring_pfn"
            case .hvmMonitorRingPFN: "hvm_monitor_ring_pfn"
            case .hvmSharingRingPFN: "hvm_sharing_ring_pfn"
            case .toolstack: "toolstack"
            case .hvmIOReqServerPFN: "hvm_ioreq_server_pfn"
            case .hvmNrIOReqServerPages: "hvm_nr_ioreq_server_pages"
            }
        }

        /// For chunks that carry one HVM param (`uint32 pad; uint64 value`):
        /// the param's index.
        package var hvmParam: UInt64? {
            switch self {
            case .hvmIdentPT: HVMParam.identPT
            case .hvmVM86TSS: HVMParam.vm86TSS
            case .hvmConsolePFN: HVMParam.consolePFN
            case .hvmACPIIOPortsLocation: HVMParam.acpiIOPortsLocation
            case .hvmViridian: HVMParam.viridian
            case .hvmGenerationIDAddr: HVMParam.vmGenerationIDAddr
            case .hvmPagingRingPFN: HVMParam.pagingRingPFN
            case .hvmMonitorRingPFN: HVMParam.monitorRingPFN
            case .hvmSharingRingPFN: HVMParam.sharingRingPFN
            case .hvmIOReqServerPFN: HVMParam.ioreqServerPFN
            case .hvmNrIOReqServerPages: HVMParam.nrIOReqServerPages
            default: nil
            }
        }
    }
}

/// HVM parameter indices (xen/include/public/hvm/params.h).
package enum HVMParam {
    package static let storePFN: UInt64 = 1
    package static let ioreqPFN: UInt64 = 5
    package static let bufioreqPFN: UInt64 = 6
    package static let viridian: UInt64 = 9
    package static let identPT: UInt64 = 12
    package static let vm86TSS: UInt64 = 15
    package static let consolePFN: UInt64 = 17
    package static let acpiIOPortsLocation: UInt64 = 19
    package static let pagingRingPFN: UInt64 = 27
    package static let monitorRingPFN: UInt64 = 28
    package static let sharingRingPFN: UInt64 = 29
    package static let ioreqServerPFN: UInt64 = 32
    package static let nrIOReqServerPages: UInt64 = 33
    package static let vmGenerationIDAddr: UInt64 = 34
}

// MARK: - Parsed pieces

extension Legacy {
    /// What a body marker (`int`) announces.
    package enum BodyMarker: Sendable, Equatable {
        /// A batch of this many pfns (1 to `maxBatch`, checked by the reader).
        case pageBatch(count: Int)
        case chunk(Chunk)
        /// A marker no legacy format defines.
        case unknown(Int32)
    }

    /// An extended-info block's header (PV images).
    package struct ExtendedBlock: Sendable, Equatable {
        package var id: [UInt8]
        package var size: UInt32
        /// Input offset of the block header.
        package var offset: UInt64
        package var name: String { String(decoding: id, as: UTF8.self) }

        package init(id: [UInt8], size: UInt32, offset: UInt64) {
            self.id = id
            self.size = size
            self.offset = offset
        }
    }

    /// The `tsc_info` chunk.
    package struct TSCInfo: Sendable, Equatable {
        package var mode: UInt32
        package var nsec: UInt64
        package var khz: UInt32
        package var incarnation: UInt32

        package init(mode: UInt32, nsec: UInt64, khz: UInt32, incarnation: UInt32) {
            self.mode = mode
            self.nsec = nsec
            self.khz = khz
            self.incarnation = incarnation
        }
    }

    /// The fixed part of an HVM image's tail.
    package struct HVMTail: Sendable, Equatable {
        package var ioreqPFN: UInt64
        package var bufioreqPFN: UInt64
        package var storePFN: UInt64
        package var contextSize: UInt32

        package init(ioreqPFN: UInt64, bufioreqPFN: UInt64, storePFN: UInt64, contextSize: UInt32) {
            self.ioreqPFN = ioreqPFN
            self.bufioreqPFN = bufioreqPFN
            self.storePFN = storePFN
            self.contextSize = contextSize
        }
    }

    /// The basic vcpu context size tells a PV guest's width.
    package static func guestWordBytes(vcpuContextSize size: UInt32) -> Int? {
        switch size {
        case vcpuContextSize64: 8
        case vcpuContextSize32: 4
        default: nil
        }
    }

    package static let xsaveHeaderSize: UInt32 = 16
}
