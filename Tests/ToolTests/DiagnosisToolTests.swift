import Foundation
import TestSupport
import Testing

/// The common mistakes, as an administrator makes them: one line that says
/// what the input is and the option that fixes it, and exit status 1.
@Suite("Diagnoses: messages that name the fix")
struct DiagnosisToolTests {
    /// One mistake: a tool given a conformance vector's file with the wrong
    /// options, and the one line it must answer.
    struct Mistake: Sendable, CustomTestStringConvertible {
        var verifier = false
        var options: [String]
        var vector: String
        var file = "input.legacy"
        var line: String

        var testDescription: String { "\(verifier ? "verify" : "convert") \(options.joined(separator: " ")) \(vector)" }

        var arguments: [String] {
            let path = Paths.conformance.appendingPathComponent("convert").appendingPathComponent(vector)
                .appendingPathComponent(file).path
            return options + ["-i", path] + (verifier ? [] : ["-o", "/dev/null"])
        }
    }

    static let alreadyConvertedLibxl =
        "Stream Error: Input is a libxl (v2) stream: it is already converted; check it with `verify-stream-v2 -f libxl` (at input offset 0)"

    @Test(
        "a mistake gets one line naming the fix, exit 1, nothing on standard output",
        arguments: [
            // An already converted file given again, with --auto or with -x -f libxl.
            Mistake(
                options: ["--auto"], vector: "hvm64-libxl", file: "expected.out", line: alreadyConvertedLibxl),
            Mistake(
                options: ["-x", "-f", "libxl", "-w", "64", "-g", "hvm"], vector: "hvm64-libxl", file: "expected.out",
                line: alreadyConvertedLibxl),
            Mistake(
                options: ["--auto", "-f", "libxl"], vector: "hvm64-libxl-toolstack-xl", file: "expected.out",
                line:
                    "Stream Error: Input is an xl save file holding a v2 stream: it is already converted; check it with `verify-stream-v2 -f xl` (at input offset 0)"
            ),
            Mistake(
                options: ["-w", "64", "-g", "pv"], vector: "pv64-libxc", file: "expected.out",
                line:
                    "Stream Error: Input is a libxc v2 stream: it is already converted; check it with `verify-stream-v2 -f libxc` (at input offset 0)"
            ),
            // An xl save image converted without -x.
            Mistake(
                options: ["-w", "64", "-g", "hvm", "-f", "libxl"], vector: "hvm64-libxl-toolstack-xl",
                line:
                    "Stream Error: Input is an xl save file holding a legacy image: add `-x` (or use `--auto`) (at input offset 0)"
            ),
            // The wrong width, with -x or without: exit 1 (was 2), no raw bytes.
            Mistake(
                options: ["-x", "-w", "32", "-g", "hvm", "-f", "libxl"], vector: "hvm64-libxl-toolstack-xl",
                line:
                    "Stream Error: Input looks like an xl save file holding a legacy HVM image from a 64-bit toolstack, not a 32-bit one: try `-w 64` or `--auto` (at input offset 0)"
            ),
            Mistake(
                options: ["-w", "64", "-g", "pv"], vector: "pv32-libxc",
                line:
                    "Stream Error: Input looks like a legacy PV image from a 32-bit toolstack, not a 64-bit one: try `-w 32` or `--auto` (at input offset 0)"
            ),
            // The wrong guest type.
            Mistake(
                options: ["-w", "64", "-g", "pv"], vector: "hvm64-libxc",
                line:
                    "Stream Error: Input looks like a legacy HVM image from a 64-bit toolstack, not a PV guest: try `-g hvm` or `--auto` (at input offset 0)"
            ),
            // The verifier given an xl or libxl stream without the matching -f, or a legacy image.
            Mistake(
                verifier: true, options: [], vector: "hvm64-libxl-toolstack-xl", file: "expected.out",
                line:
                    "Stream Error: Input is an xl save file holding a v2 stream: verify it with `-f xl` (at input offset 0)"
            ),
            Mistake(
                verifier: true, options: [], vector: "hvm64-libxl", file: "expected.out",
                line: "Stream Error: Input is a libxl (v2) stream: verify it with `-f libxl` (at input offset 0)"),
            Mistake(
                verifier: true, options: ["-f", "xl"], vector: "hvm64-libxl", file: "expected.out",
                line: "Stream Error: Input is a libxl (v2) stream: verify it with `-f libxl` (at input offset 0)"),
            Mistake(
                verifier: true, options: [], vector: "pv32-libxc",
                line:
                    "Stream Error: Input is a legacy PV image from a 32-bit toolstack: convert it first with `convert-legacy-stream` (at input offset 0)"
            ),
        ])
    func mistake(_ mistake: Mistake) throws {
        let result = try Spawn.run(mistake.verifier ? Paths.verifier : Paths.converter, mistake.arguments)
        #expect(result.status == 1)
        #expect(result.stderrText == mistake.line + "\n")
        #expect(result.stdout.isEmpty)
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
