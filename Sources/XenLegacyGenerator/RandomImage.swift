import XenMigration

extension LegacyImage {
    /// A random small image (tens to hundreds of KiB) covering the variety
    /// of legacy streams: both toolstack widths, PV (32- or 64-bit guest)
    /// and HVM, xl headers, extended info with extv and xsave, batches of
    /// 1 to 1024 entries of every page type with padding entries, vcpu
    /// sets up to id 4095, every HVM-param chunk, tsc_info, libxl toolstack
    /// data, debug-stream and checkpoint markers, unmapped pfns and all
    /// device model signatures.
    ///
    /// With probability `faultRate` one fault is planted (an unsupported
    /// chunk, an unknown chunk, duplicate pfns, a bad block...), so the
    /// expected outcome is a failure for some settings.
    package static func random(seed: UInt64, faultRate: Double = 0.15) -> LegacyImage {
        var builder = RandomBuilder(r: SplitMix64(seed: SplitMix64.mix(seed ^ 0x1e6a_c755_7ea3_0000)))
        return builder.build(faultRate: faultRate)
    }
}

private struct RandomBuilder {
    var r: SplitMix64
    var width: ToolstackWidth = .bits64
    var guest: GuestType = .hvm
    var dataBudget = 0
    var pfnLimit: UInt64 = 1 << 20

    init(r: SplitMix64) { self.r = r }

    var isPV: Bool { guest == .pv }

    mutating func build(faultRate: Double) -> LegacyImage {
        width = r.chance(0.5) ? .bits64 : .bits32
        guest = r.chance(0.5) ? .pv : .hvm
        var image = LegacyImage(width: width, guest: guest, p2mSize: 0)
        image.p2mFrameSeed = r.next()

        if r.chance(0.3) {
            image.xlHeader = XLHeader(
                mandatoryFlags: r.pick([0, 1]),
                optionalFlags: r.pick([0, 0, 1, 0x8000_0000]),
                optionalData: r.chance(0.15) ? [] : config())
        }

        if isPV {
            image.extendedInfo = extendedInfo()
            let guestWidth = max(image.pvLayout.guestWidth, 4)
            let framesPerPage = UInt64(4096 / guestWidth)
            image.p2mSize =
                r.chance(0.25)
                ? framesPerPage * r.u64(1...6) + r.pick([0, 1, framesPerPage - 1])
                : r.u64(1...0x40000)
        } else {
            image.p2mSize =
                r.pick([r.u64(0x100...0x10_0000), r.u64(0x10_0000...0x40_0000_0000), r.u64(0...4)])
                & width.allOnes
        }
        pfnLimit = max(1, min(image.p2mSize, 1 << 28))

        dataBudget = r.int(0...40)
        var body: [BodyItem] = []
        if isPV || r.chance(0.4) { body.append(vcpuInfo()) }
        var verifyMode = false
        for _ in 0..<r.int(0...14) {
            switch r.int(0...99) {
            case 0..<50: body.append(.pages(batch()))
            case 50..<64 where !isPV: body.append(hvmParam())
            case 50..<64: body.append(.pages(batch()))
            case 64..<70:
                body.append(
                    .tscInfo(
                        mode: UInt32(r.int(0...3)), nsec: r.next(), khz: UInt32(truncatingIfNeeded: r.next()),
                        incarnation: UInt32(truncatingIfNeeded: r.next())))
            case 70..<80: body.append(.toolstack(toolstack()))
            case 80..<85: body.append(.lastCheckpoint)
            case 85..<92 where !verifyMode:
                // A debug stream: the marker, then the pages again.
                verifyMode = true
                body.append(.enableVerifyMode)
                body.append(.pages(batch()))
            case 92..<96: body.append(vcpuInfo())
            default: body.append(.pages(batch()))
            }
        }
        // Xen's writer puts these at the end of the body.
        if !isPV {
            for chunk in ChunkID.hvmParamChunks where r.chance(0.15) { body.append(hvmParam(chunk)) }
        }
        image.body = body

        image.pvTail = PVTail(
            unmappedPFNs: (0..<r.int(0...4)).map { _ in r.next() & width.allOnes },
            contextSeed: r.next(), xsaveMask: r.pick([3, 7, 0x1f, r.next()]), sharedInfoSeed: r.next())
        image.hvmTail = HVMTail(
            ioreqPFN: r.pick([0xfeffe, r.next()]), bufioreqPFN: r.pick([0xfeffd, r.next()]),
            storePFN: r.pick([0xfeffc, r.next()]),
            context: .random(count: r.chance(0.02) ? 0 : r.int(1...6000), seed: r.next()))
        let signature = r.int(0...19)
        image.deviceModel = DeviceModel(
            signature: signature == 0 ? DeviceModel.remus : signature == 1 ? DeviceModel.qemu : DeviceModel.record0002,
            data: .random(count: r.chance(0.05) ? 0 : r.int(1...6000), seed: r.next()))
        if r.chance(0.1) { image.trailer = r.bytes(r.int(1...100)) }

        if r.chance(faultRate) { plantFault(in: &image) }
        return image
    }

