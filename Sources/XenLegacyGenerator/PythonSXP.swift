/// A value as xend's `XendConfig.to_sxp()` builds it (Python lists,
/// strings and numbers), written exactly as Python 2's `sxp.to_string()`
/// writes it. Kept apart from the library's parser, which it tests.
package indirect enum PyValue: Sendable, Equatable {
    /// A Python `str` (bytes).
    case str([UInt8])
    /// A Python `int` or `long`.
    case int(Int64)
    /// Another value shown with `str()`, e.g. a float: `1388534400.52`.
    case raw(String)
    case list([PyValue])

    package static func s(_ text: String) -> PyValue { .str(Array(text.utf8)) }

    /// `[key, value]`.
    package static func pair(_ key: String, _ value: PyValue) -> PyValue { .list([.s(key), value]) }
    package static func pair(_ key: String, _ value: String) -> PyValue { .list([.s(key), .s(value)]) }
    package static func pair(_ key: String, _ value: Int64) -> PyValue { .list([.s(key), .int(value)]) }

    /// `sxp.to_string(self)`: lists in parentheses, items separated by one
    /// space; numbers with `str()`; a string bare when `sxp.atomp` says it
    /// is an atom, else as `repr()`.
    package func sxpString() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .list(let items):
            out.append(UInt8(ascii: "("))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x20) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: ")"))
        case .int(let n): out += Array(String(n).utf8)
        case .raw(let text): out += Array(text.utf8)
        case .str(let bytes): out += PyValue.atomp(bytes) ? bytes : PyValue.repr(bytes)
        }
    }

    /// sxp.py's `atomp`: non-empty, and all letters, digits and `.-_:/~`
    /// (or exactly `@`).
    package static func atomp(_ bytes: [UInt8]) -> Bool {
        if bytes.isEmpty { return false }
        if bytes == [UInt8(ascii: "@")] { return true }
        return bytes.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || Array(".-_:/~".utf8).contains(b)
        }
    }

    /// Python 2's `repr()` of a `str`: single quotes, or double quotes when
    /// the text has a single quote and no double one; backslash, the quote,
    /// `\t \n \r` escaped, other bytes outside 0x20-0x7e as `\xhh`.
    package static func repr(_ bytes: [UInt8]) -> [UInt8] {
        let quote: UInt8 =
            bytes.contains(UInt8(ascii: "'")) && !bytes.contains(UInt8(ascii: "\""))
            ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var out: [UInt8] = [quote]
        for b in bytes {
            switch b {
            case quote, UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), b]
            case 0x09: out += Array("\\t".utf8)
            case 0x0a: out += Array("\\n".utf8)
            case 0x0d: out += Array("\\r".utf8)
            case 0x20..<0x7f: out.append(b)
            default:
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 0xf)]]
            }
        }
        out.append(quote)
        return out
    }
}
