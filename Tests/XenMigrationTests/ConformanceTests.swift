import TestSupport
import Testing
import XenMigration

/// Xen's reference tools' conformance vectors, run through the library in
/// process (ToolTests runs them through the built tools).
@Suite("Conformance vectors")
struct ConformanceTests {
    @Test("every vector directory is present")
    func vectorsArePresent() {
        // The shared set has 47 conversion and 74 verification vectors (and one added beside them).
        #expect(Vector.all("convert").count >= 47)
        #expect(Vector.all("verify").count >= 74)
    }

    @Test(
        "the library converts every successful vector in memory",
        arguments: Vector.all("convert").filter { $0.expectedStatus == 0 })
    func convertInProcess(_ vector: Vector) throws {
        let options = try conversionOptions(vector.args)
        let input = try #require(vector.bytes("input.legacy"))
        // A source that hands out a few bytes at a time, as a slow pipe does.
        let source = MemorySource(input, chunkLimit: 7)
        let sink = MemorySink()
        var lines: [VerboseLine] = []
        let converter = LegacyConverter(
            options: options, reader: StreamReader(source),
            writer: StreamWriter(sink), verbose: { lines.append($0) })
        let report = try converter.run()
        #expect(sink.bytes == vector.bytes("expected.out"))
        // Bytes, not text: a physmap name may be any bytes.
        if let expected = vector.bytes("expected.stdout") {
            #expect(lines.flatMap { $0.bytes + [0x0a] } == expected)
        }
        #expect(report.bytesWritten == UInt64(sink.bytes.count))
        #expect(report.bytesRead <= UInt64(input.count))
    }

    @Test("every converted vector verifies", arguments: Vector.all("convert").filter { $0.expectedStatus == 0 })
    func convertedOutputVerifies(_ vector: Vector) throws {
        let expected = try #require(vector.bytes("expected.out"))
        let format = verifyFormat(of: try conversionOptions(vector.args))
        try StreamVerifier.verify(reader: StreamReader(MemorySource(expected)), format: format)
    }
}
