import XenMigration

/// Writes what the converter must write, in the order Xen's converter
/// writes it:
/// [xl header] [libxl header, LIBXC_CONTEXT] image header, domain header,
/// (PV) X86_PV_INFO, (v3) STATIC_DATA_END, (PV) P2M frames, body records,
/// collected HVM params, tail records, END, [xenstore data] [device model]
/// [libxl END].
struct ExpectedWriter {
    let image: LegacyImage
    let settings: ConversionSettings
    let e: Emitter

    var isPV: Bool { image.guest == .pv }
    var isLibxl: Bool { settings.format == .libxl }

    // Record types used below (libxc and libxl specs).
    static let recEnd: UInt32 = 0x00
    static let recPageData: UInt32 = 0x01
    static let recPVInfo: UInt32 = 0x02
    static let recP2MFrames: UInt32 = 0x03
    static let recVCPUBasic: UInt32 = 0x04
    static let recVCPUExtended: UInt32 = 0x05
    static let recVCPUXsave: UInt32 = 0x06
    static let recSharedInfo: UInt32 = 0x07
    static let recTSCInfo: UInt32 = 0x08
    static let recHVMContext: UInt32 = 0x09
    static let recHVMParams: UInt32 = 0x0a
    static let recStaticDataEnd: UInt32 = 0x10
    static let libxlEnd: UInt32 = 0
    static let libxlLibxcContext: UInt32 = 1
    static let libxlXenstoreData: UInt32 = 2
    static let libxlEmulatorContext: UInt32 = 3

    func fail(_ kind: ExpectedFailure.Kind, _ reason: String) -> ExpectedFailure {
        ExpectedFailure(kind, reason)
    }

    static func padding(_ length: UInt64) -> Int { Int((8 - length % 8) % 8) }

    func record(_ type: UInt32, _ body: [UInt8] = []) throws {
        try e.u32(type)
        try e.u32(UInt32(body.count))
        try e.bytes(body)
        try e.zeros(Self.padding(UInt64(body.count)))
    }

    /// Starts a record whose body the caller streams; returns its padding.
    func recordHeader(_ type: UInt32, length: UInt64) throws -> Int {
        guard length <= UInt64(UInt32.max) else { throw fail(.malformed, "record of \(length) bytes") }
        try e.u32(type)
        try e.u32(UInt32(length))
        return Self.padding(length)
    }

    func run() throws {
        if let xl = image.xlHeader {
            try e.bytes(XLHeader.magic)
            try e.u32(xl.byteOrder)
            try e.u32(xl.mandatoryFlags | (isLibxl ? 2 : 0))
            try e.u32(xl.optionalFlags)
            try e.u32(UInt32(truncatingIfNeeded: xl.optionalData.count))
            try e.bytes(xl.optionalData)
        }
        if isLibxl {
            try e.u64BE(0x4c69_6278_6c46_6d74)  // "LibxlFmt"
            try e.u32BE(2)
            try e.u32BE(2)  // little-endian, legacy-converted
            try record(Self.libxlLibxcContext)
        }
        // Image header (big-endian) and domain header.
        try e.u64BE(.max)
        try e.u32BE(0x5845_4e46)
        try e.u32BE(settings.streamVersion)
        try e.u16BE(0)
        try e.u16BE(0)
        try e.u32BE(0)
        try e.u32(isPV ? 1 : 2)
        try e.u16(12)
        try e.u16(0)
        try e.u32(0)
        try e.u32(1)

        if isPV { try extendedInfo() }
        if settings.streamVersion >= 3 { try record(Self.recStaticDataEnd) }
        if isPV { try p2mFrames() }

        let state = try bodyRecords()

        if isPV { try pvTail(online: state.online) } else { try hvmTail() }
        if isLibxl && !state.xenstore.isEmpty {
            try record(Self.libxlXenstoreData, le32(0) + le32(0) + state.xenstore)
        }
        if !isPV && (isLibxl || !settings.skipQemu) { try deviceModel() }
        if isLibxl { try record(Self.libxlEnd) }
    }

