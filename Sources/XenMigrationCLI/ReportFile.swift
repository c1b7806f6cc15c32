import SystemPackage
import XenMigration

/// Writes the `--report` JSON document.
///
/// The JSON is written by hand, not with Foundation's JSONEncoder: the
/// schema is fixed and small, and leaving Foundation out takes about 7 MiB
/// off the installed program. The text is what JSONEncoder writes with
/// `.prettyPrinted` and `.sortedKeys` (the tests compare the two).
enum ReportFile {
    /// The document. A dry run writes nothing, so its `bytesWritten` is 0
    /// and `bytesThatWouldBeWritten` holds what a conversion would write.
    static func json(_ report: ConversionReport, dryRun: Bool = false) -> String {
        var fields: [(String, JSONValue)] = [
            ("guestType", .string(report.guestType.rawValue)),
            ("toolstackWidth", .number(String(report.toolstackWidth))),
            ("p2mSize", .number(String(report.p2mSize))),
            ("xlHeader", .bool(report.xlHeader)),
            ("outputFormat", .string(report.outputFormat.rawValue)),
            ("streamVersion", .number(String(report.streamVersion))),
            ("vcpusOnline", .array(report.vcpusOnline.map { .number(String($0)) })),
            ("pagesByType", .counts(report.pagesByType)),
            ("pageBatches", .number(String(report.pageBatches))),
            ("recordsWritten", .counts(report.recordsWritten)),
            ("hvmParams", .array(report.hvmParams.map {
                .object([("index", .number(String($0.index))), ("value", .number(String($0.value)))])
            })),
            ("deviceModelBytes", .number(String(report.deviceModelBytes))),
            ("debugStream", .bool(report.debugStream)),
            ("bytesRead", .number(String(report.bytesRead))),
            ("bytesWritten", .number(String(dryRun ? 0 : report.bytesWritten))),
            ("seconds", .number(number(report.seconds))),
            ("detected", .array(report.detected.map { .string($0) })),
        ]
        if let width = report.guestWidth { fields.append(("guestWidth", .number(String(width)))) }
        if let levels = report.pagetableLevels { fields.append(("pagetableLevels", .number(String(levels)))) }
        if let signature = report.deviceModelSignature { fields.append(("deviceModelSignature", .string(signature))) }
        if dryRun { fields.append(("bytesThatWouldBeWritten", .number(String(report.bytesWritten)))) }
        var out = ""
        JSONValue.object(fields).write(to: &out, indent: "")
        return out + "\n"
    }

    /// Writes the report to `path`, or to standard output for `-`.
    static func write(_ report: ConversionReport, dryRun: Bool, to path: String) throws {
        let text = json(report, dryRun: dryRun)
        if path == "-" {
            Console.write(text, to: .standardOutput)
            return
        }
        let fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec],
                                         permissions: [.ownerReadWrite, .groupReadWrite, .otherReadWrite])
        try fd.closeAfter {
            var text = text
            _ = try text.withUTF8 { try fd.writeAll(UnsafeRawBufferPointer($0)) }
        }
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
