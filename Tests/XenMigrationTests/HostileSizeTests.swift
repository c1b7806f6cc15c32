import TestSupport
import Testing
import XenMigration
import XenMigrationCLI

/// Legacy images whose sizes and counts are absurd (TestSupport's
/// HostileImages), converted in process: a clear error or success, never a
/// trap or an allocation sized by the input.
@Suite("Hostile sizes and counts")
struct HostileSizeTests {
    @Test("the converter in process: a clear error or success, never a trap", arguments: hostileCases)
    func inProcess(_ hostile: HostileCase) throws {
        let image = try #require(hostileImages[hostile.name])
        let options = try conversionOptions(hostile.arguments)
        let outcome = convert(image.bytes, options)
        #expect(outcome.error?.kind == hostile.kind, "\(outcome.error.map { "\($0)" } ?? "converted")")
        if let error = outcome.error {
            #expect(error.message.contains(hostile.message(inputLength: image.count)), "\(error)")
            #expect(ConvertCommand.exitStatus(ToolFailure.stream(error).kind) == hostile.status)
        }
    }
}
