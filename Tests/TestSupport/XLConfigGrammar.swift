/// A reader of xl's domain configuration syntax for the tests, written
/// from xl's lexer (tools/libs/util/libxlu_cfg_l.l) and grammar
/// (libxlu_cfg_y.y), independently of the library's writer:
///
///     file       := stmts [assignment]          (a last assignment may lack its newline)
///     stmt       := assignment endstmt | endstmt
///     assignment := IDENT "=" value | IDENT "+=" value
///     endstmt    := NEWLINE | ";"
///     value      := STRING | NUMBER | "[" nl* valuelist "]"
///     valuelist  := (value nl* ("," nl* value nl*)* ("," nl*)?)?
///
/// Tokens: IDENT `[a-z][._0-9a-z]*`, NUMBER `[0-9][0-9a-fx]*`, blanks
/// `[ \t]`, NEWLINE `\n` or a `#` comment up to and including `\n` (a
/// comment without its newline is a lexical error), STRING in `'...'` or
/// `"..."` on one line with `\\.` escapes. Escapes as xl decodes them:
/// `\" \' \\ \a \b \f \n \r \t \v`; xl's `\x` and octal escapes lose the
/// character, so they are reported as errors here; any other escape is
/// xl's "invalid character after backslash". Anything else (`+ - . ( ) :`
/// and every other byte) is a lexical error. xl keeps the last of two
/// assignments of a key; `duplicates` lists such keys.
package enum XLConfigGrammar {
    package indirect enum Value: Equatable, CustomStringConvertible {
        case string([UInt8])
        case list([Value])

        package var bytes: [UInt8]? { if case .string(let b) = self { return b } else { return nil } }
        package var text: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        package var items: [Value]? { if case .list(let l) = self { return l } else { return nil } }
        package var strings: [String]? { items?.compactMap(\.text) }

        package var description: String {
            switch self {
            case .string(let b): return "\"" + String(decoding: b, as: UTF8.self) + "\""
            case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
            }
        }
    }

    package struct Config: CustomStringConvertible {
        package var settings: [(name: String, value: Value)] = []
        package var duplicates: [String] = []

        package subscript(_ name: String) -> Value? { settings.last { $0.name == name }?.value }
        package var names: [String] { settings.map(\.name) }
        package var description: String { "xl config with \(settings.count) settings" }
    }

    package struct SyntaxError: Error, CustomStringConvertible {
        package var message: String
        package var line: Int
        package var description: String { "line \(line): \(message)" }
    }

    package enum Token: Equatable {
        case ident(String)
        case number(String)
        case string([UInt8])
        case comma, open, close, assign, add, semicolon, newline, end
    }

    package static func parse(_ bytes: [UInt8]) throws -> Config {
        let tokens = try lex(bytes)
        var config = Config()
        var i = 0
        func peek() -> (token: Token, line: Int) { tokens[min(i, tokens.count - 1)] }
        func fail(_ message: String) -> SyntaxError { SyntaxError(message: message, line: peek().line) }
        func skipNewlines() { while peek().token == .newline { i += 1 } }

        func value() throws -> Value {
            switch peek().token {
            case .string(let b):
                i += 1
                return .string(b)
            case .number(let n):
                i += 1
                return .string(Array(n.utf8))
            case .open:
                i += 1
                skipNewlines()
                var items: [Value] = []
                while peek().token != .close {
                    items.append(try value())
                    skipNewlines()
                    if peek().token == .comma {
                        i += 1
                        skipNewlines()
                    } else if peek().token != .close {
                        throw fail("expected , or ] in a list")
                    }
                }
                i += 1
                return .list(items)
            default:
                throw fail("expected a value")
            }
        }

        while peek().token != .end {
            switch peek().token {
            case .newline, .semicolon:
                i += 1
            case .ident(let name):
                i += 1
                guard peek().token == .assign || peek().token == .add else { throw fail("expected = after \(name)") }
                let add = peek().token == .add
                i += 1
                var v = try value()
                if add, let previous = config[name] {
                    guard case .list(let a) = previous, case .list(let b) = v else { throw fail("+= on a non-list") }
                    v = .list(a + b)
                }
                if config.names.contains(name) { config.duplicates.append(name) }
                config.settings.append((name, v))
                switch peek().token {
                case .newline, .semicolon: i += 1
                case .end: break
                default: throw fail("expected a newline after the value of \(name)")
                }
            default:
                throw fail("expected a setting")
            }
        }
        return config
    }

    package static func lex(_ bytes: [UInt8]) throws -> [(token: Token, line: Int)] {
        var out: [(token: Token, line: Int)] = []
        var i = 0
        var line = 1
        func isLower(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7a }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func fail(_ message: String) -> SyntaxError { SyntaxError(message: message, line: line) }
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case 0x20, 0x09: i += 1
            case 0x0a:
                out.append((.newline, line))
                line += 1
                i += 1
            case UInt8(ascii: "#"):
                guard let nl = bytes[i...].firstIndex(of: 0x0a) else { throw fail("comment without a newline") }
                out.append((.newline, line))
                line += 1
                i = nl + 1
            case UInt8(ascii: ","):
                out.append((.comma, line))
                i += 1
            case UInt8(ascii: "["):
                out.append((.open, line))
                i += 1
            case UInt8(ascii: "]"):
                out.append((.close, line))
                i += 1
            case UInt8(ascii: ";"):
                out.append((.semicolon, line))
                i += 1
            case UInt8(ascii: "="):
                out.append((.assign, line))
                i += 1
            case UInt8(ascii: "+") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "="):
                out.append((.add, line))
                i += 2
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let (value, next) = try string(bytes, from: i, line: line)
                out.append((.string(value), line))
                i = next
            default:
                if isLower(c) {
                    var j = i + 1
                    while j < bytes.count
                        && (isLower(bytes[j]) || isDigit(bytes[j]) || bytes[j] == 0x2e || bytes[j] == 0x5f)
                    { j += 1 }
                    out.append((.ident(String(decoding: bytes[i..<j], as: UTF8.self)), line))
                    i = j
                } else if isDigit(c) {
                    var j = i + 1
                    while j < bytes.count
                        && (isDigit(bytes[j]) || (bytes[j] >= 0x61 && bytes[j] <= 0x66) || bytes[j] == 0x78)
                    { j += 1 }
                    out.append((.number(String(decoding: bytes[i..<j], as: UTF8.self)), line))
                    i = j
                } else {
                    throw fail("lexical error at byte 0x\(String(c, radix: 16))")
                }
            }
        }
        out.append((.end, line))
        return out
    }

    /// A quoted string from `start` (the quote); returns the decoded bytes
    /// and the index after the closing quote.
    package static func string(_ bytes: [UInt8], from start: Int, line: Int) throws -> ([UInt8], Int) {
        let quote = bytes[start]
        var out: [UInt8] = []
        var i = start + 1
        let escapes: [UInt8: UInt8] = [
            0x22: 0x22, 0x27: 0x27, 0x5c: 0x5c, 0x61: 7, 0x62: 8, 0x66: 12, 0x6e: 10,
            0x72: 13, 0x74: 9, 0x76: 11,
        ]
        while i < bytes.count {
            let c = bytes[i]
            if c == quote { return (out, i + 1) }
            if c == 0x0a { break }
            if c == 0x5c {
                guard i + 1 < bytes.count, bytes[i + 1] != 0x0a else { break }
                let e = bytes[i + 1]
                guard let decoded = escapes[e] else {
                    throw SyntaxError(
                        message: "escape \\\(String(UnicodeScalar(e))) which xl cannot decode", line: line)
                }
                out.append(decoded)
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        throw SyntaxError(message: "unterminated string (lexical error)", line: line)
    }

    // MARK: device specs, as xl splits them

    /// A vif or vfb spec: xl splits at every comma (strtok), drops blanks
    /// before each key and splits at the first `=`.
    package static func keyValues(_ spec: String) -> [(key: String, value: String)] {
        spec.split(separator: ",").map { part in
            let trimmed = part.drop { $0 == " " }
            guard let eq = trimmed.firstIndex(of: "=") else { return (String(trimmed), "") }
            return (String(trimmed[..<eq]), String(trimmed[trimmed.index(after: eq)...]))
        }
    }

    /// A disk spec written with named parameters only (as the translator
    /// writes them): `key=value` fields up to `target=`, which takes the
    /// rest of the string (xl strips one trailing comma from it).
    package static func diskFields(_ spec: [UInt8]) -> [String: [UInt8]] {
        var fields: [String: [UInt8]] = [:]
        var rest = spec[...]
        while !rest.isEmpty {
            while rest.first == 0x20 { rest = rest.dropFirst() }
            if rest.starts(with: "target=".utf8) {
                var target = Array(rest.dropFirst(7))
                if target.last == UInt8(ascii: ",") { target.removeLast() }
                fields["target"] = target
                break
            }
            let end = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            let field = rest[..<end]
            if let eq = field.firstIndex(of: UInt8(ascii: "=")) {
                fields[String(decoding: field[..<eq], as: UTF8.self)] = Array(field[(eq + 1)...])
            } else {
                fields[String(decoding: field, as: UTF8.self)] = []
            }
            rest = end < rest.endIndex ? rest[(end + 1)...] : []
        }
        return fields
    }
}