    func extendedInfo() throws {
        for block in image.extendedInfo {
            let name = String(decoding: block.id, as: UTF8.self)
            switch block.id {
            case Array("vcpu".utf8):
                let (width, levels): (UInt8, UInt8)
                switch block.data.count {
                case ExtendedInfoBlock.vcpuSize64: (width, levels) = (8, 4)
                case ExtendedInfoBlock.vcpuSize32: (width, levels) = (4, 3)
                default: throw fail(.malformed, "vcpu block size \(block.data.count)")
                }
                try record(Self.recPVInfo, [width, levels, 0, 0, 0, 0, 0, 0])
            case Array("extv".utf8):
                break
            case Array("xcnt".utf8):
                guard block.data.count >= 4 else { throw fail(.malformed, "xcnt block of \(block.data.count) bytes") }
            default:
                throw fail(.malformed, "unknown extended-info block '\(name)'")
            }
        }
    }

    func p2mFrames() throws {
        guard image.pvLayout.guestWidth != 0 else { throw fail(.malformed, "no vcpu block: guest width unknown") }
        guard image.p2mSize >= 1, image.p2mSize - 1 <= UInt64(UInt32.max) else {
            throw fail(.malformed, "PV p2m_size \(image.p2mSize) out of range")
        }
        let count = image.p2mFrameCount
        _ = try recordHeader(Self.recP2MFrames, length: 8 + count * 8)
        try e.u32(0)
        try e.u32(UInt32(image.p2mSize - 1))
        for i in 0..<count { try e.u64(image.p2mFrame(i)) }
    }

    struct BodyState {
        var online: [Int] = []
        var params: [(UInt64, UInt64)] = []
        var xenstore: [UInt8] = []
    }

    func bodyRecords() throws -> BodyState {
        var state = BodyState()
        for item in image.body {
            switch item {
            case .pages(let batch):
                guard !batch.entries.isEmpty else { continue }  // the writer writes nothing for it
                guard batch.entries.count <= 1024 else { throw fail(.malformed, "batch of \(batch.entries.count)") }
                try pageData(batch)
            case .pageRun(let run):
                try pageRun(run)
            case .enableVerifyMode, .lastCheckpoint:
                break
            case .vcpuInfo(let maxID, let bitmap):
                guard maxID <= 4095 else { throw fail(.malformed, "vcpu max_id \(maxID) > 4095") }
                guard maxID >= 0 else { throw fail(.malformed, "vcpu max_id \(maxID) < 0") }
                for (w, word) in bitmap.prefix(Int(maxID) / 64 + 1).enumerated() {
                    for bit in 0..<64 where word >> UInt64(bit) & 1 != 0 { state.online.append(w * 64 + bit) }
                }
            case .hvmParam(let chunk, let value, _):
                guard let index = ChunkID.hvmParamIndex[chunk] else {
                    throw fail(.malformed, "chunk \(chunk) is not an HVM-param chunk")
                }
                state.params.append((index, value))
            case .tscInfo(let mode, let nsec, let khz, let incarnation):
                try record(Self.recTSCInfo, le32(mode) + le32(khz) + le64(nsec) + le32(incarnation) + le32(0))
            case .toolstack(let data):
                if isLibxl && !data.isEmpty {
                    guard data.count <= 1 << 20 else { throw fail(.malformed, "toolstack chunk over 1 MiB") }
                    state.xenstore += try decodePhysmap(data)
                    guard state.xenstore.count <= 8 << 20 else { throw fail(.malformed, "xenstore data over 8 MiB") }
                }
            case .tmem:
                throw fail(.unsupported, "tmem chunk")
            case .tmemExtra:
                throw fail(.unsupported, "tmem_extra chunk")
            case .compressedData:
                throw fail(.unsupported, "compressed_data chunk")
            case .enableCompression:
                throw fail(.unsupported, "enable_compression chunk")
            case .rawMarker(let marker, _):
                // Only markers that are errors are modelled this way.
                throw fail(.malformed, marker > 0 ? "batch of \(marker) > 1024" : "unknown chunk \(marker)")
            }
        }
        if !state.params.isEmpty {
            guard !isPV else { throw fail(.malformed, "HVM param in a PV stream") }
            try hvmParams(state.params)
        }
        return state
    }

