import SystemPackage
import XenMigration

/// The `--report` JSON document: what the conversion saw and wrote, and how
/// long it took. Its `Codable` conformance is the report's one schema.
package struct ReportDocument: Codable, Sendable {
    package var report: ConversionReport
    package var seconds: Double
    /// A dry run writes nothing, so its report's `bytesWritten` is 0 and
    /// this holds what a conversion would write; nil for a conversion.
    package var bytesThatWouldBeWritten: UInt64?

    package init(_ report: ConversionReport, seconds: Double, dryRun: Bool = false) {
        self.report = report
        self.seconds = seconds
        if dryRun {
            bytesThatWouldBeWritten = report.bytesWritten
            self.report.bytesWritten = 0
        }
    }

    private enum Keys: String, CodingKey { case seconds, bytesThatWouldBeWritten }

    // One flat object: the report's fields and the document's side by side.
    package init(from decoder: any Decoder) throws {
        report = try ConversionReport(from: decoder)
        let container = try decoder.container(keyedBy: Keys.self)
        seconds = try container.decode(Double.self, forKey: .seconds)
        bytesThatWouldBeWritten = try container.decodeIfPresent(UInt64.self, forKey: .bytesThatWouldBeWritten)
    }

    package func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(seconds, forKey: .seconds)
        try container.encodeIfPresent(bytesThatWouldBeWritten, forKey: .bytesThatWouldBeWritten)
    }
}

/// The `--report` JSON text.
package enum ReportFile {
    package static func json(_ document: ReportDocument) throws -> String { try JSONText.encode(document) }
}

/// A JSON value, pretty-printed as JSONEncoder does.
indirect enum JSONValue {
    case null
    case string(String)
    case number(String)
    case bool(Bool)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Pretty-printed as JSONEncoder does: two-space indent, `"key" : value`,
    /// keys sorted, an empty container as its brackets around an empty line.
    func write(to out: inout String, indent: String) {
        switch self {
        case .null: out += "null"
        case .string(let text): JSONValue.quote(text, to: &out)
        case .number(let text): out += text
        case .bool(let value): out += value ? "true" : "false"
        case .array(let items):
            let inner = indent + "  "
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += inner
                item.write(to: &out, indent: inner)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            if items.isEmpty { out += "\n" }
            out += indent + "]"
        case .object(let fields):
            let inner = indent + "  "
            let sorted = fields.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            out += "{\n"
            for (i, (key, value)) in sorted.enumerated() {
                out += inner
                JSONValue.quote(key, to: &out)
                out += " : "
                value.write(to: &out, indent: inner)
                out += i + 1 < sorted.count ? ",\n" : "\n"
            }
            if sorted.isEmpty { out += "\n" }
            out += indent + "}"
        }
    }

    static func quote(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/": out += "\\/"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension StreamError {
    /// The tools' exit status for a failed stream: 2 for a feature that is
    /// not converted, 1 for anything else.
    package var exitStatus: Int32 { ConvertCommand.exitStatus(ToolFailure.stream(self).kind) }
}