    /// Something like the JSON config `xl save` stores.
    mutating func config() -> [UInt8] {
        var text = "{\n    \"c_info\": {\n        \"type\": \"\(isPV ? "pv" : "hvm")\",\n        \"name\": \""
        text += String(decoding: r.text(r.int(1...16)).map { $0 == 0x22 || $0 == 0x5c ? 0x5f : $0 }, as: UTF8.self)
        text +=
            "\"\n    },\n    \"b_info\": {\n        \"max_vcpus\": \(r.int(1...128)),\n        \"max_memkb\": \(r.int(1...1 << 24))\n    }\n}\n"
        return Array(text.utf8) + (r.chance(0.5) ? [0] : [])
    }

    mutating func extendedInfo() -> [ExtendedInfoBlock] {
        let guestWidth = width == .bits32 && r.chance(0.7) ? 4 : r.pick([4, 8])
        var blocks = [ExtendedInfoBlock.vcpu(guestWidth: guestWidth, seed: r.next())]
        if r.chance(0.6) { blocks.append(.extv) }
        if r.chance(0.5) {
            let odd = UInt32(r.int(17...300))
            let multiple = UInt32(r.int(2...80) * 8 + 16)
            let common: [UInt32] = [0, 16, 0x250, 0x350, 0x3d0, 0x450]
            let length: UInt32 = r.pick(common + [multiple, odd])
            blocks.append(.xcnt(length, extra: r.chance(0.1) ? r.bytes(r.int(1...8)) : []))
        }
        // Any order; now and then an earlier vcpu block that the last overrides.
        for i in stride(from: blocks.count - 1, to: 0, by: -1) { blocks.swapAt(i, r.int(0...i)) }
        if r.chance(0.05) {
            blocks.insert(.vcpu(guestWidth: 12 - guestWidth, seed: r.next()), at: 0)
        }
        return blocks
    }

    mutating func vcpuInfo() -> BodyItem {
        var online: [Int]
        switch r.int(0...19) {
        case 0: online = []
        case 1..<10:
            let space = r.pick([4, 8, 64, 130, 4096])
            online = Array(Set((0..<r.int(1...8)).map { _ in r.int(0...(space - 1)) })).sorted()
        case 10..<16: online = Array(0..<r.int(1...16))
        case 16..<18: online = r.pick([[0, 4095], [63, 64, 127, 128], [4095], [1, 2, 3, 1000, 2047, 2048]])
        default: online = Array(Set((0..<r.int(32...160)).map { _ in r.int(0...4095) })).sorted()
        }
        let top = online.max() ?? 0
        return .vcpuInfo(online: online, maxID: Int32(r.chance(0.3) ? r.int(top...4095) : top))
    }

