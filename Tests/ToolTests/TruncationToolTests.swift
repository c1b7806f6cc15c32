import Foundation
import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration

/// Cut inputs through the built tools: exit status 1, the offset in the
/// message, nothing left behind. The cuts are found in process first.
@Suite("Truncated input through the tools")
struct TruncationToolTests {
    @Test(
        "the built tools exit 1 with the truncation offset, leaving no output",
        arguments: ["hvm64-libxl-toolstack-xl", "pv32-xsave-vcpus70", "pv64-libxc-v3"])
    func toolsOnCuts(_ name: String) throws {
        let (input, args) = try loadVector("convert", name)
        let options = try conversionOptions(args)
        var boundaries: [Int] = []
        let consumed = Int(convert(input, options, marks: { boundaries.append(Int($0)) }).bytesRead)
        var rng = SplitMix64(seed: UInt64(consumed))
        var cuts: Set<Int> = [0, 1, 4, 7, consumed - 1]
        for _ in 0..<6 { cuts.insert(boundaries[rng.below(boundaries.count)] - rng.below(3)) }
        for _ in 0..<4 { cuts.insert(rng.below(consumed)) }

        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cutPath = dir.appendingPathComponent("cut").path
        let outDir = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        for cut in cuts.sorted() where cut >= 0 {
            try Data(input[0..<cut]).write(to: URL(fileURLWithPath: cutPath))
            let run = try Spawn.run(
                Paths.converter, ["-i", cutPath, "-o", outDir.appendingPathComponent("o").path] + args)
            #expect(run.signal == nil)
            #expect(run.status == 1, "cut at \(cut): \(run.stderrText)")
            #expect(
                firstLine(run.stderrText).hasPrefix("Stream Error: Stream truncated at input offset \(cut): "),
                "cut at \(cut): \(run.stderrText)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: outDir.path).isEmpty)

            // The same bytes through a pipe, as libxl hands them over.
            let piped = try Spawn.run(
                Paths.converter, ["-i", "-", "-o", "-"] + args.filter { $0 != "-v" },
                stdin: Array(input[0..<cut]))
            #expect(piped.status == 1 && piped.signal == nil)
            #expect(firstLine(piped.stderrText).hasPrefix("Stream Error: Stream truncated at input offset \(cut): "))
        }
    }

    @Test("verify-stream-v2 exits 1 with the truncation offset", arguments: ["hvm64-libxl", "pv32-libxl-toolstack-xl"])
    func verifierToolOnCuts(_ name: String) throws {
        let (stream, args) = try loadVector("verify", name)
        let format = try verifyFormat(args)
        let consumed = Int(verify(stream, format).bytesRead)
        let boundaries = recordBoundaries(stream, format).filter { $0 < consumed }
        var rng = SplitMix64(seed: UInt64(consumed))
        var cuts: Set<Int> = [0, 1, 23, consumed - 1]
        for _ in 0..<6 { cuts.insert(boundaries[rng.below(boundaries.count)] + rng.below(9)) }
        for cut in cuts.sorted() where cut < consumed {
            let run = try Spawn.run(Paths.verifier, args.filter { $0 != "-v" }, stdin: Array(stream[0..<cut]))
            #expect(run.signal == nil)
            #expect(run.status == 1, "cut at \(cut): \(run.stderrText)")
            #expect(
                firstLine(run.stderrText).hasPrefix("Stream Error: Stream truncated at input offset \(cut): "),
                "cut at \(cut): \(run.stderrText)")
        }
    }
}
