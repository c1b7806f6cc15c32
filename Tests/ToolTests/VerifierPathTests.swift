import TestSupport
import Testing

@Suite("Verifier transfer paths")
struct VerifierPathTests {
    @Test(
        "the verifier gives the same verdict on a pipe (page data dropped in the kernel) as on a file",
        arguments: Vector.all("verify"))
    func fromPipe(_ vector: Vector) throws {
        let stream = try #require(vector.bytes("stream"))
        let result = try Spawn.run(Paths.verifier, vector.args, stdin: stream)
        #expect(result.status == vector.expectedStatus, "\(result.stderrText)")
        if let expected = vector.text("expected.stdout") {
            #expect(result.stdoutText == expected)
        }
    }

    @Test("a large converted stream verifies from a pipe, and a cut one says where it was cut")
    func largeFromPipe() throws {
        let fixture = try #require(TransferPathTests.fixture)
        let whole = try Spawn.run(Paths.verifier, ["-f", "libxl"], stdin: fixture.expected)
        #expect(whole.status == 0, "\(whole.stderrText)")
        let cut = fixture.expected.count - 100_000
        let truncated = try Spawn.run(Paths.verifier, ["-f", "libxl"], stdin: Array(fixture.expected[..<cut]))
        #expect(truncated.status == 1)
        #expect(truncated.stderrText.contains("truncated at input offset \(cut)"), "\(truncated.stderrText)")
    }
}
