import Foundation
import TestSupport
import Testing
import XenMigration
import XenMigrationCLI

private func json(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

/// A vector's arguments without -v: the report goes to standard output here.
private func quietArgs(_ v: Vector) -> [String] { v.args.filter { $0 != "-v" } }

@Suite("Report: what a dry run would write, and the JSON itself")
struct DryRunReportTests {
    @Test(
        "a dry run reports bytesWritten 0 and bytesThatWouldBeWritten; a conversion only bytesWritten",
        arguments: ["hvm64-libxl-toolstack-xl", "pv32-xsave-vcpus70", "hvm64-libxc-v3"])
    func dryRunField(_ name: String) throws {
        let v = Vector(kind: "convert", name: name)
        let expected = try #require(v.bytes("expected.out")).count
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = dir.appendingPathComponent("report.json").path

        let dry = try Spawn.run(
            Paths.converter, ["-i", v.file("input.legacy").path, "--dry-run", "--report", report] + quietArgs(v))
        #expect(dry.status == 0, "\(dry.stderrText)")
        let dryReport = try json(try #require(try? [UInt8](Data(contentsOf: URL(fileURLWithPath: report)))))
        #expect(dryReport["bytesWritten"] as? Int == 0)
        #expect(dryReport["bytesThatWouldBeWritten"] as? Int == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["report.json"])

        // The same conversion for real; its report on standard output.
        let out = dir.appendingPathComponent("out").path
        let real = try Spawn.run(
            Paths.converter, ["-i", v.file("input.legacy").path, "-o", out, "--report", "-"] + quietArgs(v))
        #expect(real.status == 0, "\(real.stderrText)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)).count == expected)
        let realReport = try json(real.stdout)
        #expect(realReport["bytesWritten"] as? Int == expected)
        #expect(realReport["bytesThatWouldBeWritten"] == nil)
        // Apart from these and the time taken, the two reports agree.
        var dryDecoded = try JSONDecoder().decode(
            ReportDocument.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
        let realDecoded = try JSONDecoder().decode(ReportDocument.self, from: Data(real.stdout))
        dryDecoded.report.bytesWritten = UInt64(expected)
        #expect(dryDecoded.report == realDecoded.report)
    }

    /// A real report, read back into the library's type.
    private func report(_ name: String) throws -> ReportDocument {
        let v = Vector(kind: "convert", name: name)
        let result = try Spawn.run(
            Paths.converter, ["-i", v.file("input.legacy").path, "-o", "/dev/null", "--report", "-"] + quietArgs(v))
        #expect(result.status == 0, "\(result.stderrText)")
        return try JSONDecoder().decode(ReportDocument.self, from: Data(result.stdout))
    }

    private func foundation(_ report: ReportDocument) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    @Test(
        "the report encoder writes byte for byte what JSONEncoder writes for the report",
        arguments: ["hvm64-libxl-toolstack-xl", "pv32-xsave-vcpus70", "pv64-libxc", "hvm32-batch1"])
    func sameAsFoundation(_ name: String) throws {
        var document = try report(name)
        #expect(try ReportFile.json(document) == (try foundation(document)))
        // Times in every notation Double.description uses.
        for seconds in [0, 1, 0.5, 1e-05, 3.25e-7, 123456.789, 1e20] {
            document.seconds = seconds
            #expect(try ReportFile.json(document) == (try foundation(document)), "\(seconds)")
        }
    }

    @Test("strings are escaped as JSON needs (and as JSONEncoder does); empty containers too")
    func escaping() throws {
        var document = try report("pv64-libxc")
        document.report.deviceModelSignature = "a/b \"q\" \\ \n\r\t\u{8}\u{c}\u{1}\u{1f} é ☃"
        document.report.detected = []
        document.report.pagesByType = [.allocateOnly: 3]
        document.report.recordsWritten[.libxl(.checkpointState)] = 3
        #expect(try ReportFile.json(document) == (try foundation(document)))
        let decoded = try JSONDecoder().decode(ReportDocument.self, from: Data(try ReportFile.json(document).utf8))
        #expect(decoded.report == document.report && decoded.seconds == document.seconds)
    }

    @Test("a report file that cannot be written: exit 1, one line, the stream still converted")
    func unwritable() throws {
        let v = Vector(kind: "convert", name: "pv64-libxc")
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let report = dir.appendingPathComponent("missing/report.json").path
        let result = try Spawn.run(
            Paths.converter, ["-i", v.file("input.legacy").path, "-o", out, "--report", report] + v.args)
        #expect(result.status == 1)
        #expect(result.stderrText.hasPrefix("Unable to write report '\(report)': "))
        #expect(result.stderrText.split(separator: "\n").count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(try #require(v.bytes("expected.out"))))
    }
}
