/// xend's S-expressions (`tools/python/xen/xend/sxp.py`): the syntax in
/// which `xm save` stores a domain's configuration.
///
/// Values are lists, bare atoms and quoted strings. Text is kept as bytes:
/// xend wrote strings with Python 2's `repr()`, so a name or path may hold
/// any byte (`\xc3\xa9`), and the translation to xl must not lose one.
public struct SXP: Sendable, CustomStringConvertible {
    public indirect enum Value: Sendable, Equatable {
        /// A bare word: `domain`, `512`, `/dev/xvda`.
        case atom([UInt8])
        /// A quoted string, escapes decoded.
        case string([UInt8])
        case list([SXP])
    }

    public var value: Value
    /// Absolute input offset of the value's first byte.
    public var offset: UInt64

    public init(_ value: Value, offset: UInt64 = 0) {
        self.value = value
        self.offset = offset
    }

    package static func atom(_ text: String) -> SXP { SXP(.atom(Array(text.utf8))) }
    package static func string(_ text: String) -> SXP { SXP(.string(Array(text.utf8))) }
    package static func list(_ items: [SXP]) -> SXP { SXP(.list(items)) }

    /// The items of a list, or nil.
    public var items: [SXP]? {
        if case .list(let items) = value { return items }
        return nil
    }

    /// The bytes of an atom or string, or nil for a list.
    public var scalar: [UInt8]? {
        switch value {
        case .atom(let b), .string(let b): return b
        case .list: return nil
        }
    }

    /// The scalar as text, when it is valid UTF-8.
    public var text: String? {
        guard let bytes = scalar else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The tag of a list (its first item, when a scalar): `vbd` in `(vbd ...)`.
    public var tag: [UInt8]? { items?.first?.scalar }

    /// True when this is a list tagged `name`.
    public func isTagged(_ name: String) -> Bool { tag == Array(name.utf8) }

    /// Child lists tagged `name`, skipping the parent's own tag (sxp.children).
    public func children(_ name: String) -> [SXP] {
        guard let items, items.count > 1 else { return [] }
        let key = Array(name.utf8)
        return items.dropFirst().filter { $0.tag == key }
    }

    /// The first child list tagged `name` (sxp.child).
    public func child(_ name: String) -> SXP? { children(name).first }

    /// The item after the tag of the first child tagged `name` (sxp.child_value).
    public func childValue(_ name: String) -> SXP? {
        guard let items = child(name)?.items, items.count > 1 else { return nil }
        return items[1]
    }

    /// Compact text for messages: atoms bare, strings quoted, lists in
    /// parentheses; bytes outside printable ASCII as `\xNN`.
    public var description: String {
        switch value {
        case .atom(let b): return SXP.printable(b)
        case .string(let b): return "\"" + SXP.printable(b, escapingQuote: true) + "\""
        case .list(let items): return "(" + items.map(\.description).joined(separator: " ") + ")"
        }
    }

    /// `bytes` with anything outside printable ASCII (and, when asked, `"`
    /// and `\`) written as escapes, so it fits on one line of a message.
    package static func printable(_ bytes: [UInt8], escapingQuote: Bool = false) -> String {
        var out = ""
        for b in bytes {
            if escapingQuote && (b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")) {
                out += "\\" + String(UnicodeScalar(b))
            } else if b >= 0x20 && b < 0x7f {
                out.unicodeScalars.append(UnicodeScalar(b))
            } else {
                out += "\\x" + hex(b, width: 2)
            }
        }
        return out
    }
}

/// Values compare by content; where they were found does not matter.
extension SXP: Equatable {
    public static func == (a: SXP, b: SXP) -> Bool { a.value == b.value }
}

// MARK: parsing

extension SXP {
    /// Lists nested deeper than this are refused (the parser never recurses;
    /// this bounds what later code may recurse over).
    package static let maxDepth = 64

    /// Parses exactly one value, with only whitespace and `#` comments
    /// around it. `baseOffset` is the input offset of `bytes[0]`: errors
    /// and values carry absolute offsets.
    public static func parse(_ bytes: [UInt8], baseOffset: UInt64 = 0) throws(XendConfigError) -> SXP {
        var parser = Parser(bytes: bytes, base: baseOffset)
        return try parser.run()
    }

    private struct Parser {
        let bytes: [UInt8]
        let base: UInt64
        var i = 0

        init(bytes: [UInt8], base: UInt64) {
            self.bytes = bytes
            self.base = base
        }

        func at(_ index: Int) -> UInt64 { base &+ UInt64(index) }

        func error(_ message: String, _ index: Int) -> XendConfigError {
            XendConfigError(.malformed, "Bad xend domain config: \(message)", offset: at(index))
        }

        static func isSpace(_ c: UInt8) -> Bool {
            c == 0x20 || (c >= 0x09 && c <= 0x0d)  // space \t \n \v \f \r
        }

        /// Ends an atom (sxp.py's separators, plus space and comments).
        static func endsAtom(_ c: UInt8) -> Bool {
            isSpace(c) || c == UInt8(ascii: "#") || separators.contains(c)
        }

