import Testing
import XenMigration

/// Input bytes in verbose lines come back exactly (a physmap name is
/// printed raw, as Xen's converter prints it).
@Suite("verbose lines carry input bytes")
struct VerboseLineTests {
    @Test("valid UTF-8 stays text; other bytes, and scalars of the carrying range, round-trip")
    func roundTrip() {
        let cases: [[UInt8]] = [
            Array("vga.vram".utf8), [0x76, 0x67, 0x61, 0xff, 0x76], [0xe9], Array("café".utf8),
            [0xf4, 0x8f, 0xbc, 0x80],  // U+10FF00 itself
            [0xc3], [0xed, 0xa0, 0x80], [0], [],
        ]
        for raw in cases {
            #expect(VerboseLine.bytes(VerboseLine.carrying(raw)) == raw, "\(raw)")
        }
        #expect(VerboseLine.carrying(Array("café".utf8)) == "café")
        var seed: UInt64 = 7
        for _ in 0..<200 {
            let raw: [UInt8] = (0..<16).map { _ in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: seed >> 56)
            }
            #expect(VerboseLine.bytes(VerboseLine.carrying(raw)) == raw, "\(raw)")
        }
    }
}
