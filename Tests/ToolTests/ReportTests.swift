import Foundation
import TestSupport
import Testing
import XenMigration
import XenMigrationCLI

@Suite("Report, dry run and progress")
struct ReportTests {
    @Test(
        "--report writes JSON whose byte counts equal the real sizes",
        arguments: ["pv32-xsave-vcpus70", "hvm64-libxl-toolstack-xl"])
    func report(_ name: String) throws {
        let v = vector(name)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let json = dir.appendingPathComponent("report.json").path
        let result = try Spawn.run(
            Paths.converter, ["-i", v.file("input.legacy").path, "-o", out, "--report", json] + v.args)
        #expect(result.status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: json))
        let document = try JSONDecoder().decode(ReportDocument.self, from: data)
        let report = document.report
        let input = try #require(v.bytes("input.legacy"))
        let output = try #require(readFile(out))
        #expect(report.bytesRead == UInt64(input.count))
        #expect(report.bytesWritten == UInt64(output.count))
        #expect(document.seconds >= 0)
        #expect(report.recordsWritten[.libxc(.end)] == 1)
        #expect((report.recordsWritten[.libxc(.pageData)] ?? 0) > 0)
        #expect(report.p2mSize == 0x38)
        if name.hasPrefix("pv32-xsave") {
            #expect(report.guestType == .pv)
            #expect(report.toolstackWidth == 32)
            #expect(report.vcpusOnline.count == 56)
            #expect(report.recordsWritten[.libxc(.x86PVVCPUXsave)] == 56)
        } else {
            #expect(report.guestType == .hvm)
            #expect(report.hvmParams.count == 14)
            #expect(report.deviceModelBytes > 0)
            #expect(report.recordsWritten[.libxl(.emulatorXenstoreData)] == 1)
        }
    }

    @Test("--dry-run reads and checks everything, writes nothing, and needs no -o")
    func dryRun() throws {
        let v = vector("hvm64-libxc")
        let ok = try Spawn.run(
            Paths.converter, ["-i", v.file("input.legacy").path, "--dry-run", "-w", "64", "-g", "hvm", "-v"])
        #expect(ok.status == 0)
        #expect(ok.stdoutText == v.text("expected.stdout"))
        let bad = vector("err-dup-pfn")
        let failed = try Spawn.run(Paths.converter, ["-i", bad.file("input.legacy").path, "--dry-run"] + bad.args)
        #expect(failed.status == 1)
        let report = try Spawn.run(
            Paths.converter, ["-i", v.file("input.legacy").path, "--dry-run", "--auto", "--report", "-"])
        #expect(report.status == 0)
        let decoded = try JSONDecoder().decode(ConversionReport.self, from: Data(report.stdout))
        #expect(decoded.detected.contains(.width))
        #expect(decoded.bytesWritten == 0)  // nothing was written (DryRunReportTests: what would be)
    }

    @Test("--progress draws a line on standard error and changes no output byte")
    func progress() throws {
        let v = vector("hvm32-batch1")
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let result = try Spawn.run(
            Paths.converter, ["-i", v.file("input.legacy").path, "-o", out, "--progress", "-w", "32", "-g", "hvm"])
        #expect(result.status == 0)
        #expect(readFile(out) == v.bytes("expected.out"))
        #expect(result.stderrText.contains("pages"))
        #expect(result.stderrText.contains("100.0%"))
        #expect(result.stdout.isEmpty)
    }
}
