import XenMigration

/// A declarative description of a legacy (Xen 4.5 and older) save image,
/// from which both the legacy bytes (`write(to:)`, `legacyBytes()`) and
/// what a correct converter must make of them (`expectedOutcome(...)`) are
/// derived. Bulk contents (pages, contexts, blobs) are pseudo-random bytes
/// from seeds, so big images stream in constant memory.
///
/// Layout facts follow Xen's docs/specs/libxc-migration-stream (its
/// "Legacy Images" section) and xc_domain_save. The model describes streams as a
/// writer could lay them out, including broken ones (unknown chunks,
/// duplicate pfns, bad block sizes...) for error tests; the expected side
/// predicts the first error in stream order.
package struct LegacyImage: Sendable, Equatable {
    package var width: ToolstackWidth
    package var guest: GuestType
    /// `xl save` header in front of the image, or none.
    package var xlHeader: XLHeader?
    package var p2mSize: UInt64
    /// PV only: the extended-info blocks, in order.
    package var extendedInfo: [ExtendedInfoBlock]
    /// PV only: the p2m frame list (its length follows from `p2mSize` and
    /// the guest width of the last `vcpu` block) is made from this seed.
    package var p2mFrameSeed: UInt64
    /// The body, in order; the end marker follows it.
    package var body: [BodyItem]
    package var pvTail: PVTail
    package var hvmTail: HVMTail
    /// HVM only (a PV converter never reads it): the record after the tail.
    package var deviceModel: DeviceModel?
    /// Bytes after everything a converter reads (ignored by it). Part of
    /// the data of a QemuDeviceModelRecord; read as a signature when an HVM
    /// image has no device model record (keep it free of known signatures).
    package var trailer: [UInt8]

    package init(
        width: ToolstackWidth, guest: GuestType, xlHeader: XLHeader? = nil, p2mSize: UInt64,
        extendedInfo: [ExtendedInfoBlock] = [], p2mFrameSeed: UInt64 = 0, body: [BodyItem] = [],
        pvTail: PVTail = PVTail(), hvmTail: HVMTail = HVMTail(), deviceModel: DeviceModel? = nil,
        trailer: [UInt8] = []
    ) {
        self.width = width
        self.guest = guest
        self.xlHeader = xlHeader
        self.p2mSize = p2mSize
        self.extendedInfo = extendedInfo
        self.p2mFrameSeed = p2mFrameSeed
        self.body = body
        self.pvTail = pvTail
        self.hvmTail = hvmTail
        self.deviceModel = deviceModel
        self.trailer = trailer
    }
}

/// `"Xen saved domain, xl format\n \0 \r"`, four native uint32s, config.
package struct XLHeader: Sendable, Equatable {
    package static let magic: [UInt8] = Array("Xen saved domain, xl format\n \u{0} \r".utf8)
    package var byteOrder: UInt32
    package var mandatoryFlags: UInt32
    package var optionalFlags: UInt32
    /// The optional data (the domain config); its length is written before it.
    package var optionalData: [UInt8]

    package init(
        byteOrder: UInt32 = 0x0102_0304, mandatoryFlags: UInt32 = 0, optionalFlags: UInt32 = 0,
        optionalData: [UInt8] = []
    ) {
        self.byteOrder = byteOrder
        self.mandatoryFlags = mandatoryFlags
        self.optionalFlags = optionalFlags
        self.optionalData = optionalData
    }
}

/// One `{char id[4]; uint32 size; byte data[size]}` extended-info block.
package struct ExtendedInfoBlock: Sendable, Equatable {
    package var id: [UInt8]
    package var data: Blob

    package init(id: [UInt8], data: Blob) {
        self.id = id
        self.data = data
    }

    /// Basic context size of a 64-bit guest (4 pagetable levels).
    package static let vcpuSize64 = 0x1430
    /// Basic context size of a 32-bit guest (3 levels).
    package static let vcpuSize32 = 0xaf0

    /// The `vcpu` block of a guest of 4 or 8 bytes width; `size` overrides
    /// the size (an invalid one is an error).
    package static func vcpu(guestWidth: Int, size: Int? = nil, seed: UInt64 = 0) -> ExtendedInfoBlock {
        let n = size ?? (guestWidth == 8 ? vcpuSize64 : vcpuSize32)
        return ExtendedInfoBlock(id: Array("vcpu".utf8), data: .random(count: n, seed: seed))
    }

    /// `extv`: the tail carries 128 bytes of extended context per vcpu.
    package static let extv = ExtendedInfoBlock(id: Array("extv".utf8), data: .bytes([]))

    /// `xcnt`: `uint32 xsave_len` (then `extra` bytes the reader skips).
    package static func xcnt(_ xsaveLength: UInt32, extra: [UInt8] = []) -> ExtendedInfoBlock {
        ExtendedInfoBlock(id: Array("xcnt".utf8), data: .bytes(le32(xsaveLength) + extra))
    }
}

