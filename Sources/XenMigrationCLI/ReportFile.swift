import XenMigration

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
enum ReportFile {
    static func write(_ document: ReportDocument, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(document)
        if path == "-" {
            Console.write(String(decoding: data, as: UTF8.self) + "\n", to: .standardOutput)
            return
        }
        try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
    }
}

extension StreamError {
    /// The tools' exit status for a failed stream: 2 for a feature that is
    /// not converted, 1 for anything else.
    public var exitStatus: Int32 { kind == .unsupported ? 2 : 1 }
}
