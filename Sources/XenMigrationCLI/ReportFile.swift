import XenMigration

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Writes the `--report` JSON document.
enum ReportFile {
    static func write(_ report: ConversionReport, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(report)
        if path == "-" {
            Console.write(String(decoding: data, as: UTF8.self) + "\n", to: .standardOutput)
            return
        }
        try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
    }
}