    mutating func hvmParam(_ chunk: Int32? = nil) -> BodyItem {
        let id = chunk ?? r.pick(ChunkID.hvmParamChunks)
        let value = id == ChunkID.hvmNrIOReqServerPages ? r.u64(0...8) : r.pick([r.u64(0...0x10_0000), r.next()])
        return .hvmParam(chunk: id, value: value, padding: r.chance(0.8) ? 0 : UInt32(truncatingIfNeeded: r.next()))
    }

    mutating func batch() -> PageBatch {
        let count: Int
        switch r.int(0...19) {
        case 0..<8: count = r.int(1...8)
        case 8..<14: count = r.int(9...64)
        case 14..<19: count = r.int(65...1024)
        default: count = 1024
        }
        let dataPages = min(dataBudget, count, r.int(0...8))
        dataBudget -= dataPages
        var positions = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { positions.swapAt(i, r.int(0...i)) }
        let withData = Set(positions.prefix(dataPages))
        // Distinct pfns: a random start and stride, shuffled by `positions`.
        let stride = r.u64(1...3)
        let base = r.below(pfnLimit)
        var entries: [UInt64] = []
        for i in 0..<count {
            let pfn = (base &+ UInt64(positions[i]) &* stride) & 0x0fff_ffff
            if withData.contains(i) {
                let type: UInt64 =
                    isPV ? r.pick([0, 0, 0, 1, 2, 3, 4, 9, 0xa, 0xb, 0xc]) : (r.chance(0.05) ? r.pick([1, 9]) : 0)
                entries.append(PageBatch.entry(pfn: pfn, type: type))
            } else if r.chance(0.3) {
                entries.append(PageBatch.padding)
            } else {
                entries.append(PageBatch.entry(pfn: pfn, type: r.pick([0xd, 0xe, 0xf])))
            }
        }
        // Rarities: an all-padding batch stays (2%) or gets one real entry.
        if entries.allSatisfy({ $0 == PageBatch.padding }) && !r.chance(0.02) {
            entries[0] = PageBatch.entry(pfn: (base &+ UInt64(positions[0]) &* stride) & 0x0fff_ffff, type: 0xe)
            if entries[0] == PageBatch.padding { entries[0] = 0xe000_0000 }
        }
        if width == .bits64 && r.chance(0.02), let i = entries.firstIndex(where: { $0 != PageBatch.padding }) {
            // Bits above 31 of a 64-bit entry: kept for duplicate checks, lost in the v2 pfn.
            entries[i] |= (r.next() | 1) << 32
        }
        if r.chance(0.01), let i = entries.firstIndex(where: { PageBatch.carriesData($0) }) {
            // Types 5-8: converted as they are; the verifier rejects them.
            entries[i] = (entries[i] & ~0xf000_0000) | UInt64(r.int(5...8)) << 28
        }
        return PageBatch(entries: entries, seed: r.next())
    }

    mutating func toolstack() -> [UInt8] {
        switch r.int(0...19) {
        case 0..<2: return []
        case 2..<4: return r.bytes(r.int(1...64))  // not libxl's layout
        default:
            let entries = (0..<r.int(0...4)).map { _ in
                Toolstack.PhysmapEntry(
                    physOffset: r.pick([0xf000_0000 + r.u64(0...15) << 24, r.next()]),
                    startAddr: r.pick([r.u64(0...0xffff_ffff) & ~0xfff, r.next()]),
                    size: r.pick([0x80_0000, 0x100_0000, r.next()]),
                    name: r.chance(0.7)
                        ? Array(r.pick(["vga.vram", "cirrus_vga.vram", "xen.ram", "e1000.rom", "vga.rom"]).utf8)
                        : r.text(r.int(1...40)))
            }
            return Toolstack.physmap(
                entries, width: width, leak: r.bytes(4),
                trailing: r.chance(0.1) ? r.bytes(r.int(1...16)) : [])
        }
    }

