import Foundation
import Testing
import XenMigration

/// One directory of `Tests/Fixtures/conformance/{convert,verify}`.
struct Vector: CustomTestStringConvertible, Sendable {
    let kind: String
    let name: String
    var testDescription: String { "\(kind)/\(name)" }
    var directory: URL { Paths.fixtures.appendingPathComponent(kind).appendingPathComponent(name) }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
    func text(_ name: String) -> String? { try? String(contentsOf: file(name), encoding: .utf8) }
    func bytes(_ name: String) -> [UInt8]? { (try? Data(contentsOf: file(name))).map { [UInt8]($0) } }
    var args: [String] { splitArgs(text("args") ?? "") }
    var expectedStatus: Int32 { Int32((text("expected.rc") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -99 }

    static func all(_ kind: String) -> [Vector] {
        let dir = Paths.fixtures.appendingPathComponent(kind)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { Vector(kind: kind, name: $0) }
    }
}

@Suite("Conformance vectors")
struct ConformanceTests {
    @Test("every vector directory is present")
    func vectorsArePresent() {
        // The shared set has 47 conversion and 74 verification vectors.
        #expect(Vector.all("convert").count >= 47)
        #expect(Vector.all("verify").count >= 74)
    }

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
        if let expected = vector.text("expected.stdout") {
            #expect(result.stdoutText == expected)
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

    @Test("the library converts every successful vector in memory", arguments: Vector.all("convert").filter { $0.expectedStatus == 0 })
    func convertInProcess(_ vector: Vector) throws {
        let args = vector.args
        func value(_ short: String, _ long: String) -> String? {
            for (i, a) in args.enumerated() where (a == short || a == long) && i + 1 < args.count { return args[i + 1] }
            return nil
        }
        let options = ConversionOptions(
            width: value("-w", "--width") == "32" ? .bits32 : .bits64,
            guest: value("-g", "--guest") == "pv" ? .pv : .hvm,
            format: value("-f", "--format") == "libxl" ? .libxl : .libxc,
            streamVersion: value("", "--stream-version") == "3" ? 3 : 2,
            xlHeader: args.contains("-x"),
            skipQemu: args.contains("--skip-qemu"))
        let input = try #require(vector.bytes("input.legacy"))
        // A source that hands out a few bytes at a time, as a slow pipe does.
        let source = MemorySource(input, chunkLimit: 7)
        let sink = MemorySink()
        var lines: [String] = []
        let converter = LegacyConverter(options: options, reader: StreamReader(source),
                                        writer: StreamWriter(sink), verbose: { lines.append($0) })
        let report = try converter.run()
        #expect(sink.bytes == vector.bytes("expected.out"))
        if let expected = vector.text("expected.stdout") {
            #expect(lines.map { $0 + "\n" }.joined() == expected)
        }
        #expect(report.bytesWritten == UInt64(sink.bytes.count))
        #expect(report.bytesRead <= UInt64(input.count))
    }

    @Test("every converted vector verifies", arguments: Vector.all("convert").filter { $0.expectedStatus == 0 })
    func convertedOutputVerifies(_ vector: Vector) throws {
        let expected = try #require(vector.bytes("expected.out"))
        let args = vector.args
        let format: VerifyFormat = args.contains("-x") ? .xl : (args.contains("libxl") ? .libxl : .libxc)
        try StreamVerifier.verify(reader: StreamReader(MemorySource(expected)), format: format)
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
