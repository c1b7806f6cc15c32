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
