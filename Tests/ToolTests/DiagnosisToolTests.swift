import Foundation
import TestSupport
import Testing

/// The common mistakes, as an administrator makes them: one line that says
/// what the input is and the option that fixes it, and exit status 1.
@Suite("Diagnoses: messages that name the fix")
struct DiagnosisToolTests {
    private static let convert = Paths.conformance.appendingPathComponent("convert")

    private func input(_ vector: String, _ file: String = "input.legacy") -> String {
        Self.convert.appendingPathComponent(vector).appendingPathComponent(file).path
    }

    private func expectLine(
        _ result: RunResult, _ line: String, status: Int32 = 1,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, sourceLocation: sourceLocation)
        #expect(result.stderrText == line + "\n", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("an already converted file given again, with --auto or with -x -f libxl")
    func alreadyConverted() throws {
        let libxl = input("hvm64-libxl", "expected.out")
        let line =
            "Stream Error: Input is a libxl (v2) stream: it is already converted; check it with `verify-stream-v2 -f libxl` (at input offset 0)"
        expectLine(try Spawn.run(Paths.converter, ["--auto", "-i", libxl, "-o", "/dev/null"]), line)
        expectLine(
            try Spawn.run(
                Paths.converter, ["-x", "-f", "libxl", "-w", "64", "-g", "hvm", "-i", libxl, "-o", "/dev/null"]), line)
        let xl = input("hvm64-libxl-toolstack-xl", "expected.out")
        expectLine(
            try Spawn.run(Paths.converter, ["--auto", "-f", "libxl", "-i", xl, "-o", "/dev/null"]),
            "Stream Error: Input is an xl save file holding a v2 stream: it is already converted; check it with `verify-stream-v2 -f xl` (at input offset 0)"
        )
        let libxc = input("pv64-libxc", "expected.out")
        expectLine(
            try Spawn.run(Paths.converter, ["-w", "64", "-g", "pv", "-i", libxc, "-o", "/dev/null"]),
            "Stream Error: Input is a libxc v2 stream: it is already converted; check it with `verify-stream-v2 -f libxc` (at input offset 0)"
        )
    }

    @Test("an xl save image converted without -x")
    func missingXL() throws {
        let result = try Spawn.run(
            Paths.converter,
            [
                "-w", "64", "-g", "hvm", "-f", "libxl",
                "-i", input("hvm64-libxl-toolstack-xl"), "-o", "/dev/null",
            ])
        expectLine(
            result,
            "Stream Error: Input is an xl save file holding a legacy image: add `-x` (or use `--auto`) (at input offset 0)"
        )
    }

    @Test("the wrong width, with -x or without: exit 1 (was 2), no raw bytes")
    func wrongWidth() throws {
        let inXL = try Spawn.run(
            Paths.converter,
            [
                "-x", "-w", "32", "-g", "hvm", "-f", "libxl",
                "-i", input("hvm64-libxl-toolstack-xl"), "-o", "/dev/null",
            ])
        expectLine(
            inXL,
            "Stream Error: Input looks like an xl save file holding a legacy HVM image from a 64-bit toolstack, not a 32-bit one: try `-w 64` or `--auto` (at input offset 0)"
        )
        let bare = try Spawn.run(
            Paths.converter, ["-w", "64", "-g", "pv", "-i", input("pv32-libxc"), "-o", "/dev/null"])
        expectLine(
            bare,
            "Stream Error: Input looks like a legacy PV image from a 32-bit toolstack, not a 64-bit one: try `-w 32` or `--auto` (at input offset 0)"
        )
    }

    @Test("the wrong guest type")
    func wrongGuest() throws {
        let result = try Spawn.run(
            Paths.converter, ["-w", "64", "-g", "pv", "-i", input("hvm64-libxc"), "-o", "/dev/null"])
        expectLine(
            result,
            "Stream Error: Input looks like a legacy HVM image from a 64-bit toolstack, not a PV guest: try `-g hvm` or `--auto` (at input offset 0)"
        )
    }

    @Test("the verifier given an xl or libxl stream without the matching -f, or a legacy image")
    func verifierFormat() throws {
        expectLine(
            try Spawn.run(Paths.verifier, ["-i", input("hvm64-libxl-toolstack-xl", "expected.out")]),
            "Stream Error: Input is an xl save file holding a v2 stream: verify it with `-f xl` (at input offset 0)")
        expectLine(
            try Spawn.run(Paths.verifier, ["-i", input("hvm64-libxl", "expected.out")]),
            "Stream Error: Input is a libxl (v2) stream: verify it with `-f libxl` (at input offset 0)")
        expectLine(
            try Spawn.run(Paths.verifier, ["-f", "xl", "-i", input("hvm64-libxl", "expected.out")]),
            "Stream Error: Input is a libxl (v2) stream: verify it with `-f libxl` (at input offset 0)")
        expectLine(
            try Spawn.run(Paths.verifier, ["-i", input("pv32-libxc")]),
            "Stream Error: Input is a legacy PV image from a 32-bit toolstack: convert it first with `convert-legacy-stream` (at input offset 0)"
        )
    }

    @Test("an unknown device model signature is quoted escaped, never raw")
    func escapedSignature() throws {
        let vector = Vector(kind: "convert", name: "unsupported-qemu-sig")
        let result = try Spawn.run(
            Paths.converter,
            ["-i", vector.file("input.legacy").path, "-o", "/dev/null"]
                + vector.args.filter { $0 != "-v" })
        #expect(result.status == 2)
        #expect(result.stderr.allSatisfy { $0 == 0x0a || (0x20...0x7e).contains($0) }, "\(result.stderrText)")
        #expect(result.stderrText.hasPrefix("Script Error: Unrecognised Qemu sig '"))
    }
}
