import Foundation
import TestSupport
import Testing
import XenLegacyGenerator

/// The generator's command line writes exactly what its library makes.
@Suite("generate-legacy-stream")
struct GeneratorToolTests {
    @Test("generate-legacy-stream writes what the library makes")
    func commandLine() throws {
        let tool = Paths.generator
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        let expected = dir.appendingPathComponent("expected").path
        let run = try Spawn.run(
            tool,
            [
                "--random", "5", "-o", input, "--expected", expected, "--format", "libxl",
                "--stream-version", "3", "--summary",
            ])
        #expect(run.status == 0, "\(run.stderrText)")
        let image = LegacyImage.random(seed: 5)
        let sameInput = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input))) == image.legacyBytes()
        #expect(sameInput)
        let want = image.expectedOutput(format: .libxl, streamVersion: 3) ?? []
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: expected)))
        let sameExpected = !want.isEmpty && written == want
        #expect(sameExpected)
        #expect(run.stderrText.contains("width=\(image.width.rawValue) guest=\(image.guest.rawValue)"))

        let big = try Spawn.run(
            tool,
            [
                "--guest", "pv", "--width", "32", "--pages", "100", "--batch", "7", "--vcpus", "3",
                "--xsave", "--fill", "stamp", "-o", "-",
            ])
        #expect(big.status == 0, "\(big.stderrText)")
        let spec = LargeImageSpec(
            width: .bits32, guest: .pv, pages: 100, batchSize: 7, vcpus: 3, fill: .stamp, xsave: true)
        let sameBig = big.stdout == LegacyImage.large(spec).legacyBytes()
        #expect(sameBig)
    }
}
