import Foundation
import FuzzSupport
import TestSupport
import Testing
import XenMigration

/// Fuzz inputs replayed in process, decoded by the fuzz targets' own code
/// (FuzzSupport): a seed or finding runs here exactly as it ran there.
private enum FuzzReplay {
    static func converted(_ input: [UInt8]) -> Outcome? {
        guard let byte = input.first else { return nil }
        let mode = ConvertMode(byte)
        return convert(mode.reader(for: Array(input.dropFirst())), mode.options, verbose: mode.verboseSink)
    }

    static func verified(_ input: [UInt8]) -> Outcome? {
        guard let byte = input.first else { return nil }
        let mode = VerifyMode(byte)
        return verify(mode.reader(for: Array(input.dropFirst())), mode.format, verbose: mode.verboseSink)
    }
}

// The fuzzers have found nothing so far (fuzz/README.md). A finding goes to
// Tests/Fixtures/regression/TARGET/ (fuzz/run.sh replays those first), with
// a test here that replays it through FuzzReplay and expects its verdict.
@Suite("Fuzz seeds")
struct FuzzFindingTests {
    /// The seed corpus, decoded as the fuzz targets decode it: each seed
    /// must end as its conformance vector does. This keeps the mode bytes
    /// of FuzzSupport and of fuzz/make-corpus.py in step.
    @Test("the fuzz seeds replay with their vectors' verdicts", arguments: ["convert", "verify"])
    func seeds(_ target: String) throws {
        let dir = Paths.fuzzCorpus.appendingPathComponent(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names.count > 50)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            // NAME-HASH or NAME-detect-slow-HASH / NAME-slow-HASH.
            var vector = String(name.dropLast(9))
            for suffix in ["-detect-slow", "-slow"] where vector.hasSuffix(suffix) {
                vector = String(vector.dropLast(suffix.count))
            }
            let expected = Vector(kind: target, name: vector).expectedStatus
            let outcome = target == "convert" ? FuzzReplay.converted(bytes) : FuzzReplay.verified(bytes)
            #expect(
                (outcome?.error == nil) == (expected == 0),
                "\(name): \(outcome?.error.map { "\($0)" } ?? "ok"), vector exits \(expected)")
        }
    }
}
