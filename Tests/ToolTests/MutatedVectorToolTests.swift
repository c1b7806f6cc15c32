import Foundation
import TestSupport
import Testing

/// Mutated conformance vectors through the built tools, measured.
@Suite("Mutated conformance vectors through the tools")
struct MutatedVectorToolTests {
    /// 400 mutants through the built tools, in 8 batches that run in parallel.
    @Test("the tools on 400 mutants: exit 0, 1 or 2 within seconds, under 64 MiB", arguments: 0..<8)
    func tools(batch: Int) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        for mutant in try mutants(count: 50, seed: 0x746f_6f6c_7300 + UInt64(batch)) {
            try Data(mutant.bytes).write(to: URL(fileURLWithPath: input))
            let tool = mutant.kind == "convert" ? Paths.converter : Paths.verifier
            let output = mutant.kind == "convert" ? ["-o", "/dev/null"] : []
            let (exit, stderr) = try runTool(tool, ["-i", input] + output + mutant.arguments, timeout: 10)
            guard let exit else { continue }  // recorded by runTool
            #expect(exit.signal == nil, "signal \(exit.signal ?? 0): \(mutant.description)")
            #expect([0, 1, 2].contains(exit.status ?? -1), "status \(exit.status ?? -1): \(mutant.description)")
            #expect(exit.seconds < 5, "\(exit.seconds)s: \(mutant.description)")
            #expect(withinMemoryLimit(exit), "peak RSS \(exit.maxRSSKiB ?? 0) KiB: \(mutant.description)")
            if exit.status != 0 {
                #expect(stderr.split(separator: "\n").count == 1, "\(mutant.description): \(stderr)")
            }
        }
    }
}