        static let separators = Set("{}()<>[];".utf8)

        mutating func run() throws(XendConfigError) -> SXP {
            // Open lists: their items so far and where each opened.
            var stack: [(items: [SXP], start: Int)] = []
            var result: SXP?
            while i < bytes.count {
                let c = bytes[i]
                if Self.isSpace(c) {
                    i += 1
                    continue
                }
                if c == UInt8(ascii: "#") {
                    while i < bytes.count && bytes[i] != 0x0a { i += 1 }
                    continue
                }
                if stack.isEmpty && result != nil {
                    throw error("unexpected \(describe(c)) after the end of the S-expression", i)
                }
                let value: SXP
                switch c {
                case UInt8(ascii: "("):
                    guard stack.count < SXP.maxDepth else {
                        throw error("lists nested deeper than \(SXP.maxDepth)", i)
                    }
                    stack.append(([], i))
                    i += 1
                    continue
                case UInt8(ascii: ")"):
                    guard let open = stack.popLast() else { throw error("unbalanced ')'", i) }
                    value = SXP(.list(open.items), offset: at(open.start))
                    i += 1
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    value = try string()
                case 0x21...0x7e:
                    value = try atom()
                default:
                    throw error("invalid \(describe(c))", i)
                }
                if stack.isEmpty {
                    result = value
                } else {
                    stack[stack.count - 1].items.append(value)
                }
            }
            if let open = stack.last {
                throw error("unbalanced '(': the list is never closed", open.start)
            }
            guard let result else { throw error("empty (no S-expression)", bytes.count) }
            return result
        }

        func describe(_ c: UInt8) -> String {
            c >= 0x20 && c < 0x7f ? "character '\(String(UnicodeScalar(c)))'" : "byte 0x" + String(c, radix: 16)
        }

        /// An atom: its first byte (printable, checked by the caller; a
        /// separator such as `{` may start one, as in sxp.py), then every
        /// byte up to a separator, white space or `#`.
        mutating func atom() throws(XendConfigError) -> SXP {
            let start = i
            i += 1
            while i < bytes.count && !Self.endsAtom(bytes[i]) {
                // sxp.py would take control bytes into an atom; xend never wrote one.
                if bytes[i] < 0x20 || bytes[i] == 0x7f { throw error("invalid \(describe(bytes[i])) in an atom", i) }
                i += 1
            }
            return SXP(.atom(Array(bytes[start..<i])), offset: at(start))
        }

        /// A quoted string with sxp.py's escapes: `\a \b \t \n \v \f \r \\ \' \"`,
        /// `\xHH` (two hex digits) and `\o`..`\ooo` (octal, at most 0377).
        mutating func string() throws(XendConfigError) -> SXP {
            let start = i
            let quote = bytes[i]
            i += 1
            var out: [UInt8] = []
            while true {
                guard i < bytes.count else { throw error("unterminated string", start) }
                let c = bytes[i]
                if c == quote {
                    i += 1
                    return SXP(.string(out), offset: at(start))
                }
                guard c == UInt8(ascii: "\\") else {
                    out.append(c)
                    i += 1
                    continue
                }
                guard i + 1 < bytes.count else { throw error("unterminated string", start) }
                let e = bytes[i + 1]
                if let simple = Self.simpleEscapes[e] {
                    out.append(simple)
                    i += 2
                } else if e == UInt8(ascii: "x") {
                    guard i + 3 < bytes.count else { throw error("unterminated string", start) }
                    guard let hi = SXP.hexDigit(bytes[i + 2]), let lo = SXP.hexDigit(bytes[i + 3]) else {
                        throw error("bad escape: \\x needs two hex digits", i)
                    }
                    out.append(hi << 4 | lo)
                    i += 4
                } else if e >= UInt8(ascii: "0") && e <= UInt8(ascii: "7") {
                    var value = 0
                    var j = i + 1
                    while j < bytes.count && j < i + 4 && bytes[j] >= UInt8(ascii: "0") && bytes[j] <= UInt8(ascii: "7")
                    {
                        value = value * 8 + Int(bytes[j] - UInt8(ascii: "0"))
                        j += 1
                    }
                    guard value <= 0xff else { throw error("bad escape: octal value above 0377", i) }
                    out.append(UInt8(value))
                    i = j
                } else {
                    let shown =
                        e >= 0x20 && e < 0x7f ? String(UnicodeScalar(e)) : " followed by byte 0x" + String(e, radix: 16)
                    throw error("bad escape \\\(shown)", i)
                }
            }
        }

        static let simpleEscapes: [UInt8: UInt8] = [
            UInt8(ascii: "a"): 0x07, UInt8(ascii: "b"): 0x08, UInt8(ascii: "t"): 0x09,
            UInt8(ascii: "n"): 0x0a, UInt8(ascii: "v"): 0x0b, UInt8(ascii: "f"): 0x0c,
            UInt8(ascii: "r"): 0x0d, UInt8(ascii: "\\"): 0x5c, UInt8(ascii: "'"): 0x27,
            UInt8(ascii: "\""): 0x22,
        ]
    }
}
