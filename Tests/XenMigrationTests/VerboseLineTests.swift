import Testing
import XenMigration

/// Input bytes in verbose lines come back exactly (a physmap name is
/// printed raw, as Xen's converter prints it).
@Suite("verbose lines carry input bytes")
struct VerboseLineTests {
    @Test("a line keeps the bytes it is given, UTF-8 or not (the converter quotes physmap names so)")
    func rawPhysmapName() throws {
        let cases: [[UInt8]] = [
            Array("vga.vram".utf8), [0x76, 0x67, 0x61, 0xff, 0x76], [0xe9], Array("café".utf8),
            [0xf4, 0x8f, 0xbc, 0x80], [0xc3], [0xed, 0xa0, 0x80], [0], [],
        ]
        for name in cases {
            let line = VerboseLine(bytes: Array("    'physmap/1/name' = '".utf8) + name + Array("'".utf8))
            #expect(Array(line.bytes.dropFirst(24).dropLast()) == name, "\(name)")
        }
    }

    @Test("its description is the line as text, other bytes shown as U+FFFD")
    func description() {
        #expect(VerboseLine(bytes: Array("café".utf8)).description == "café")
        #expect(VerboseLine(bytes: [0x61, 0xff, 0x62]).description == "a\u{FFFD}b")
    }
}
