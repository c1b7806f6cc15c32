import Foundation
import TestSupport
import Testing
import XenMigration

/// `generate-legacy-stream --from-saved`, spawned as the end-to-end harness
/// runs it, then `convert-legacy-stream` on what it wrote.
@Suite("generate-legacy-stream --from-saved")
struct FromSavedToolTests {
    @Test("a Xen 4.17-shaped save, from a file and from a pipe, converts back", arguments: [GuestType.pv, .hvm])
    func endToEnd(_ guest: GuestType) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let saved = try SavedStreams.xen417(guest: guest, vcpus: 2, pages: 24)
        let input = dir.appendingPathComponent("guest.save").path
        let legacy = dir.appendingPathComponent("legacy.save").path
        let back = dir.appendingPathComponent("back.save").path
        #expect(FileManager.default.createFile(atPath: input, contents: Data(saved)))

        let run = try Spawn.run(Paths.generator, ["--from-saved", input, "--front", "xl-json", "-o", legacy])
        #expect(run.status == 0, "\(run.stderrText)")
        #expect(run.stdout.isEmpty)
        let lines = run.stderrText.split(separator: "\n")
        #expect(lines.contains("generate-legacy-stream: dropped 1 X86_CPUID_POLICY record: no legacy equivalent"))
        #expect(lines.contains("generate-legacy-stream: dropped 1 STATIC_DATA_END record: no legacy equivalent"))

        let convert = try Spawn.run(
            Paths.converter, ["--auto", "-f", "libxl", "--stream-version", "3", "-i", legacy, "-o", back])
        #expect(convert.status == 0, "\(convert.stderrText)")
        let verify = try Spawn.run(Paths.verifier, ["-f", "xl", "-q", "-i", back])
        #expect(verify.status == 0, "\(verify.stderrText)")

        // From a pipe: the same image.
        let piped = try Spawn.run(
            Paths.generator, ["--from-saved", "-", "--front", "xl-json", "-o", "-"], stdin: saved)
        #expect(piped.status == 0, "\(piped.stderrText)")
        let same = piped.stdout == [UInt8](try Data(contentsOf: URL(fileURLWithPath: legacy)))
        #expect(same)
    }

    @Test("a refusal is one line with the offset, exit 2, and no output file left")
    func refusal() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var saved = try SavedStreams.xen417(guest: .hvm, vcpus: 1, pages: 2)
        let optional = Int(saved[44]) | Int(saved[45]) << 8
        let domain = 48 + optional + 16 + 8 + 24
        saved[domain] = 3  // PVH
        let input = dir.appendingPathComponent("pvh.save").path
        let output = dir.appendingPathComponent("out").path
        #expect(FileManager.default.createFile(atPath: input, contents: Data(saved)))
        let run = try Spawn.run(Paths.generator, ["--from-saved", input, "-o", output])
        #expect(run.status == 2)
        #expect(
            run.stderrText
                == "generate-legacy-stream: Cannot represent in a legacy image: domain type x86 PVH (legacy images are "
                + "x86 PV or HVM) (at input offset \(domain))\n")
        #expect(!FileManager.default.fileExists(atPath: output))

        let cut = dir.appendingPathComponent("cut.save").path
        #expect(FileManager.default.createFile(atPath: cut, contents: Data(saved.prefix(domain + 3))))
        let truncated = try Spawn.run(Paths.generator, ["--from-saved", cut, "-o", output])
        #expect(truncated.status == 1)
        #expect(
            truncated.stderrText.hasPrefix("generate-legacy-stream: Stream truncated at input offset \(domain + 3)"))
        #expect(truncated.stderrText.split(separator: "\n").count == 1)

        // The output cannot be the input (opening it would truncate it).
        let same = try Spawn.run(Paths.generator, ["--from-saved", input, "-o", input])
        #expect(same.status != 0 && same.stderrText.contains("is the input"))
        let intact = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input))) == saved
        #expect(intact)
    }
}