    func hvmParams(_ params: [(UInt64, UInt64)]) throws {
        var body = le32(UInt32(params.count)) + le32(0)
        for (index, value) in params { body += le64(index) + le64(value) }
        try record(Self.recHVMParams, body)
    }

    /// Native entry to v2 pfn: type from bits 28-31 to 60-63, pfn bits 0-27.
    static func v2PFN(_ entry: UInt64) -> UInt64 { (entry & 0xf000_0000) << 32 | entry & 0x0fff_ffff }

    func pageData(_ batch: PageBatch) throws {
        var kept: [(index: Int, entry: UInt64)] = []
        for (i, entry) in batch.entries.enumerated() where entry != PageBatch.padding { kept.append((i, entry)) }
        let values = kept.map(\.entry)
        guard Set(values).count == values.count else { throw fail(.malformed, "duplicate pfns in a batch") }
        let pages = kept.filter { PageBatch.carriesData($0.entry) }
        _ = try recordHeader(Self.recPageData, length: 8 + UInt64(kept.count) * 8 + UInt64(pages.count) * 4096)
        try e.u32(UInt32(kept.count))
        try e.u32(0)
        for (_, entry) in kept { try e.u64(Self.v2PFN(entry)) }
        for (i, _) in pages { try e.page(seed: batch.pageSeed(i)) }
    }

    func pageRun(_ run: PageRun) throws {
        let size = UInt64(max(run.batchSize, 1))
        guard run.count == 0 || size <= 1024 else { throw fail(.malformed, "batch of \(size) > 1024") }
        var start: UInt64 = 0
        while start < run.count {
            let n = min(size, run.count - start)
            _ = try recordHeader(Self.recPageData, length: 8 + n * 8 + n * 4096)
            try e.u32(UInt32(n))
            try e.u32(0)
            for i in start..<(start + n) { try e.u64(Self.v2PFN(run.entry(i))) }
            for i in start..<(start + n) { try run.writePage(i, to: e) }
            start += n
        }
    }

    /// libxl's toolstack blob as `key\0value\0` pairs (libxl's physmap
    /// keys, as Xen's converter writes them).
    func decodePhysmap(_ data: [UInt8]) throws -> [UInt8] {
        // Every field read here is within `data`: each is checked before.
        let fields = ByteCursor(data)
        func u32(_ at: Int) -> UInt64 { UInt64(fields.peek(UInt32.self, at: at) ?? 0) }
        func u64(_ at: Int) -> UInt64 { fields.peek(UInt64.self, at: at) ?? 0 }
        func hexString(_ v: UInt64) -> [UInt8] { Array(hex(v).utf8) }
        guard data.count >= 8 else { throw fail(.malformed, "toolstack data shorter than 8 bytes") }
        guard u32(0) == 1 else { throw fail(.malformed, "toolstack version \(u32(0))") }
        let count = u32(4)
        var at = 8
        var out: [UInt8] = []
        var n: UInt64 = 0
        while n < count {
            guard data.count - at >= 28 else { throw fail(.malformed, "physmap entry header cut short") }
            let phys = u64(at)
            let start = u64(at + 8)
            let size = u64(at + 16)
            let nameLength = Int(u32(at + 24))
            at += 28
            guard nameLength > 0 else { throw fail(.malformed, "physmap name length 0") }
            let leak = image.width == .bits64 ? 4 : 0
            guard data.count - at >= nameLength + leak else { throw fail(.malformed, "physmap name cut short") }
            let name = Array(data[at..<(at + nameLength)])
            at += nameLength + leak
            guard name.last == 0 else { throw fail(.malformed, "physmap name not NUL-terminated") }
            let root = Array("physmap/".utf8) + hexString(phys)
            out += root + Array("/start_addr".utf8) + [0] + hexString(start) + [0]
            out += root + Array("/size".utf8) + [0] + hexString(size) + [0]
            out += root + Array("/name".utf8) + [0] + name
            n += 1
        }
        return out
    }

