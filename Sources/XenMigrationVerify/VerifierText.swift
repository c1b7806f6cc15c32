import XenMigrationFormat

/// Every line `verify-stream-v2 -v` prints, worded as Xen's
/// `verify-stream-v2` words them (toolstacks and people compare them): the
/// verifier's counterpart of `VerboseText`.
enum VerifierText {
    static func imageHeader(version: UInt32) -> String {
        version == 2 ? "Libxc Image Header: little endian" : "Libxc Image Header: Version \(version), little endian"
    }

    static func domainHeader(_ domain: Libxc.DomainType, xenMajor: UInt32, xenMinor: UInt32) -> String {
        xenMajor == 0
            ? "Domain Header: legacy converted \(domain.name)"
            : "Domain Header: \(domain.name) from Xen \(xenMajor).\(xenMinor)"
    }

    static func squashed(_ count: Int) -> String { "Squashed \(count) Page Data records together" }
    static func libxcRecord(_ name: String, length: UInt32) -> String { "Libxc Record: \(name), length \(length)" }

    static func pvInfo(guestWidth: UInt8, levels: UInt8) -> String {
        "  \(guestWidth == 4 ? 32 : 64)bit guest, \(levels) levels of pagetables"
    }

    static func p2mFrames(start: UInt32, end: UInt32) -> String { "  Start pfn 0x\(hex(start)), End 0x\(hex(end))" }
    static func emptyVCPU(_ name: String) -> String { "Warning: X86_PV_VCPU_\(name) record with zero content" }
    static func vcpu(_ vcpu: UInt32, _ name: String, bytes: UInt32) -> String {
        "  vcpu\(vcpu) \(name) context, \(bytes) bytes"
    }

    static func tscInfo(mode: UInt32, khz: UInt32, nsec: UInt64, incarnation: UInt32) -> String {
        "  Mode \(mode), \(khz) kHz, \(nsec) ns, incarnation \(incarnation)"
    }

    static let emptyHVMParams = "Warning: HVM_PARAMS record with zero content"

    static func libxlHeader(legacyConverted: Bool) -> String {
        legacyConverted ? "Libxl Header: little endian, legacy converted" : "Libxl Header: little endian"
    }

    static func libxlRecord(_ name: String, length: UInt32) -> String { "Libxl Record: \(name), length \(length)" }
    static func xenstorePair(_ key: [UInt8], _ value: [UInt8]) -> String {
        "  '\(String(decoding: key, as: UTF8.self))' = '\(String(decoding: value, as: UTF8.self))'"
    }

    static func emulatorContext(index: UInt32, _ emulator: Libxl.EmulatorID) -> String {
        "  Index \(index), type \(emulator.name)"
    }

    static func emulatorXenstoreData(index: UInt32, _ emulator: Libxl.EmulatorID) -> String {
        "Emulator Xenstore Data (\(emulator.name), idx \(index))"
    }

    static let processedXLHeader = "Processed xl header"
}
