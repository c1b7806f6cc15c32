import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration
import XendConfig

/// The generator's command line for xend images (spawns the built tool;
/// belongs with the other tool tests).
@Suite("generate-legacy-stream --xend")
struct XendGeneratorToolTests {
    @Test("generate-legacy-stream --xend writes the preset image")
    func commandLine() throws {
        let tool = Paths.binDir.appendingPathComponent("generate-legacy-stream").path
        let run = try Spawn.run(
            tool,
            [
                "--xend", "hvm-linux", "--width", "32", "--pages", "20", "--seed", "4", "-o", "-",
                "--summary",
            ])
        #expect(run.status == 0, "\(run.stderrText)")
        let same = run.stdout == XendImage.preset(.hvmLinux, width: .bits32, seed: 4, pages: 20).bytes()
        #expect(same)
        #expect(run.stderrText.contains("guest=hvm xend=hvm-linux"))
        let bad = try Spawn.run(tool, ["--xend", "hvm-linux", "--xl", "-o", "-"])
        #expect(bad.status != 0 && bad.stderrText.contains("--xend cannot be combined"))
        let unknown = try Spawn.run(tool, ["--xend", "solaris", "-o", "-"])
        #expect(unknown.status != 0 && unknown.stderrText.contains("pv-kernel"))
    }
}
