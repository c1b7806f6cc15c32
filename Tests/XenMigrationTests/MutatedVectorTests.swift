import Foundation
import TestSupport
import Testing
import XenMigration

/// Conformance vectors with bits flipped and fields set to extremes
/// (TestSupport's Mutants), in process: each ends in a result or a
/// StreamError within seconds.
@Suite("Mutated conformance vectors")
struct MutatedVectorTests {
    @Test("2000 mutants in process: each a result or a StreamError, within a few seconds")
    func inProcess() throws {
        for mutant in try mutants(count: 2000, seed: 0x6d75_7461_6e74) {
            let started = Date()
            if mutant.kind == "convert" {
                // With --auto, detected as the tool would (the parser's options).
                _ = convert(mutant.bytes, try conversionOptions(mutant.arguments))
            } else {
                _ = verify(mutant.bytes, try verifyFormat(mutant.arguments))
            }
            let seconds = Date().timeIntervalSince(started)
            #expect(seconds < 5, "\(seconds)s: \(mutant.description)")
        }
    }
}
