import Testing
import XenMigration

@Suite("Legacy detection")
struct LegacyDetectionTests {
    @Test("the detector follows the libxc spec's table")
    func detectorTable() throws {
        func detect(_ bytes: [UInt8]) throws -> LegacyDetection.Result {
            try LegacyDetection.detect(prefix: bytes, width: nil, guest: nil)
        }
        let pv64: [UInt8] = [0x38, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xff, count: 8)
        #expect(try detect(pv64) == .init(width: .bits64, guest: .pv))
        let hvm64: [UInt8] = [0x38, 0, 0, 0, 0, 0, 0, 0, 0xf9, 0xff, 0xff, 0xff, 0, 0, 0, 0]
        #expect(try detect(hvm64) == .init(width: .bits64, guest: .hvm))
        let pv32: [UInt8] = [0x38, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0c, 0x0b, 0, 0, 0x76, 0x63, 0x70, 0x75]
        #expect(try detect(pv32) == .init(width: .bits32, guest: .pv))
        let hvm32: [UInt8] = [0x38, 0, 0, 0, 0x20, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        #expect(try detect(hvm32) == .init(width: .bits32, guest: .hvm))
        #expect(throws: StreamError.self) { try detect([1, 2, 3]) }
    }
}
