import Testing
import XenLegacyGenerator
import XendConfig

/// xend's S-expression parser: what it accepts, what it refuses and where.
@Suite("xend S-expressions")
struct SXPTests {
    static func parse(_ text: String, base: UInt64 = 0) throws -> SXP {
        try SXP.parse(Array(text.utf8), baseOffset: base)
    }

    static func a(_ s: String) -> SXP { .atom(s) }
    static func s(_ s: String) -> SXP { .string(s) }
    static func l(_ items: SXP...) -> SXP { .list(items) }

    // MARK: accepted

    @Test("lists, atoms and strings, with offsets from the base")
    func basics() throws {
        let v = try Self.parse("  (domain (name web) (memory 512) (args 'ro quiet'))\n", base: 100)
        #expect(
            v
                == Self.l(
                    Self.a("domain"), Self.l(Self.a("name"), Self.a("web")), Self.l(Self.a("memory"), Self.a("512")),
                    Self.l(Self.a("args"), Self.s("ro quiet"))))
        #expect(v.offset == 102)
        let items = try #require(v.items)
        #expect(items[1].offset == 110)
        #expect(items[3].items?[1].offset == 140)
        #expect(v.childValue("memory")?.text == "512")
        #expect(v.childValue("args")?.text == "ro quiet")
        #expect(v.child("missing") == nil)
    }

    @Test("every escape sxp.py knows, in both quotes")
    func escapes() throws {
        let v = try Self.parse(#"("\a\b\t\n\v\f\r\\\'\"" '\x41\x4a\xff\101\0\7z\377' 'it\'s' "say \"hi\"")"#)
        let items = try #require(v.items)
        #expect(items[0].scalar == [7, 8, 9, 10, 11, 12, 13, 0x5c, 0x27, 0x22])
        #expect(items[1].scalar == [0x41, 0x4a, 0xff, 0x41, 0, 7, UInt8(ascii: "z"), 0xff])
        #expect(items[2].text == "it's")
        #expect(items[3].text == "say \"hi\"")
        #expect(items[3].value == .string(Array("say \"hi\"".utf8)))
    }

    @Test("strings keep raw bytes: newlines, non-ASCII, NUL")
    func rawBytes() throws {
        let v = try SXP.parse([0x28, 0x27, 0x0a, 0xc3, 0xa9, 0x00, 0x27, 0x29])
        #expect(v.items?.first?.scalar == [0x0a, 0xc3, 0xa9, 0x00])
    }

    @Test("comments, all white space, atoms as sxp.py splits them")
    func atomsAndComments() throws {
        let v = try Self.parse("# saved\n(a\u{0B}b\u{0C}c\r\td # note (not a list\n e{f g;h ab'c x-y.z:/~_ 0x1f)")
        #expect(
            v
                == Self.l(
                    Self.a("a"), Self.a("b"), Self.a("c"), Self.a("d"), Self.a("e"), Self.a("{f"), Self.a("g"),
                    Self.a(";h"), Self.a("ab'c"), Self.a("x-y.z:/~_"), Self.a("0x1f")))
        // A separator starts an atom of its own (and no atom is empty).
        #expect(
            try Self.parse("({ }{ ;[<)")
                == Self.l(Self.a("{"), Self.a("}"), Self.a("{"), Self.a(";"), Self.a("["), Self.a("<")))
        // A bare atom or string is a value too; comments may follow it.
        #expect(try Self.parse("hello # world") == Self.a("hello"))
        #expect(try Self.parse("'' ") == Self.s(""))
        #expect(try Self.parse("()") == Self.l())
    }

    @Test("non-ASCII bytes may continue an atom, not start one")
    func nonASCIIAtoms() throws {
        #expect(
            try SXP.parse(Array("(caf".utf8) + [0xc3, 0xa9] + [0x29])
                == Self.l(SXP(.atom(Array("caf".utf8) + [0xc3, 0xa9]))))
        expectError(Array("( ".utf8) + [0xc3, 0xa9, 0x29], at: 2, "byte 0xc3")
    }

    @Test("64 levels of lists are fine")
    func deepestAllowed() throws {
        let text = String(repeating: "(", count: 64) + "x" + String(repeating: ")", count: 64)
        var v = try Self.parse(text)
        for _ in 0..<63 { v = try #require(v.items?.first) }
        #expect(v == Self.l(Self.a("x")))
    }

    // MARK: refused, with the offset

    func expectError(
        _ bytes: [UInt8], base: UInt64 = 1000, at offset: Int, _ fragment: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do throws(XendConfigError) {
            let v = try SXP.parse(bytes, baseOffset: base)
            Issue.record("accepted: \(v)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == .malformed, sourceLocation: sourceLocation)
            #expect(error.offset == base + UInt64(offset), "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }

    func expectError(
        _ text: String, at offset: Int, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        expectError(Array(text.utf8), at: offset, fragment, sourceLocation: sourceLocation)
    }

    @Test("unbalanced parentheses")
    func unbalanced() {
        expectError("(domain (name x)", at: 0, "never closed")
        expectError("(a (b (c) d", at: 3, "never closed")
        expectError(")", at: 0, "unbalanced ')'")
        expectError("(a))", at: 3, "after the end")
    }

    @Test("unterminated strings and bad escapes")
    func strings() {
        expectError("(name 'web)", at: 6, "unterminated string")
        expectError("(\"abc\\", at: 1, "unterminated string")
        expectError("(\"abc\\x4", at: 1, "unterminated string")
        expectError("('a\\qb')", at: 3, "bad escape \\q")
        expectError("('a\\x4g')", at: 3, "two hex digits")
        expectError("('ab\\400')", at: 4, "octal")
        expectError(Array("('a\\".utf8) + [0x01, 0x27, 0x29], at: 3, "bad escape")
    }

    @Test("nesting deeper than 64 is refused at the 65th list")
    func tooDeep() {
        expectError(String(repeating: "(", count: 65) + String(repeating: ")", count: 65), at: 64, "deeper than 64")
        // A hostile input: no stack grows with it.
        expectError(String(repeating: "(", count: 200_000), at: 64, "deeper than 64")
    }

    @Test("anything after the value but white space and comments")
    func trailing() {
        expectError("(a) b", at: 4, "after the end")
        expectError("(a) # fine\n (b)", at: 12, "after the end")
        expectError([0x28, 0x61, 0x29, 0x00], at: 3, "after the end")
    }

    @Test("empty input, and invalid bytes")
    func emptyAndInvalid() {
        expectError("", at: 0, "empty")
        expectError("  \n\t ", at: 5, "empty")
        expectError("# only a comment", at: 16, "empty")
        expectError([0x28, 0x61, 0x01, 0x29], at: 2, "byte 0x1")
        expectError([0x04], at: 0, "byte 0x4")
        expectError([0x28, 0x7f, 0x29], at: 1, "byte 0x7f")
    }

    // MARK: round trips and size

    @Test("what Python 2's sxp.to_string writes reads back the same", arguments: Array(UInt64(0)..<40))
    func roundTrip(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        func value(_ depth: Int) -> (PyValue, SXP) {
            let pick = rng.next() % (depth > 4 ? 3 : 5)
            switch pick {
            case 0:
                let n = Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64)
                return (.int(n), .atom(String(n)))
            case 1, 2:
                let bytes = (0..<Int(rng.next() % 12)).map { _ in
                    rng.next() % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : UInt8(0x20 + rng.next() % 95)
                }
                let expected = PyValue.atomp(bytes) ? SXP(.atom(bytes)) : SXP(.string(bytes))
                return (.str(bytes), expected)
            default:
                let pairs = (0..<Int(rng.next() % 5)).map { _ in value(depth + 1) }
                return (.list(pairs.map(\.0)), SXP(.list(pairs.map(\.1))))
            }
        }
        let (py, expected) = value(0)
        let text = py.sxpString()
        #expect(try SXP.parse(text) == expected, "\(String(decoding: text, as: UTF8.self))")
    }

    @Test("every byte value survives repr() and the parser")
    func allBytes() throws {
        let bytes = (0...255).map(UInt8.init)
        for quoteMix in [bytes, bytes.filter { $0 != 0x22 }, bytes.filter { $0 != 0x27 }] {
            let text = PyValue.list([.s("k"), .str(quoteMix)]).sxpString()
            #expect(try SXP.parse(text).items?[1].scalar == quoteMix)
        }
    }

    @Test("a megabyte of input parses in one pass")
    func large() throws {
        var text = Array("(domain".utf8)
        while text.count < 1 << 20 { text += Array(" (key 'some value \\x41') (n 12345)".utf8) }
        text.append(UInt8(ascii: ")"))
        let clock = ContinuousClock()
        let start = clock.now
        let v = try SXP.parse(text)
        #expect((v.items?.count ?? 0) > 20_000)
        #expect(clock.now - start < .seconds(20))
    }
}
