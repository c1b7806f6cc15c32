/// An xl domain configuration (xl.cfg(5) text) made from an xend one, as
/// `xl restore` reads it from the optional data of an `xl save` header.
///
/// The text follows xl's lexer (libxlu_cfg_l.l): keys are lower-case
/// identifiers, numbers decimal, everything else a double-quoted string
/// whose bytes are kept as they are except `"`, `\` and control characters,
/// which get xl's backslash escapes. xl has no numeric escape that works
/// (its `\x` and octal escapes drop the character), so a NUL byte, which no
/// escape can carry, is an error. The file ends with a newline: xl's
/// comment rule needs one.
public struct XLConfig: Sendable, Equatable {
    /// The configuration file, UTF-8 where xend's strings were.
    public var text: [UInt8]
    /// What was not carried over (also listed in a comment at the end of `text`).
    public var untranslated: [XendUntranslated]
    /// One line: name, guest type, vcpus, memory, disks and vifs.
    public var summary: String

    /// Translates `config` (see `XendTranslation.table`). A value xl's
    /// syntax cannot hold is a `.malformed` error; a disk xl cannot open
    /// (a blktap driver libxl does not have) is `.unsupported`.
    public init(_ config: XendDomainConfig) throws(XendConfigError) {
        var out = XLWriter(config: config)
        for row in XendTranslation.table {
            guard let apply = row.apply, row.guests.includes(config.guest) else { continue }
            try apply(config, &out)
        }
        let notes = config.untranslated + out.notes
        var text = Array("# Translated from the xend domain configuration of an `xm save` image.\n".utf8)
        if config.guest == .hvm {
            text += Array(
                ("# The device model state is qemu-dm's: restore with an xl that has\n"
                    + "# qemu-xen-traditional (Xen 4.6 to 4.20; Xen 4.21 removed it).\n").utf8)
        }
        text += out.text
        if !notes.isEmpty {
            text += Array("\n# Not carried over from the xend configuration:\n".utf8)
            for note in notes {
                text += Array("#   ".utf8) + XLConfig.commentSafe(note.description) + [0x0a]
            }
        }
        self.text = text
        self.untranslated = notes
        self.summary = XLConfig.summary(config)
    }

    public static func summary(_ config: XendDomainConfig) -> String {
        func count(_ n: Int, _ what: String) -> String { "\(n) \(what)\(n == 1 ? "" : "s")" }
        return "xend domain \"\(SXP.printable(config.name, escapingQuote: true))\": "
            + (config.guest == .pv ? "PV" : "HVM") + ", " + count(config.vcpus, "vcpu")
            + ", \(config.memory) MiB, " + count(config.disks.count, "disk") + ", " + count(config.vifs.count, "vif")
    }

    /// `bytes` as an xl string literal, quotes included. Throws for a NUL,
    /// which xl cannot represent; `what` names the value in the error.
    package static func quoted(_ bytes: [UInt8], _ what: String, offset: UInt64? = nil) throws(XendConfigError)
        -> [UInt8]
    {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(bytes.count + 2)
        for b in bytes {
            switch b {
            case 0:
                throw XendConfigError(
                    .malformed, "Bad xend domain config: \(what) contains a NUL byte, which xl cannot represent",
                    offset: offset)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), b]
            case 0x07: out += Array("\\a".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x0a: out += Array("\\n".utf8)
            case 0x0b: out += Array("\\v".utf8)
            case 0x0c: out += Array("\\f".utf8)
            case 0x0d: out += Array("\\r".utf8)
            default: out.append(b)  // raw, as xl's lexer (8-bit clean) takes it
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    /// A comment line's text: no line breaks or other control characters.
    static func commentSafe(_ text: String) -> [UInt8] {
        Array(text.utf8).map { $0 < 0x20 || $0 == 0x7f ? UInt8(ascii: "?") : $0 }
    }
}

/// Collects the lines of the xl configuration and the notes about what
/// was left out; used by the rows of `XendTranslation.table`.
struct XLWriter: Sendable {
    let config: XendDomainConfig
    private(set) var text: [UInt8] = []
    private(set) var notes: [XendUntranslated] = []
    private var written: Set<String> = []

    init(config: XendDomainConfig) { self.config = config }

    /// True when `key` has been written.
    func has(_ key: String) -> Bool { written.contains(key) }

    /// Writes `key = value`; a key already written keeps its first value
    /// (the rows never write one twice; the tests check it).
    private mutating func line(_ key: String, _ value: [UInt8]) {
        guard written.insert(key).inserted else { return }
        text += Array(key.utf8) + Array(" = ".utf8) + value + [0x0a]
    }

    /// A number; negative ones as strings (xl's lexer has no minus sign,
    /// its number parser takes one inside a string).
    mutating func number(_ key: String, _ value: Int64) {
        line(key, value < 0 ? Array("\"\(value)\"".utf8) : Array(String(value).utf8))
    }

    mutating func flag(_ key: String, _ value: Bool) { number(key, value ? 1 : 0) }

    mutating func string(_ key: String, _ value: [UInt8]) throws(XendConfigError) {
        line(key, try XLConfig.quoted(value, key, offset: config.offset))
    }

    mutating func string(_ key: String, _ value: String) throws(XendConfigError) { try string(key, Array(value.utf8)) }

    /// A list of strings: on one line when short, else one item a line.
    mutating func list(_ key: String, _ items: [[UInt8]]) throws(XendConfigError) {
        var quoted: [[UInt8]] = []
        for item in items { quoted.append(try XLConfig.quoted(item, key, offset: config.offset)) }
        if quoted.count <= 1 && quoted.reduce(0, { $0 + $1.count }) < 60 {
            line(key, Array("[ ".utf8) + (quoted.first.map { $0 + [0x20] } ?? []) + Array("]".utf8))
        } else {
            var value = Array("[\n".utf8)
            for q in quoted { value += Array("    ".utf8) + q + Array(",\n".utf8) }
            line(key, value + Array("]".utf8))
        }
    }

    mutating func note(_ key: String, _ value: String, _ reason: String) {
        notes.append(XendUntranslated(key: key, value: value, reason: reason))
    }

    /// An error about the configuration (at its offset).
    func malformed(_ message: String) -> XendConfigError {
        XendConfigError(.malformed, "Bad xend domain config: \(message)", offset: config.offset)
    }
}
