import Foundation
import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration
import XenMigrationCLI
import XendConfig

/// The fixture records (Tests/Fixtures/xend) as the fronts of `xm save`
/// images, converted by the built tool as a user would.
@Suite("convert-legacy-stream on xm save images with records as xend wrote them")
struct XendDialectToolTests {
    static func image(_ name: String) throws -> (XendImage, GuestType) {
        let guest: GuestType = name.hasPrefix("hvm-") ? .hvm : .pv
        let config = try XendFixtures.bytes(name)
        return (XendImage.withConfig(config, like: guest == .hvm ? .hvmLinux : .pvKernel, seed: 3, pages: 16), guest)
    }

    @Test(
        "each fixture converts: --config-out is its translation, the xl file verifies, HVM adds the qemu-traditional note",
        arguments: XendFixtures.names)
    func converts(name: String) throws {
        let (image, guest) = try Self.image(name)
        let xl = try XLConfig(try XendDomainConfig(parsing: image.config, baseOffset: 20))
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("guest.xm-save")
        try Data(image.bytes()).write(to: input)
        let out = dir.appendingPathComponent("guest.xl-save")
        let cfg = dir.appendingPathComponent("guest.cfg")
        let run = try Spawn.run(
            Paths.converter, ["--auto", "-f", "libxl", "-i", input.path, "-o", out.path, "--config-out", cfg.path])
        #expect(run.status == 0, "\(run.stderrText)")
        #expect([UInt8](try Data(contentsOf: cfg)) == xl.text)
        let check = try Spawn.run(Paths.verifier, ["-f", "xl", "-i", out.path])
        #expect(check.status == 0, "\(check.stderrText)")
        if guest == .hvm {
            #expect(run.stderrText == Xend.hvmRestoreNote + "\n")
        } else {
            #expect(run.stderrText.isEmpty, "\(run.stderrText)")
        }
    }

    @Test("the qemu-traditional note: once, on stderr, also with -f libxc and --dry-run; none for PV or on failure")
    func qemuTraditionalNote() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let hvm = dir.appendingPathComponent("hvm.xm-save")
        try Data(XendImage.preset(.hvmWindows, seed: 2, pages: 16).bytes()).write(to: hvm)
        for extra in [["-f", "libxc", "-o", "/dev/null"], ["--dry-run"]] {
            let run = try Spawn.run(Paths.converter, ["--auto", "-i", hvm.path] + extra)
            #expect(run.status == 0 && run.stderrText == Xend.hvmRestoreNote + "\n", "\(run.stderrText)")
            #expect(run.stdout.isEmpty)
        }
        let pv = dir.appendingPathComponent("pv.xm-save")
        try Data(XendImage.preset(.pvPygrub, seed: 2, pages: 16).bytes()).write(to: pv)
        let quiet = try Spawn.run(Paths.converter, ["--auto", "--dry-run", "-i", pv.path])
        #expect(quiet.status == 0 && quiet.stderrText.isEmpty, "\(quiet.stderrText)")
        // A failed conversion says only what failed.
        let image = XendImage.preset(.hvmWindows, seed: 2, pages: 16)
        let bytes = Array(image.bytes().prefix(image.header.count + 100))  // inside the legacy stream
        let cut = dir.appendingPathComponent("cut.xm-save")
        try Data(bytes).write(to: cut)
        let failed = try Spawn.run(Paths.converter, ["--auto", "--dry-run", "-i", cut.path])
        #expect(failed.status == 1 && !failed.stderrText.contains("qemu-dm's"), "\(failed.stderrText)")
        let page = try String(contentsOf: Paths.packageRoot.appendingPathComponent("docs/xend.md"), encoding: .utf8)
        #expect(page.contains(Xend.hvmRestoreNote), "docs/xend.md quotes the note")
    }

    @Test("with --config, a record whose translation xl cannot take (a vmdk disk) still converts")
    func replacementConfigSkipsTranslation() throws {
        let record =
            "(domain (name vm1) (memory 256) (image (linux (kernel /k))) "
            + "(device (tap (uname tap:vmdk:/i/a.vmdk) (dev xvda) (mode w))))"
        let image = XendImage.withConfig(Array(record.utf8), like: .pvKernel, seed: 4, pages: 16)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("vm1.xm-save")
        try Data(image.bytes()).write(to: input)
        let refused = try Spawn.run(Paths.converter, ["--auto", "--dry-run", "-i", input.path])
        #expect(refused.status == 2 && refused.stderrText.contains("vmdk"), "\(refused.stderrText)")
        let given = dir.appendingPathComponent("vm1.cfg")
        try Data("name = \"vm1\"\n".utf8).write(to: given)
        let out = dir.appendingPathComponent("vm1.xl-save")
        let run = try Spawn.run(
            Paths.converter, ["--auto", "-f", "libxl", "--config", given.path, "-i", input.path, "-o", out.path, "-v"])
        #expect(run.status == 0, "\(run.stderrText)")
        #expect(run.stdoutText.contains("xend domain \"vm1\": PV"))
        let check = try Spawn.run(Paths.verifier, ["-f", "xl", "-i", out.path])
        #expect(check.status == 0, "\(check.stderrText)")
    }
}
