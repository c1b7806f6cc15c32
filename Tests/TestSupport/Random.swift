import XenLegacyGenerator

// The tests draw their fixed samples (cut offsets, mutants) from the
// generator's SplitMix64, seeded, so every run tests the same cases.
extension SplitMix64 {
    /// Uniform in 0..<bound (0 when bound is 0 or less).
    package mutating func below(_ bound: Int) -> Int { Int(below(UInt64(max(bound, 1)))) }
}