/// Bytes given literally, or `count` pseudo-random bytes from `seed`.
package enum Blob: Sendable, Equatable {
    case bytes([UInt8])
    case random(count: Int, seed: UInt64)

    package var count: Int {
        switch self {
        case .bytes(let b): b.count
        case .random(let n, _): n
        }
    }

    /// The contents (in memory: for small blobs).
    package var contents: [UInt8] {
        switch self {
        case .bytes(let b): return b
        case .random(let n, let seed):
            var out = [UInt8](repeating: 0, count: n)
            out.withUnsafeMutableBytes { buffer in
                var done = 0
                var index: UInt64 = 0
                while done < n, let base = buffer.baseAddress {
                    let k = min(4096, n - done)
                    fillRandom(base + done, count: k, seed: SplitMix64.derive(seed, index))
                    done += k
                    index += 1
                }
            }
            return out
        }
    }

    func write(to e: Emitter) throws {
        switch self {
        case .bytes(let b): try e.bytes(b)
        case .random(let n, let seed): try e.random(n, seed: seed)
        }
    }
}

/// Legacy chunk markers (negative `int`s in the body).
package enum ChunkID {
    package static let enableVerifyMode: Int32 = -1
    package static let vcpuInfo: Int32 = -2
    package static let hvmIdentPT: Int32 = -3
    package static let hvmVM86TSS: Int32 = -4
    package static let tmem: Int32 = -5
    package static let tmemExtra: Int32 = -6
    package static let tscInfo: Int32 = -7
    package static let hvmConsolePFN: Int32 = -8
    package static let lastCheckpoint: Int32 = -9
    package static let hvmACPIIOPortsLocation: Int32 = -10
    package static let hvmViridian: Int32 = -11
    package static let compressedData: Int32 = -12
    package static let enableCompression: Int32 = -13
    package static let hvmGenerationIDAddr: Int32 = -14
    package static let hvmPagingRingPFN: Int32 = -15
    package static let hvmMonitorRingPFN: Int32 = -16
    package static let hvmSharingRingPFN: Int32 = -17
    package static let toolstack: Int32 = -18
    package static let hvmIOReqServerPFN: Int32 = -19
    package static let hvmNrIOReqServerPages: Int32 = -20

    /// Chunks carrying one HVM param (`uint32 pad; uint64 value`), with the
    /// param index each becomes.
    package static let hvmParamIndex: [Int32: UInt64] = [
        hvmIdentPT: 12, hvmVM86TSS: 15, hvmConsolePFN: 17, hvmACPIIOPortsLocation: 19,
        hvmViridian: 9, hvmGenerationIDAddr: 34, hvmPagingRingPFN: 27, hvmMonitorRingPFN: 28,
        hvmSharingRingPFN: 29, hvmIOReqServerPFN: 32, hvmNrIOReqServerPages: 33,
    ]
    package static let hvmParamChunks: [Int32] = hvmParamIndex.keys.sorted(by: >)
}

/// One thing in the legacy body.
package enum BodyItem: Sendable, Equatable {
    /// A page batch: its `pfn_type` entries as native values.
    case pages(PageBatch)
    /// Many pages in consecutive batches, generated as written (big images).
    case pageRun(PageRun)
    case enableVerifyMode
    /// `int max_id; uint64 bitmap[max_id/64 + 1]` (bitmap written as given).
    case vcpuInfo(maxID: Int32, bitmap: [UInt64])
    /// An HVM-param chunk (`ChunkID.hvmParamChunks`): `uint32 pad; uint64 value`.
    case hvmParam(chunk: Int32, value: UInt64, padding: UInt32)
    case tscInfo(mode: UInt32, nsec: UInt64, khz: UInt32, incarnation: UInt32)
    case lastCheckpoint
    /// `uint32 size; byte data[size]` (see `Toolstack` for libxl's layout).
    case toolstack([UInt8])
    /// Unsupported: the marker, then `payload` (never read by a converter).
    case tmem(payload: [UInt8])
    case tmemExtra(payload: [UInt8])
    /// Unsupported: `uint32 size; byte data[size]`.
    case compressedData(Blob)
    case enableCompression
    /// Any other marker (a positive one is a batch count: above 1024, an
    /// error), then `payload`.
    case rawMarker(Int32, payload: [UInt8])

    /// A vcpu_info chunk with exactly `online` set; `maxID` defaults to the
    /// highest online id (0 when none).
    package static func vcpuInfo(online: [Int], maxID: Int32? = nil) -> BodyItem {
        let top = maxID ?? Int32(online.max() ?? 0)
        var bitmap = [UInt64](repeating: 0, count: Int(max(top, 0)) / 64 + 1)
        for id in online where id / 64 < bitmap.count { bitmap[id / 64] |= 1 << UInt64(id % 64) }
        return .vcpuInfo(maxID: top, bitmap: bitmap)
    }
}

