import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration

/// `generate-legacy-stream --from-saved` in process: the legacy image it
/// writes from a saved stream converts back to that stream.
@Suite("From saved stream")
struct FromSavedTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var spec: LargeImageSpec
        var name: String
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        var out: [Case] = []
        for xl in [false, true] {
            let tag = xl ? "-xl" : ""
            out.append(
                Case(
                    spec: LargeImageSpec(guest: .pv, pages: 40, batchSize: 16, xl: xl, vcpus: 3, xsave: true),
                    name: "pv64-xsave\(tag)"))
            out.append(
                Case(
                    spec: LargeImageSpec(guest: .pv, pages: 33, batchSize: 1024, xl: xl, vcpus: 1, guestWidth: 4),
                    name: "pv-guest32\(tag)"))
            out.append(
                Case(
                    spec: LargeImageSpec(
                        width: .bits32, guest: .pv, pages: 70, batchSize: 9, xl: xl, vcpus: 70, guestWidth: 4,
                        xsave: true), name: "pv32-toolstack-70vcpus\(tag)"))
            out.append(
                Case(spec: LargeImageSpec(guest: .hvm, pages: 50, batchSize: 16, xl: xl, vcpus: 2), name: "hvm64\(tag)")
            )
            out.append(
                Case(
                    spec: LargeImageSpec(width: .bits32, guest: .hvm, pages: 17, batchSize: 1024, xl: xl),
                    name: "hvm32-toolstack\(tag)"))
        }
        return out
    }()

    /// Converting the writer's image gives the saved stream back, byte for
    /// byte; a v3 stream loses exactly its STATIC_DATA_END (the converter
    /// writes it again).
    @Test("legacy image converts back to the saved stream", arguments: cases)
    func roundTrip(_ c: Case) throws {
        let legacy = LegacyImage.large(c.spec).legacyBytes()
        for format in OutputFormat.allCases {
            for version in Libxc.StreamVersion.allCases {
                let saved = try SavedStreams.converted(legacy, xl: c.spec.xl, format: format, version: version)
                for width in ToolstackWidth.allCases {
                    let options = FromSavedOptions(front: c.spec.xl ? .xlJSON : .none, width: width)
                    if width == .bits32 && c.spec.guest == .pv && c.spec.width == .bits64 {
                        // The generator's 64-bit p2m frames do not fit a 32-bit unsigned long.
                        #expect {
                            try SavedToLegacy.convert(saved, options: options)
                        } throws: { error in
                            (error as? StreamError)?.kind == .unsupported && "\(error)".contains("p2m frame 0x")
                                && "\(error)".contains("at input offset")
                        }
                        continue
                    }
                    let (image, report) = try SavedToLegacy.convert(saved, options: options)
                    let again = try SavedStreams.converted(image, xl: c.spec.xl, format: format, version: version)
                    let label = "\(c.name) \(format) v\(version.rawValue) written -w \(width.rawValue)"
                    #expect(again == saved, "\(label)")
                    #expect(report.dropped.map(\.name) == (version == .v3 ? ["STATIC_DATA_END"] : []), "\(label)")
                    #expect(report.droppedHVMParams.isEmpty && report.notes.isEmpty, "\(label): \(report.lines)")
                    #expect(report.bytesRead == UInt64(saved.count) && report.bytesWritten == UInt64(image.count))
                }
            }
        }
    }

    /// A libxc stream of the generator's legacy image: the writer gives
    /// back the generator's own legacy bytes where the layout allows it
    /// (same header, batches, chunks and tail).
    @Test("a PV image comes back as the generator wrote it")
    func sameLegacyBytes() throws {
        var spec = LargeImageSpec(guest: .pv, pages: 40, batchSize: 16, vcpus: 2, xsave: true)
        spec.seed = 9
        var image = LegacyImage.large(spec)
        // What the writer cannot know (dropped by every converter): vcpu 0's
        // context in the `vcpu` block, the xsave feature mask, checkpoint chunks.
        image.extendedInfo[0] = ExtendedInfoBlock.vcpu(guestWidth: 8, size: nil, seed: 0)
        image.body.removeAll { $0 == .lastCheckpoint }
        let saved = try SavedStreams.converted(image.legacyBytes(), xl: false, format: .libxc, version: .v2)
        let (written, _) = try SavedToLegacy.convert(saved, options: FromSavedOptions(front: .none))
        let again = try SavedStreams.converted(written, xl: false, format: .libxc, version: .v2)
        #expect(again == saved)
        // Same size as the generator's image: the same layout, field for field.
        #expect(written.count == image.legacyBytes().count)
    }

    /// Xen 4.17's layout: the records with no legacy equivalent are the
    /// ones dropped and named, the rest come back one to one.
    @Test("a Xen 4.17 PV save: policies, STATIC_DATA_END and MSRs dropped, the rest kept", arguments: [1, 3])
    func xen417PV(vcpus: Int) throws {
        let saved = try SavedStreams.xen417(guest: .pv, vcpus: vcpus)
        let (image, report) = try SavedToLegacy.convert(saved, options: FromSavedOptions(front: .xlJSON))
        #expect(
            report.dropped.map(\.name) == ["X86_CPUID_POLICY", "X86_MSR_POLICY", "STATIC_DATA_END", "X86_PV_VCPU_MSRS"])
        #expect(report.dropped.last?.count == vcpus)
        let back = SavedStreams.records(try SavedStreams.converted(image, xl: true, format: .libxl, version: .v3))
        var want = SavedStreams.records(saved).filter { ![0x11, 0x12, 0x0c].contains($0.type) || $0.layer != "libxc" }
        // The converter's order: pages, TSC, then per vcpu basic, extended,
        // xsave, and shared info last; extended contexts at the legacy 128 bytes.
        let shared = want.first { $0.layer == "libxc" && $0.type == 7 }
        want.removeAll { $0.layer == "libxc" && $0.type == 7 }
        if let end = want.lastIndex(where: { $0.layer == "libxc" && $0.type == 0 }), let shared {
            want.insert(shared, at: end)
        }
        for i in want.indices where want[i].layer == "libxc" && want[i].type == 5 {
            want[i].body += [UInt8](repeating: 0, count: 136 - want[i].body.count)
        }
        #expect(back.count == want.count && back.count > 8 + 3 * vcpus)
        for (a, b) in zip(back, want) where !(a.type == ~0 && a.layer != "xl") {
            #expect(a == b)
        }
        #expect(report.notes.contains { $0.contains("padded") })
    }

    @Test("a Xen 4.17 HVM save: params without a chunk dropped, physmap and qemu state carried")
    func xen417HVM() throws {
        let saved = try SavedStreams.xen417(guest: .hvm)
        let (image, report) = try SavedToLegacy.convert(saved, options: FromSavedOptions(front: .xlJSON))
        #expect(report.dropped.map(\.name) == ["X86_CPUID_POLICY", "X86_MSR_POLICY", "STATIC_DATA_END"])
        #expect(report.droppedHVMParams == [38])
        #expect(report.deviceModelBytes == 5000)
        let back = SavedStreams.records(try SavedStreams.converted(image, xl: true, format: .libxl, version: .v3))
        let original = SavedStreams.records(saved)
        func only(_ records: [SavedStreams.Record], _ layer: String, _ type: UInt32) -> [[UInt8]] {
            records.filter { $0.layer == layer && $0.type == type }.map(\.body)
        }
        for type: UInt32 in [1, 8, 9] { #expect(only(back, "libxc", type) == only(original, "libxc", type)) }
        // Params: the chunk ones in the body's record, the magic pfns in the tail's.
        func params(_ pairs: [(UInt64, UInt64)]) -> [UInt8] {
            var body = RecordBody()
            body.u32(UInt32(pairs.count))
            body.u32(0)
            for (i, v) in pairs {
                body.u64(i)
                body.u64(v)
            }
            return body.bytes
        }
        #expect(
            only(back, "libxc", 0x0a) == [
                params([(17, 0xfefff), (19, 1)]), params([(5, 0xfeffe), (6, 0xfeffd), (1, 0xfeffc)]),
            ])
        #expect(only(back, "libxl", 2) == only(original, "libxl", 2).map { [0, 0, 0, 0] + $0.dropFirst(4) })
        // The emulator id is the converter's (0, unknown: libxl ignores it).
        #expect(only(back, "libxl", 3) == only(original, "libxl", 3).map { [0, 0, 0, 0] + $0.dropFirst(4) })
        // The legacy header's p2m_size: the highest pfn (the store pfns) + 1.
        let p2m = ByteCursor(Array(image.dropFirst(48 + 4 + Int(ByteCursor(image).peek(UInt32.self, at: 48) ?? 0))))
        #expect(p2m.peek(UInt64.self, at: 0) == 0xfefff)
    }
}