    func pvTail(online: [Int]) throws {
        let layout = image.pvLayout
        for (ordinal, id) in online.enumerated() {
            var pad = try recordHeader(Self.recVCPUBasic, length: 8 + UInt64(layout.basicSize))
            try e.u32(UInt32(id))
            try e.u32(0)
            try e.random(layout.basicSize, seed: image.pvTail.seed(ordinal, 0))
            try e.zeros(pad)
            if layout.extended {
                pad = try recordHeader(Self.recVCPUExtended, length: 8 + 128)
                try e.u32(UInt32(id))
                try e.u32(0)
                try e.random(128, seed: image.pvTail.seed(ordinal, 1))
                try e.zeros(pad)
            }
            if layout.xsaveLength != 0 {
                guard layout.xsaveLength >= 16 else {
                    throw fail(.malformed, "xsave length \(layout.xsaveLength) < 16")
                }
                let size = Int(layout.xsaveLength) - 16
                pad = try recordHeader(Self.recVCPUXsave, length: 8 + UInt64(size))
                try e.u32(UInt32(id))
                try e.u32(0)
                try e.random(size, seed: image.pvTail.seed(ordinal, 2))
                try e.zeros(pad)
            }
        }
        _ = try recordHeader(Self.recSharedInfo, length: 4096)
        try e.random(4096, seed: image.pvTail.sharedInfoSeed)
        try record(Self.recEnd)
    }

    func hvmTail() throws {
        let tail = image.hvmTail
        try hvmParams([(5, tail.ioreqPFN), (6, tail.bufioreqPFN), (1, tail.storePFN)])
        let pad = try recordHeader(Self.recHVMContext, length: UInt64(tail.context.count))
        try tail.context.write(to: e)
        try e.zeros(pad)
        try record(Self.recEnd)
    }

    func deviceModel() throws {
        guard let dm = image.deviceModel else {
            // Without a record the trailer is read as one.
            if image.trailer.count < 21 { throw fail(.truncated, "no device model record") }
            throw fail(.unsupported, "a trailer where the device model record belongs")
        }
        let signature = Array((dm.signature + [UInt8](repeating: 0, count: 21)).prefix(21))
        switch signature {
        case DeviceModel.record0002, DeviceModel.remus:
            if isLibxl {
                let pad = try recordHeader(Self.libxlEmulatorContext, length: 8 + UInt64(dm.data.count))
                try e.u32(0)
                try e.u32(0)
                try dm.data.write(to: e)
                try e.zeros(pad)
            } else {
                try e.bytes(signature)
                try e.u32(UInt32(dm.data.count))
                try dm.data.write(to: e)
            }
        case DeviceModel.qemu:
            // The data runs to the end of the stream: the trailer is part of it.
            if isLibxl {
                let pad = try recordHeader(
                    Self.libxlEmulatorContext,
                    length: 8 + UInt64(dm.data.count) + UInt64(image.trailer.count))
                try e.u32(0)
                try e.u32(0)
                try dm.data.write(to: e)
                try e.bytes(image.trailer)
                try e.zeros(pad)
            } else {
                try e.bytes(signature)
                try dm.data.write(to: e)
                try e.bytes(image.trailer)
            }
        default:
            throw fail(.unsupported, "device model signature '\(String(decoding: signature, as: UTF8.self))'")
        }
    }
}
