import SystemPackage
import XenMigration

/// The `--report` JSON document: what the conversion saw and wrote, and how
/// long it took.
public struct ReportDocument: Codable, Sendable {
    public var report: ConversionReport
    public var seconds: Double

    public init(_ report: ConversionReport, seconds: Double) {
        self.report = report
        self.seconds = seconds
    }

    private enum Keys: String, CodingKey { case seconds }

    // One flat object: the report's fields and `seconds` side by side.
    public init(from decoder: any Decoder) throws {
        report = try ConversionReport(from: decoder)
        seconds = try decoder.container(keyedBy: Keys.self).decode(Double.self, forKey: .seconds)
    }

    public func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(seconds, forKey: .seconds)
    }
}

/// Writes the `--report` JSON document.
///
/// The JSON is written by hand, not with Foundation's JSONEncoder: the
/// schema is fixed and small, and leaving Foundation out takes about 7 MiB
/// off the installed program. The text is what JSONEncoder writes with
/// `.prettyPrinted` and `.sortedKeys` (the tests compare the two).
enum ReportFile {
    /// The document. A dry run writes nothing, so its `bytesWritten` is 0
    /// and `bytesThatWouldBeWritten` holds what a conversion would write.
    static func json(_ document: ReportDocument, dryRun: Bool = false) -> String {
        let report = document.report
        var fields: [(String, JSONValue)] = [
            ("guestType", .string(report.guestType.rawValue)),
            ("toolstackWidth", .number(String(report.toolstackWidth))),
            ("p2mSize", .number(String(report.p2mSize))),
            ("xlHeader", .bool(report.xlHeader)),
            ("outputFormat", .string(report.outputFormat.rawValue)),
            ("streamVersion", .number(String(report.streamVersion.rawValue))),
            ("vcpusOnline", .array(report.vcpusOnline.map { .number(String($0)) })),
            ("pagesByType", .counts(report.pagesByType)),
            ("pageBatches", .number(String(report.pageBatches))),
            (
                "recordsWritten",
                .counts(Dictionary(uniqueKeysWithValues: report.recordsWritten.map { ($0.key.description, $0.value) }))
            ),
            (
                "hvmParams",
                .array(
                    report.hvmParams.map {
                        .object([("index", .number(String($0.index))), ("value", .number(String($0.value)))])
                    })
            ),
            ("deviceModelBytes", .number(String(report.deviceModelBytes))),
            ("debugStream", .bool(report.debugStream)),
            ("bytesRead", .number(String(report.bytesRead))),
            ("bytesWritten", .number(String(dryRun ? 0 : report.bytesWritten))),
            ("seconds", .number(number(document.seconds))),
            ("detected", .array(report.detected.map { .string($0) })),
        ]
        if let width = report.guestWidthBits { fields.append(("guestWidth", .number(String(width)))) }
        if let levels = report.pagetableLevels { fields.append(("pagetableLevels", .number(String(levels)))) }
        if let signature = report.deviceModelSignature { fields.append(("deviceModelSignature", .string(signature))) }
        if let source = report.source { fields.append(("source", .string(source))) }
        if let config = report.xlConfig { fields.append(("xlConfig", .string(config))) }
        if dryRun { fields.append(("bytesThatWouldBeWritten", .number(String(report.bytesWritten)))) }
        var out = ""
        JSONValue.object(fields).write(to: &out, indent: "")
        return out + "\n"
    }

    /// A Double as JSONEncoder writes it: Swift's shortest form, without ".0".
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}

/// The JSON this report needs.
indirect enum JSONValue {
    case string(String)
    case number(String)
    case bool(Bool)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func counts(_ dictionary: [String: UInt64]) -> JSONValue {
        .object(dictionary.map { ($0.key, .number(String($0.value))) })
    }

    /// Pretty-printed as JSONEncoder does: two-space indent, `"key" : value`,
    /// keys sorted, an empty container as its brackets around an empty line.
    func write(to out: inout String, indent: String) {
        switch self {
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
    public var exitStatus: Int32 { kind == .unsupported ? 2 : 1 }
}
