import XenMigration

/// A big, realistic image for benchmarks and streaming tests: `pages`
/// pages in batches of `batchSize`, written and converted-expected in
/// constant memory (pages are generated as they are written).
package struct LargeImageSpec: Sendable, Equatable {
    package var width: ToolstackWidth
    package var guest: GuestType
    package var pages: UInt64
    package var batchSize: Int
    /// Put an `xl save` header (with a JSON config) in front.
    package var xl: Bool
    package var seed: UInt64
    /// Online vcpus 0..<vcpus (PV: one set of contexts each).
    package var vcpus: Int
    package var fill: PageFill
    /// PV guest width in bytes (4 or 8).
    package var guestWidth: Int
    /// PV: extended contexts and 0x340 bytes of xsave state per vcpu.
    package var xsave: Bool

    package init(
        width: ToolstackWidth = .bits64, guest: GuestType = .hvm, pages: UInt64 = 256, batchSize: Int = 1024,
        xl: Bool = false, seed: UInt64 = 1, vcpus: Int = 1, fill: PageFill = .random, guestWidth: Int = 8,
        xsave: Bool = false
    ) {
        self.width = width
        self.guest = guest
        self.pages = pages
        self.batchSize = batchSize
        self.xl = xl
        self.seed = seed
        self.vcpus = vcpus
        self.fill = fill
        self.guestWidth = guestWidth
        self.xsave = xsave
    }
}

extension LegacyImage {
    /// The image `spec` describes, laid out as `xc_domain_save()` writes
    /// one: the pages, then the chunks, then the tail.
    package static func large(_ spec: LargeImageSpec) -> LegacyImage {
        let seed = spec.seed
        func derived(_ i: UInt64) -> UInt64 { SplitMix64.derive(seed, i) }
        var image = LegacyImage(width: spec.width, guest: spec.guest, p2mSize: max(spec.pages, 1))
        image.p2mFrameSeed = derived(1)
        if spec.xl {
            let config =
                "{\n    \"c_info\": {\n        \"type\": \"\(spec.guest.rawValue)\",\n        \"name\": \"bench\"\n    },\n"
                + "    \"b_info\": {\n        \"max_vcpus\": \(spec.vcpus),\n        \"max_memkb\": \(spec.pages * 4)\n    }\n}\n"
            image.xlHeader = XLHeader(mandatoryFlags: 1, optionalData: Array(config.utf8) + [0])
        }
        let online = Array(0..<max(0, min(spec.vcpus, 4096)))
        var body: [BodyItem] = [
            .pageRun(
                PageRun(
                    count: spec.pages, batchSize: spec.batchSize, seed: derived(2), fill: spec.fill,
                    pagetableEvery: spec.guest == .pv ? 64 : 0)),
            .vcpuInfo(online: online),
            .tscInfo(mode: 0, nsec: 1_234_567_890, khz: 2_400_000, incarnation: 1),
        ]
        if spec.guest == .pv {
            image.extendedInfo = [.vcpu(guestWidth: spec.guestWidth == 4 ? 4 : 8, seed: derived(3))]
            if spec.xsave { image.extendedInfo += [.extv, .xcnt(0x340 + 16)] }
            image.pvTail = PVTail(contextSeed: derived(4), xsaveMask: 7, sharedInfoSeed: derived(5))
        } else {
            body += [
                .hvmParam(chunk: ChunkID.hvmIdentPT, value: 0xfeff_d000, padding: 0),
                .hvmParam(chunk: ChunkID.hvmVM86TSS, value: 0xfeff_b000, padding: 0),
                .hvmParam(chunk: ChunkID.hvmConsolePFN, value: 0xfefff, padding: 0),
                .hvmParam(chunk: ChunkID.hvmACPIIOPortsLocation, value: 1, padding: 0),
                .hvmParam(chunk: ChunkID.hvmViridian, value: 0, padding: 0),
                .toolstack(
                    Toolstack.physmap(
                        [
                            .init(
                                physOffset: 0xf000_0000, startAddr: 0xf000_0000, size: 0x80_0000,
                                name: Array("vga.vram".utf8))
                        ], width: spec.width)),
            ]
            image.hvmTail = HVMTail(context: .random(count: 8192 + 40 * online.count, seed: derived(6)))
            image.deviceModel = DeviceModel(
                signature: DeviceModel.record0002, data: .random(count: 128 << 10, seed: derived(7)))
        }
        body.append(.lastCheckpoint)
        image.body = body
        return image
    }
}