    mutating func plantFault(in image: inout LegacyImage) {
        func insert(_ item: BodyItem) {
            image.body.insert(item, at: r.int(0...image.body.count))
        }
        switch r.int(0...15) {
        case 0: insert(.tmem(payload: r.bytes(r.int(0...16))))
        case 1: insert(.tmemExtra(payload: r.bytes(r.int(0...16))))
        case 2: insert(.compressedData(.random(count: r.int(0...64), seed: r.next())))
        case 3: insert(.enableCompression)
        case 4: insert(.rawMarker(r.pick([-21, -22, -100, Int32.min]), payload: r.bytes(r.int(0...16))))
        case 5: insert(.rawMarker(Int32(r.int(1025...5000)), payload: r.bytes(r.int(0...16))))
        case 6:
            // Two equal entries (other than padding) in one batch.
            var b = batch()
            if b.entries.count == 1 { b.entries.append(0) }
            let i = r.int(0...(b.entries.count - 1))
            var j = r.int(0...(b.entries.count - 2))
            if j >= i { j += 1 }
            if b.entries[i] == PageBatch.padding { b.entries[i] = 0xe000_0001 }
            b.entries[j] = b.entries[i]
            insert(.pages(b))
        case 7: insert(.vcpuInfo(maxID: Int32(r.int(4096...100_000)), bitmap: []))
        case 8: insert(.hvmParam(chunk: r.pick(ChunkID.hvmParamChunks), value: r.next(), padding: 0))
        case 9 where isPV:
            image.extendedInfo.insert(
                .vcpu(guestWidth: 8, size: r.pick([0, 8, 0x1000, 0x142f, 0xaf8])),
                at: r.int(0...image.extendedInfo.count))
        case 10 where isPV:
            image.extendedInfo.insert(
                ExtendedInfoBlock(
                    id: Array(r.pick(["xsav", "VCPU", "extd", "\0\0\0\0"]).utf8),
                    data: .random(count: r.int(0...32), seed: r.next())),
                at: r.int(0...image.extendedInfo.count))
        case 11 where isPV:
            image.extendedInfo.append(ExtendedInfoBlock(id: Array("xcnt".utf8), data: .bytes(r.bytes(r.int(0...3)))))
        case 12 where isPV:
            image.extendedInfo.append(.xcnt(UInt32(r.int(1...15))))
            if image.onlineVCPUs.isEmpty { image.body.insert(.vcpuInfo(online: [0]), at: 0) }
        case 9, 10, 11, 12:
            image.deviceModel = DeviceModel(
                signature: r.pick([
                    Array("DeviceModelRecord0001".utf8),
                    Array("DeviceModelRecord0003".utf8), r.text(21),
                ]),
                data: .random(count: r.int(0...100), seed: r.next()))
        case 13:
            // No device model record (and nothing after the HVM context).
            if isPV { insert(.tmem(payload: [])) }
            image.deviceModel = nil
            image.trailer = []
        case 14:
            // Bad libxl toolstack data: only libxl output decodes it.
            let good = Toolstack.physmap(
                [.init(physOffset: 1, startAddr: 2, size: 3, name: Array("vga".utf8))], width: width)
            let bad: [UInt8]
            switch r.int(0...4) {
            case 0: bad = Toolstack.physmap([], width: width, version: r.pick([0, 2, 0xffff_ffff]))
            case 1: bad = Array(good.prefix(r.int(1...7)))
            case 2: bad = Array(good.prefix(r.int(8...(good.count - 1))))
            case 3: bad = Array(good.prefix(32)) + le32(0) + Array(good.dropFirst(36))  // namelen 0
            default:
                var b = good
                b[8 + 28 + 3] = 0x41  // the NUL after "vga"
                bad = b
            }
            insert(.toolstack(bad))
        default:
            insert(.rawMarker(-21 - Int32(r.int(0...1000)), payload: []))
        }
    }
}
