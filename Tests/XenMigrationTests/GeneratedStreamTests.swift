import Foundation
import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration
import XenMigrationCLI

/// Streams nobody wrote by hand: images from the project's generator
/// (XenLegacyGenerator), converted by the library and compared with the
/// output the generator derives from the image's model on its own.
@Suite("Generated legacy streams")
struct GeneratedStreamTests {
    /// Converts `image` and checks the result against the model's expectation:
    /// the exact bytes (which the verifier must then accept), or the kind
    /// of error.
    static func check(
        _ image: LegacyImage, _ settings: ConversionSettings, chunkLimit: Int = .max,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let expected = image.expectedOutcome(settings)
        let actual = Generated.convert(image, settings, chunkLimit: chunkLimit)
        switch (expected, actual) {
        case (.success(let want), .success(let got)):
            let same = got == want  // a Bool: a failed #expect on arrays prints them whole
            #expect(
                same,
                "\(settings): output differs from byte \(firstDifference(got, want) ?? -1) (\(got.count) bytes, expected \(want.count))",
                sourceLocation: sourceLocation)
            if same && image.convertedOutputVerifies(format: settings.format) {
                #expect(
                    throws: Never.self, "\(settings): the verifier rejects the output", sourceLocation: sourceLocation
                ) {
                    try StreamVerifier.verify(
                        reader: StreamReader(MemorySource(got)),
                        format: Generated.verifyFormat(image, settings))
                }
            }
        case (.failure(let want), .failure(let got)):
            #expect(
                got.kind == Generated.kind(want), "\(settings): expected \(want), got \(got)",
                sourceLocation: sourceLocation)
            #expect(
                ConvertCommand.exitStatus(ToolFailure.stream(got).kind) == want.exitStatus,
                sourceLocation: sourceLocation)
        case (.success, .failure(let got)):
            Issue.record("\(settings): conversion failed: \(got)", sourceLocation: sourceLocation)
        case (.failure(let want), .success):
            Issue.record("\(settings): conversion succeeded, expected \(want)", sourceLocation: sourceLocation)
        }
    }

    // MARK: random images

    static let seeds = Array(UInt64(0)..<250)

    @Test("random images convert exactly as their model says", arguments: seeds, ConversionSettings.all)
    func randomImage(seed: UInt64, settings: ConversionSettings) {
        let image = LegacyImage.random(seed: seed)
        var settings = settings
        settings.skipQemu = seed % 3 == 0
        // Some runs read in odd-sized pieces, as from a pipe.
        Self.check(image, settings, chunkLimit: seed % 5 == 0 ? 4093 : .max)
    }

    @Test("the random images cover every legacy feature")
    func randomCoverage() {
        var seen = Set<String>()
        var failures = 0
        for seed in Self.seeds {
            let image = LegacyImage.random(seed: seed)
            seen.insert("\(image.guest) \(image.width.rawValue)")
            if image.xlHeader != nil { seen.insert("xl") }
            if image.trailer.count > 0 { seen.insert("trailer") }
            if image.guest == .pv {
                let guestWidth = image.extendedInfo.last { $0.id == Array("vcpu".utf8) }?.data.count
                seen.insert("pv guest \(guestWidth == 0x1430 ? 64 : 32) on \(image.width.rawValue)")
                for block in image.extendedInfo { seen.insert("block \(String(decoding: block.id, as: UTF8.self))") }
                if image.extendedInfo.filter({ $0.id == Array("vcpu".utf8) }).count > 1 {
                    seen.insert("two vcpu blocks")
                }
                if !image.pvTail.unmappedPFNs.isEmpty { seen.insert("unmapped pfns") }
            } else if let dm = image.deviceModel {
                seen.insert("dm " + String(decoding: dm.signature, as: UTF8.self))
            }
            if image.onlineVCPUs.contains(4095) { seen.insert("vcpu 4095") }
            if image.onlineVCPUs.count > 100 { seen.insert("100+ vcpus") }
            for item in image.body {
                switch item {
                case .pages(let batch):
                    seen.insert(
                        batch.entries.count == 1 ? "batch 1" : batch.entries.count == 1024 ? "batch 1024" : "batch")
                    for entry in batch.entries {
                        seen.insert(entry == PageBatch.padding ? "padding" : "type \((entry >> 28) & 0xf)")
                        if entry > 0xffff_ffff { seen.insert("high bits") }
                    }
                case .hvmParam(let chunk, _, _): seen.insert("chunk \(chunk)")
                case .vcpuInfo: seen.insert("chunk -2")
                case .enableVerifyMode: seen.insert("chunk -1")
                case .tscInfo: seen.insert("chunk -7")
                case .lastCheckpoint: seen.insert("chunk -9")
                case .toolstack(let data): seen.insert(data.isEmpty ? "empty toolstack" : "chunk -18")
                case .tmem: seen.insert("chunk -5")
                case .tmemExtra: seen.insert("chunk -6")
                case .compressedData: seen.insert("chunk -12")
                case .enableCompression: seen.insert("chunk -13")
                case .rawMarker(let marker, _): seen.insert(marker > 0 ? "oversized batch" : "unknown chunk")
                case .pageRun: seen.insert("page run")
                }
            }
            if case .failure = image.expectedOutcome(format: .libxc) { failures += 1 }
        }
        var wanted: [String] = [
            "pv 32", "pv 64", "hvm 32", "hvm 64", "xl", "trailer", "pv guest 64 on 32", "pv guest 32 on 64",
            "block vcpu", "block extv", "block xcnt", "two vcpu blocks", "unmapped pfns",
            "dm DeviceModelRecord0002", "dm RemusDeviceModelState", "dm QemuDeviceModelRecord",
            "vcpu 4095", "100+ vcpus", "batch 1", "batch 1024", "padding", "high bits",
            "empty toolstack", "oversized batch", "unknown chunk",
        ]
        wanted += [0, 1, 2, 3, 4, 9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf].map { "type \($0)" }
        wanted += (1...20).map { "chunk -\($0)" }
        #expect(wanted.filter { !seen.contains($0) } == [])
        // Mostly convertible, some failing.
        #expect(failures > 10 && failures < Self.seeds.count / 3, "\(failures) failing images")
    }

    // MARK: batch sizes

    /// Batches of every size in one group of 32 (group 31: 993...1024),
    /// mostly of entries without page data (types 0xd-0xf and padding)
    /// plus a page or two, so the whole range stays cheap.
    static func batchSizeImage(group: Int) -> LegacyImage {
        var r = SplitMix64(seed: UInt64(group) &+ 1000)
        let width: ToolstackWidth = group % 2 == 0 ? .bits64 : .bits32
        let guest: GuestType = group % 4 < 2 ? .hvm : .pv
        var image = LegacyImage(width: width, guest: guest, p2mSize: 0x10_0000)
        var body: [BodyItem] = guest == .pv ? [.vcpuInfo(online: [0])] : []
        for size in (group * 32 + 1)...(group * 32 + 32) {
            var entries: [UInt64] = []
            for i in 0..<size {
                let dataless = UInt64(0xc + i % 4)  // 0xd, 0xe, 0xf
                entries.append(i % 4 == 0 ? PageBatch.padding : PageBatch.entry(pfn: UInt64(i + 1), type: dataless))
            }
            let dataType: UInt64 = guest == .pv ? 0x9 : 0
            entries[r.int(0...(size - 1))] = PageBatch.entry(pfn: 0x20_0000 + UInt64(size), type: dataType)
            if size > 1 { entries[size - 1] = PageBatch.entry(pfn: 0x30_0000 + UInt64(size), type: 0) }
            body.append(.pages(PageBatch(entries: entries, seed: r.next())))
        }
        image.body = body
        if guest == .pv { image.extendedInfo = [.vcpu(guestWidth: 8)] }
        image.deviceModel = DeviceModel(signature: DeviceModel.record0002, data: .random(count: 100, seed: 1))
        return image
    }

    @Test("every batch size from 1 to 1024 converts", arguments: 0..<32)
    func batchSizes(group: Int) {
        let image = Self.batchSizeImage(group: group)
        #expect(image.expectedOutcome(format: .libxc).exitStatus == 0)
        Self.check(
            image,
            group % 3 == 0
                ? ConversionSettings(format: .libxc, streamVersion: 2)
                : ConversionSettings(format: .libxl, streamVersion: 3))
    }

    @Test("a full batch of 1024 pages, and page runs in batches of 1, 7 and 1000", arguments: [1, 7, 1000, 1024])
    func fullBatches(batchSize: Int) {
        for (width, guest) in [(ToolstackWidth.bits32, GuestType.hvm), (.bits64, .pv)] {
            let image = LegacyImage.large(
                LargeImageSpec(
                    width: width, guest: guest, pages: batchSize == 1 ? 50 : 2048,
                    batchSize: batchSize, xl: width == .bits32, seed: UInt64(batchSize),
                    vcpus: 2, fill: batchSize == 1000 ? .stamp : .random,
                    guestWidth: 4, xsave: true))
            Self.check(image, ConversionSettings(format: .libxl, streamVersion: 2))
        }
    }

    // MARK: vcpus and xsave

    static func pvImage(width: ToolstackWidth, guestWidth: Int, online: [[Int]], extended: Bool, xsave: UInt32?)
        -> LegacyImage
    {
        var blocks = [ExtendedInfoBlock.vcpu(guestWidth: guestWidth, seed: 9)]
        if extended { blocks.append(.extv) }
        if let xsave { blocks.append(.xcnt(xsave)) }
        var body: [BodyItem] = [
            .pages(PageBatch(entries: [PageBatch.entry(pfn: 1, type: 0), PageBatch.entry(pfn: 2, type: 0xa)], seed: 3))
        ]
        body += online.map { .vcpuInfo(online: $0) }
        return LegacyImage(
            width: width, guest: .pv, p2mSize: 0x2_0000, extendedInfo: blocks, p2mFrameSeed: 5, body: body,
            pvTail: PVTail(unmappedPFNs: [7, 8], contextSeed: 11, xsaveMask: 0x7, sharedInfoSeed: 12))
    }

    @Test("4096 online vcpus with extended and xsave contexts")
    func allVCPUs() throws {
        let image = Self.pvImage(
            width: .bits64, guestWidth: 4, online: [Array(0..<4096)], extended: true, xsave: 0x340 + 16)
        #expect(image.onlineVCPUs.count == 4096)
        Self.check(image, ConversionSettings(format: .libxc, streamVersion: 3))
        // The converter saw every vcpu the chunk lists.
        let output = try #require(image.expectedOutput(format: .libxc))
        let report = try LegacyConverter(
            options: Generated.options(image, .init(format: .libxc, streamVersion: 2)),
            reader: StreamReader(MemorySource(image.legacyBytes())),
            writer: StreamWriter(NullSink())
        ).run()
        let listed = report.vcpusOnline == Array(0..<4096)
        #expect(listed)
        #expect(output.count > 4096 * (0xaf0 + 128 + 0x340))
    }

    @Test("the report counts a PV image's pfns with no page: its unmapped list and invalid entries")
    func pfnsWithNoPage() throws {
        var image = Self.pvImage(width: .bits64, guestWidth: 8, online: [[0]], extended: true, xsave: nil)
        image.body.insert(
            .pages(
                PageBatch(entries: [PageBatch.entry(pfn: 3, type: 0xf), PageBatch.entry(pfn: 4, type: 0xf)], seed: 4)),
            at: 1)
        let report = try LegacyConverter(
            options: Generated.options(image, .init(format: .libxc, streamVersion: 2)),
            reader: StreamReader(MemorySource(image.legacyBytes())),
            writer: StreamWriter(NullSink())
        ).run()
        #expect(report.unmappedPFNs == 2)  // the tail's list: pfns 7 and 8
        #expect(report.pagesByType[.invalid] == 2)
        #expect(report.pagesByType[.normal] == 1)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("\"unmappedPFNs\":2"))
    }

    @Test(
        "vcpu sets: sparse, up to id 4095, split over several chunks, 64-bit guests with odd xsave sizes",
        arguments: [
            ([[0, 4095]], 8, UInt32(0x440 + 16)),
            ([[63, 64, 127, 128, 4032]], 8, 16),
            ([[0, 1], [5], [2, 3]], 4, 0x3d1),
            ([[]], 8, 0x250),
            ([Array(stride(from: 0, to: 4096, by: 37))], 8, 0),
        ])
    func vcpuSets(online: [[Int]], guestWidth: Int, xsave: UInt32) {
        for width in ToolstackWidth.allCases {
            let image = Self.pvImage(
                width: width, guestWidth: guestWidth, online: online, extended: xsave % 2 == 0, xsave: xsave)
            for settings in ConversionSettings.all { Self.check(image, settings) }
        }
    }

    @Test("HVM with 4096 vcpus listed")
    func hvmVCPUs() {
        var image = LegacyImage.random(seed: 3, faultRate: 0)
        image.guest = .hvm
        image.body.append(.vcpuInfo(online: Array(0..<4096)))
        Self.check(image, ConversionSettings(format: .libxl, streamVersion: 3))
    }

    // MARK: failures

    @Test(
        "unsupported features fail with kind .unsupported (exit status 2)",
        arguments: ["tmem", "tmem_extra", "compressed_data", "enable_compression", "device model signature"])
    func unsupported(_ feature: String) {
        for guest in GuestType.allCases where guest == .hvm || feature != "device model signature" {
            var image = LegacyImage.random(seed: 77, faultRate: 0)
            image.guest = guest
            if guest == .pv && image.extendedInfo.isEmpty { image.extendedInfo = [.vcpu(guestWidth: 8)] }
            let at = image.body.count / 2
            switch feature {
            case "tmem": image.body.insert(.tmem(payload: [1, 2, 3]), at: at)
            case "tmem_extra": image.body.insert(.tmemExtra(payload: []), at: at)
            case "compressed_data": image.body.insert(.compressedData(.random(count: 40, seed: 1)), at: at)
            case "enable_compression": image.body.insert(.enableCompression, at: at)
            default: image.deviceModel = DeviceModel(signature: Array("DeviceModelRecord0001".utf8), data: .bytes([1]))
            }
            for settings in ConversionSettings.all {
                #expect(image.expectedExitStatus(format: settings.format, streamVersion: settings.streamVersion) == 2)
                let result = Generated.convert(image, settings)
                guard case .failure(let error) = result else {
                    Issue.record("\(feature) \(guest) \(settings): converted")
                    continue
                }
                #expect(error.kind == .unsupported, "\(feature) \(guest) \(settings): \(error)")
                #expect(ConvertCommand.exitStatus(ToolFailure.stream(error).kind) == 2)
            }
        }
        if feature == "device model signature" {
            // With --skip-qemu, libxc output never reads the signature.
            var image = LegacyImage.random(seed: 78, faultRate: 0)
            image.guest = .hvm
            image.deviceModel = DeviceModel(
                signature: Array("not a signature at all".utf8.prefix(21)), data: .bytes([]))
            Self.check(image, ConversionSettings(format: .libxc, streamVersion: 2, skipQemu: true))
        }
    }

    static let truncationImages: [(String, LegacyImage, ConversionSettings)] = {
        var pv = pvImage(width: .bits64, guestWidth: 8, online: [[0, 2, 5]], extended: true, xsave: 0x350)
        pv.xlHeader = XLHeader(mandatoryFlags: 1, optionalData: Array("{\"c_info\": {}}".utf8))
        pv.body.append(
            .toolstack(
                Toolstack.physmap(
                    [.init(physOffset: 1, startAddr: 2, size: 3, name: Array("vga".utf8))],
                    width: .bits64)))
        pv.body.append(.tscInfo(mode: 1, nsec: 2, khz: 3, incarnation: 4))
        var hvm = LegacyImage.random(seed: 11, faultRate: 0)
        hvm.guest = .hvm
        hvm.width = .bits32
        hvm.xlHeader = XLHeader(optionalData: [1, 2, 3])
        hvm.body.append(
            .toolstack(
                Toolstack.physmap(
                    [.init(physOffset: 9, startAddr: 8, size: 7, name: Array("ram".utf8))],
                    width: .bits32)))
        hvm.body.append(.hvmParam(chunk: ChunkID.hvmViridian, value: 1, padding: 0))
        hvm.deviceModel = DeviceModel(signature: DeviceModel.remus, data: .random(count: 3000, seed: 2))
        hvm.trailer = []
        var plain = hvm
        plain.xlHeader = nil
        plain.width = .bits64
        plain.deviceModel = DeviceModel(signature: DeviceModel.record0002, data: .random(count: 10, seed: 2))
        return [
            ("pv xl libxl", pv, .init(format: .libxl, streamVersion: 3)),
            ("hvm xl libxl", hvm, .init(format: .libxl, streamVersion: 2)),
            ("hvm libxc", plain, .init(format: .libxc, streamVersion: 2)),
        ]
    }()

    @Test("a stream cut short anywhere fails with kind .truncated at the cut", arguments: 0..<3)
    func truncated(_ which: Int) throws {
        let (name, image, settings) = Self.truncationImages[which]
        let bytes = image.legacyBytes()
        #expect(image.expectedOutcome(settings).exitStatus == 0)
        Self.check(image, settings)
        var r = SplitMix64(seed: UInt64(which))
        var cuts = [0, 1, 4, 7, 8, 9, 33, 47, 48, 49, bytes.count - 4097, bytes.count - 1]
        cuts += (0..<40).map { _ in r.int(0...(bytes.count - 1)) }
        for cut in cuts where cut >= 0 && cut < bytes.count {
            let result = Generated.convert(
                image, settings, input: Array(bytes.prefix(cut)), chunkLimit: cut % 2 == 0 ? .max : 999)
            guard case .failure(let error) = result else {
                Issue.record("\(name): cut at \(cut) of \(bytes.count) converted")
                continue
            }
            #expect(error.kind == .truncated, "\(name): cut at \(cut): \(error)")
            #expect(error.offset == UInt64(cut), "\(name): cut at \(cut): \(error)")
        }
    }

    // MARK: the generator itself

    @Test("streamed and in-memory writing agree; the same seed gives the same bytes")
    func generatorConsistency() throws {
        for seed in UInt64(0)..<8 {
            let image = LegacyImage.random(seed: seed)
            let deterministic = LegacyImage.random(seed: seed) == image
            #expect(deterministic)
            let sink = MemorySink()
            try image.write(to: sink)
            let same = sink.bytes == image.legacyBytes()
            #expect(same)
            for settings in ConversionSettings.all {
                let streamed = MemorySink()
                let failure = try image.writeExpected(settings, to: streamed)
                switch image.expectedOutcome(settings) {
                case .success(let bytes):
                    let same = failure == nil && streamed.bytes == bytes
                    #expect(same)
                case .failure(let f): #expect(failure == f)
                }
            }
        }
        let differ = LegacyImage.random(seed: 1).legacyBytes() != LegacyImage.random(seed: 2).legacyBytes()
        #expect(differ)
    }
}
