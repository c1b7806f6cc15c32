import Foundation
import TestSupport
import Testing
import XenMigrationCLI

/// The README describes examples/synthetic-hvm64-xl.save as the conformance
/// vector it is; this keeps that true.
@Suite("The shipped example")
struct ExampleImageTests {
    @Test(
        "examples/synthetic-hvm64-xl.save is conformance vector convert/hvm64-libxl-toolstack-xl, and converts with --auto"
    )
    func example() throws {
        let example = Paths.packageRoot.appendingPathComponent("examples/synthetic-hvm64-xl.save")
        let vector = Vector(kind: "convert", name: "hvm64-libxl-toolstack-xl")
        #expect(try Data(contentsOf: example) == Data(try #require(vector.bytes("input.legacy"))))
        // The README's quick start.
        let result = try Spawn.run(Paths.converter, ["--auto", "--format", "libxl", "-i", example.path, "-o", "-"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdout == vector.bytes("expected.out"))
        let check = try Spawn.run(Paths.verifier, ["--format", "xl"], stdin: result.stdout)
        #expect(check.status == 0, "\(check.stderrText)")
    }
}
