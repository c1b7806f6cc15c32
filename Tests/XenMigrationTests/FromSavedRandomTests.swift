import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration

/// The generator's random images (every legacy feature) that convert to a
/// stream the verifier accepts: the writer's image of each converted stream
/// converts back to it, or (layouts only odd writers made: a vcpu block or
/// physmap key twice) is refused as one a legacy image cannot hold.
@Suite("From saved stream: random images")
struct FromSavedRandomTests {
    @Test("random images round trip", arguments: [OutputFormat.libxc, .libxl])
    func randomImages(_ format: OutputFormat) throws {
        var checked = 0
        var refused = 0
        for seed in UInt64(0)..<300 {
            let image = LegacyImage.random(seed: seed, faultRate: 0)
            let settings = ConversionSettings(format: format, streamVersion: seed % 2 == 0 ? 2 : 3)
            guard case .success(let saved) = Generated.convert(image, settings),
                (try? StreamVerifier.verify(
                    reader: StreamReader(MemorySource(saved)), format: Generated.verifyFormat(image, settings))) != nil
            else { continue }
            let front: LegacyFront =
                image.xlHeader.map { $0.mandatoryFlags & XL.mandatoryFlagJSON != 0 ? .xlJSON : .xlText } ?? .none
            do {
                let (legacy, _) = try SavedToLegacy.convert(
                    saved, options: FromSavedOptions(front: front, width: image.width))
                let again = Generated.convert(image, settings, input: legacy)
                guard case .success(let bytes) = again else {
                    Issue.record("seed \(seed): \(again)")
                    continue
                }
                let same = bytes == saved
                let a = SavedStreams.records(bytes)
                let b = SavedStreams.records(saved)
                let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                #expect(
                    same,
                    "seed \(seed) \(image.guest) \(image.width): at \(i) of \(a.count)/\(b.count): \(i < a.count ? a[i].description : "-") vs \(i < b.count ? b[i].description : "-")"
                )
                checked += 1
            } catch {
                #expect(error.kind == .unsupported && "\(error)".contains("Cannot represent"), "seed \(seed): \(error)")
                refused += 1
            }
        }
        #expect(checked > 100 && refused < checked / 5, "\(checked) round trips, \(refused) refused")
    }
}
