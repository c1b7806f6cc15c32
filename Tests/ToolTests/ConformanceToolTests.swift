import Foundation
import TestSupport
import Testing

/// Xen's reference tools' conformance vectors through the built tools: the
/// exact output bytes, standard output and exit status of each.
@Suite("Conformance vectors through the tools")
struct ConformanceToolTests {
    @Test("convert-legacy-stream: exact bytes, stdout and exit status", arguments: Vector.all("convert"))
    func convert(_ vector: Vector) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let result = try Spawn.run(Paths.converter, ["-i", vector.file("input.legacy").path, "-o", out] + vector.args)
        #expect(result.signal == nil)
        #expect(result.status == vector.expectedStatus, "stderr: \(result.stderrText)")
        if let expected = vector.bytes("expected.out") {
            let actual = (try? Data(contentsOf: URL(fileURLWithPath: out))).map { [UInt8]($0) }
            #expect(actual == expected, "output bytes differ")
        }
        if let expected = vector.bytes("expected.stdout") {
            #expect(result.stdout == expected, "\(result.stdoutText)")
        }
        if vector.expectedStatus != 0 {
            // A failed conversion leaves nothing behind.
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            #expect(left.isEmpty, "left behind: \(left)")
            let firstLine = result.stderrText.split(separator: "\n").first.map(String.init) ?? ""
            #expect(firstLine.hasPrefix(vector.expectedStatus == 2 ? "Script Error: " : "Stream Error: "))
            #expect(result.stderrText.split(separator: "\n").count == 1, "one line: \(result.stderrText)")
        }
    }

    @Test("verify-stream-v2: exit status and verbose text", arguments: Vector.all("verify"))
    func verify(_ vector: Vector) throws {
        let result = try Spawn.run(Paths.verifier, ["-i", vector.file("stream").path] + vector.args)
        #expect(result.signal == nil)
        #expect(result.status == vector.expectedStatus, "stderr: \(result.stderrText)")
        if let expected = vector.text("expected.stdout") {
            #expect(result.stdoutText == expected)
        }
        if vector.expectedStatus != 0 {
            #expect(result.stderrText.hasPrefix("Stream Error: "))
            #expect(result.stderrText.contains("offset"))
        }
    }
}
