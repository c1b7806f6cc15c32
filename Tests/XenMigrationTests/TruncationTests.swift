import TestSupport
import Testing
import XenMigration

/// Inputs cut at every offset (or every interesting one): the library must
/// report truncation at exactly the cut, never convert or fail otherwise.
@Suite("Truncated input")
struct TruncationTests {
    /// Vectors of every kind: HVM and PV, 32- and 64-bit, libxc and libxl,
    /// v3, xl headers, toolstack data, a debug stream, xsave with 70 vcpus.
    static let convertVectors = [
        "hvm32-libxc", "hvm64-libxl-toolstack-xl", "hvm64-skip-qemu", "hvm64-debug-stream",
        "pv32-libxc-v3", "pv64-libxl-toolstack-xl", "pv32-xsave-vcpus70",
    ]
    static let verifyVectors = [
        "hvm32-libxc-v3", "hvm64-libxl", "pv32-libxl-toolstack-xl", "pv64-libxc-toolstack-xl",
        "pv32-xsave-vcpus70",
    ]

    @Test(
        "the converter reports truncation at exactly each cut",
        arguments: convertVectors.flatMap { [($0, true), ($0, false)] })
    func converterCuts(_ name: String, thinned: Bool) throws {
        let (original, args) = try loadVector("convert", name)
        let input = thinned ? try thinnedVector("convert", name) : original
        let options = try conversionOptions(args)
        var boundaries: [Int] = []
        let full = convert(input, options, marks: { boundaries.append(Int($0)) })
        #expect(full.error == nil)
        let consumed = Int(full.bytesRead)
        var failures = 0
        for cut in cutOffsets(length: consumed, boundaries: boundaries, everyOffset: thinned) {
            let outcome = convert(input, options, cut: cut)
            let error = outcome.error
            if error?.kind != .truncated || error?.offset != UInt64(cut)
                || error?.message.hasPrefix("Stream truncated at input offset \(cut): ") != true
            {
                failures += 1
                if failures <= 5 { Issue.record("\(name) cut at \(cut): \(error.map { "\($0)" } ?? "converted")") }
            }
        }
        #expect(failures == 0)
    }

    @Test(
        "the verifier reports truncation at exactly each cut",
        arguments: verifyVectors.flatMap { [($0, true), ($0, false)] })
    func verifierCuts(_ name: String, thinned: Bool) throws {
        let (original, args) = try loadVector("verify", name)
        let stream = thinned ? try thinnedVector("verify", name) : original
        let format = try verifyFormat(args)
        let full = verify(stream, format)
        #expect(full.error == nil)
        // The verifier stops at END; anything after it is not its business.
        let consumed = Int(full.bytesRead)
        var failures = 0
        for cut in cutOffsets(length: consumed, boundaries: recordBoundaries(stream, format), everyOffset: thinned) {
            let error = verify(stream, format, cut: cut).error
            if error?.kind != .truncated || error?.offset != UInt64(cut)
                || error?.message.hasPrefix("Stream truncated at input offset \(cut): ") != true
            {
                failures += 1
                if failures <= 5 { Issue.record("\(name) cut at \(cut): \(error.map { "\($0)" } ?? "verified")") }
            }
        }
        #expect(failures == 0)
    }
}