/// One page batch. Entries equal to `0xf0000000` are padding; types 0xd,
/// 0xe and 0xf (bits 28-31) carry no page; every other entry is followed by
/// a page generated from `seed` and its position in `entries`.
package struct PageBatch: Sendable, Equatable {
    package var entries: [UInt64]
    package var seed: UInt64

    package init(entries: [UInt64], seed: UInt64) {
        self.entries = entries
        self.seed = seed
    }

    package static let padding: UInt64 = 0xf000_0000

    package static func entry(pfn: UInt64, type: UInt64) -> UInt64 { (type & 0xf) << 28 | (pfn & 0x0fff_ffff) }

    package static func carriesData(_ entry: UInt64) -> Bool { entry & 0xf000_0000 < 0xd000_0000 }

    package func pageSeed(_ index: Int) -> UInt64 { SplitMix64.derive(seed, UInt64(index)) }
}

/// How generated pages are filled.
package enum PageFill: String, Sendable, Equatable, CaseIterable {
    /// Pseudo-random bytes everywhere.
    case random
    /// The pfn and a seed in the first 16 bytes, zeros after (cheaper).
    case stamp
}

/// `count` pages of consecutive pfns from `firstPFN`, in batches of
/// `batchSize` (the last one shorter), generated while written.
package struct PageRun: Sendable, Equatable {
    package var firstPFN: UInt64
    package var count: UInt64
    package var batchSize: Int
    package var seed: UInt64
    package var fill: PageFill
    /// Every this-many pages is a pinned L1 pagetable (type 0x9) rather
    /// than a plain page (0: none), as in a PV guest.
    package var pagetableEvery: UInt64

    package init(
        firstPFN: UInt64 = 0, count: UInt64, batchSize: Int, seed: UInt64, fill: PageFill = .random,
        pagetableEvery: UInt64 = 0
    ) {
        self.firstPFN = firstPFN
        self.count = count
        self.batchSize = batchSize
        self.seed = seed
        self.fill = fill
        self.pagetableEvery = pagetableEvery
    }

    func entry(_ i: UInt64) -> UInt64 {
        let type: UInt64 = pagetableEvery != 0 && i % pagetableEvery == pagetableEvery - 1 ? 0x9 : 0
        return PageBatch.entry(pfn: firstPFN &+ i, type: type)
    }

    func writePage(_ i: UInt64, to e: Emitter) throws {
        let pageSeed = SplitMix64.derive(seed, i)
        switch fill {
        case .random: try e.page(seed: pageSeed)
        case .stamp: try e.stampPage(pfn: firstPFN &+ i, seed: pageSeed)
        }
    }
}

extension LegacyImage {
    /// The effective PV layout the extended info describes: the last `vcpu`
    /// and `xcnt` blocks win, as a reader processing them in order sees.
    struct PVLayout {
        var guestWidth = 0
        var basicSize = 0
        var extended = false
        var xsaveLength: UInt32 = 0
    }

    var pvLayout: PVLayout {
        var layout = PVLayout()
        for block in extendedInfo {
            switch block.id {
            case Array("vcpu".utf8):
                layout.basicSize = block.data.count
                layout.guestWidth =
                    block.data.count == ExtendedInfoBlock.vcpuSize64
                    ? 8
                    : block.data.count == ExtendedInfoBlock.vcpuSize32 ? 4 : 0
            case Array("extv".utf8):
                layout.extended = true
            case Array("xcnt".utf8):
                let b = block.data.contents
                if b.count >= 4 {
                    layout.xsaveLength = UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
                }
            default: break
            }
        }
        return layout
    }

    /// Length of the p2m frame list, for a known guest width.
    var p2mFrameCount: UInt64 {
        let layout = pvLayout
        guard layout.guestWidth != 0, p2mSize >= 1 else { return 0 }
        return (p2mSize - 1) / UInt64(4096 / layout.guestWidth) + 1
    }

    func p2mFrame(_ i: UInt64) -> UInt64 {
        let v = SplitMix64.derive(p2mFrameSeed, i) & 0xf_ffff_ffff
        return width == .bits32 ? v & 0xffff_ffff : v
    }

    /// Online vcpu ids in the order the vcpu_info chunks list them.
    package var onlineVCPUs: [Int] {
        var ids: [Int] = []
        for case .vcpuInfo(let maxID, let bitmap) in body where maxID >= 0 && maxID <= 4095 {
            for (w, word) in bitmap.prefix(Int(maxID) / 64 + 1).enumerated() {
                for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { ids.append(w * 64 + bit) }
            }
        }
        return ids
    }
}
