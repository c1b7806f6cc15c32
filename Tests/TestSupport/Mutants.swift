import XenLegacyGenerator
import XenMigration

/// One mutated conformance vector: the tool's arguments and the bytes.
package struct Mutant: Sendable {
    package var kind: String
    package var vector: String
    package var arguments: [String]
    package var bytes: [UInt8]
    package var description: String
}

/// A fixed sample of mutants: bit flips and 1-, 4- and 8-byte fields set to
/// 0, 0x7fffffff or all ones, one to three per vector, half of them at
/// structure boundaries (where the fields are) and half anywhere.
package func mutants(count: Int, seed: UInt64) throws -> [Mutant] {
    var rng = SplitMix64(seed: seed)
    let vectors =
        Vector.all("convert").filter { $0.expectedStatus == 0 } + Vector.all("verify").filter { $0.expectedStatus == 0 }
    var boundaryCache: [String: [Int]] = [:]
    func boundaries(_ v: Vector, _ bytes: [UInt8]) throws -> [Int] {
        if let b = boundaryCache[v.testDescription] { return b }
        var marks: [Int] = []
        if v.kind == "convert" {
            _ = convert(bytes, try conversionOptions(v.args), marks: { marks.append(Int($0)) })
        } else {
            marks = recordBoundaries(bytes, try verifyFormat(v.args))
        }
        boundaryCache[v.testDescription] = marks
        return marks
    }
    var result: [Mutant] = []
    for index in 0..<count {
        let v = vectors[rng.below(vectors.count)]
        guard var bytes = v.input, !bytes.isEmpty else { continue }
        let marks = try boundaries(v, bytes)
        var what: [String] = []
        for _ in 0...rng.below(3) {
            var at =
                rng.below(2) == 0 && !marks.isEmpty
                ? max(0, marks[rng.below(marks.count)] - 12 + rng.below(24)) : rng.below(bytes.count)
            at = min(at, bytes.count - 1)
            switch rng.below(4) {
            case 0:
                let bit = rng.below(8)
                bytes[at] ^= 1 << bit
                what.append("flip bit \(bit) at \(at)")
            default:
                let width = [1, 4, 4, 8][rng.below(4)]
                let value: UInt64 = [0, 0x7fff_ffff, .max][rng.below(3)]
                at -= at % width
                for i in 0..<width where at + i < bytes.count {
                    bytes[at + i] =
                        width == 8 || value != 0x7fff_ffff
                        ? UInt8(truncatingIfNeeded: value >> (8 * i)) : (i == 3 ? 0x7f : 0xff)
                }
                what.append("\(width) bytes at \(at) = 0x\(String(value, radix: 16))")
            }
        }
        var args = v.args.filter { $0 != "-v" }
        // Now and then let the converter detect what the image is.
        if v.kind == "convert" && index % 4 == 3 {
            var i = 0
            var kept: [String] = []
            while i < args.count {
                if ["-w", "-g", "--width", "--guest"].contains(args[i]) {
                    i += 2
                    continue
                }
                kept.append(args[i])
                i += 1
            }
            args = kept + ["--auto"]
        }
        result.append(
            Mutant(
                kind: v.kind, vector: v.name, arguments: args, bytes: bytes,
                description: "\(v.testDescription) \(args.joined(separator: " ")): \(what.joined(separator: ", "))"))
    }
    return result
}
