import XenMigrationFormat
import XenMigrationIO

/// The lines `convert-legacy-stream -v` prints, worded as Xen's converter
/// words them (tools that parse its output keep working). All in one place
/// so that the wording is never changed by accident.
enum VerboseText {
    static func detectedXLHeader(_ present: Bool) -> String {
        "Detected: " + (present ? "xl header" : "no xl header")
    }

    static func detected(width: ToolstackWidth, guest: GuestType) -> String {
        "Detected: \(width.rawValue)-bit toolstack, \(guest == .pv ? "PV" : "HVM") guest"
    }

    static let processedXLHeader = "Processed xl header"
    // Ours (Xen's converter does not read xend images).
    static func xendImage(configBytes: UInt64) -> String {
        "Detected: xend image (xm save), domain config of \(configBytes) bytes"
    }
    static func xendUntranslated(_ note: String) -> String { "  Not translated: \(note)" }
    static func p2mSize(_ size: UInt64) -> String { "P2M Size: 0x\(hex(size))" }
    static func extendedInfo(length: UInt32) -> String { "Extended Info: length 0x\(hex(length))" }

    static func extendedBlock(_ block: Legacy.ExtendedBlock) -> String {
        "  Record type: \(block.name), size 0x\(hex(block.size))"
    }

    static func guestWidth(wordBytes: Int) -> String {
        wordBytes == 8 ? "    64bit domain, 4 levels" : "    32bit domain, 3 levels"
    }

    static func xsaveLength(_ length: UInt32) -> String { "xcnt sz 0x\(hex(length))" }

    static func p2mFrames(framesPerPage: UInt64, frameCount: UInt64) -> String {
        "P2M frames: fpp \(framesPerPage), p2m_frame_len \(frameCount)"
    }

    static func chunk(_ marker: Int32, _ chunk: Legacy.Chunk?) -> String {
        "Chunk: \(marker) - \(chunk?.name ?? "unknown")"
    }

    /// A chunk that carries one HVM param, labelled as Xen's converter
    /// labels it (the count of IOREQ server pages in decimal).
    static func hvmParam(_ chunk: Legacy.Chunk, _ value: UInt64) -> String {
        let hexValue = "0x\(hex(value))"
        return switch chunk {
        case .hvmIdentPT: "  EPT Identity Pagetable: \(hexValue)"
        case .hvmVM86TSS: "  VM86 TSS: \(hexValue)"
        case .hvmConsolePFN: "  Console pfn: \(hexValue)"
        case .hvmACPIIOPortsLocation: "  ACPI ioport location: \(hexValue)"
        case .hvmViridian: "  Viridian location: \(hexValue)"
        case .hvmGenerationIDAddr: "  Generation ID Address: \(hexValue)"
        case .hvmPagingRingPFN: "  Paging ring pfn: \(hexValue)"
        case .hvmMonitorRingPFN: "  Monitor ring pfn: \(hexValue)"
        case .hvmSharingRingPFN: "  Sharing ring pfn: \(hexValue)"
        case .hvmIOReqServerPFN: "  IOREQ server pfn: \(hexValue)"
        case .hvmNrIOReqServerPages: "  IOREQ server pages: \(value)"
        default: "  \(chunk.name): \(hexValue)"  // not an HVM param chunk: never asked
        }
    }

    static let end = "  End"
    static let debugStream = "This is a debug stream"

    static func vcpuInfo(maxID: Int32, online: [Int]) -> String {
        "  Vcpu info: max_id \(maxID), online map [\(online.map(String.init).joined(separator: ", "))]"
    }

    static func tscInfo(_ t: Legacy.TSCInfo) -> String {
        "  TSC_INFO: mode \(t.mode), \(t.nsec) ns, \(t.khz) khz, \(t.incarnation) incarn"
    }

    static let lastCheckpoint = "  Last Checkpoint"
    static func compressedData(size: UInt32) -> String { "  Compressed Data: sz 0x\(hex(size))" }
    static func toolstackData(size: UInt32) -> String { "  Toolstack Data: sz 0x\(hex(size))" }
    static let discarding = "    Discarding"
    static func toolstackHeader(version: UInt32, count: UInt32) -> String { "    Version \(version), count \(count)" }

    /// The value as Xen's converter prints it: its bytes, raw.
    static func xenstorePair(_ key: String, _ value: [UInt8]) -> VerboseLine {
        VerboseLine(bytes: Array("    '\(key)' = '".utf8) + value + Array("'".utf8))
    }

    static func unmappedPFNs(_ count: UInt32) -> String { "discarding \(count) bogus 'unmapped pfns'" }
    static func vcpuBasic(size: UInt32) -> String { "Got VCPU basic (size 0x\(hex(size)))" }
    static func vcpuExtended(size: Int) -> String { "Got VCPU extd (size 0x\(hex(size)))" }
    static func vcpuXsave(mask: UInt64, size: UInt64) -> String {
        "Got VCPU xsave (mask 0x\(hex(mask)), size 0x\(hex(size)))"
    }
    static let sharedInfo = "Got shinfo"

    static func magicPFNs(_ tail: Legacy.HVMTail) -> String {
        "Magic pfns: 0x\(hex(tail.ioreqPFN)) 0x\(hex(tail.bufioreqPFN)) 0x\(hex(tail.storePFN))"
    }

    static func hvmContext(size: UInt32) -> String { "Got HVM Context (0x\(hex(size)) bytes)" }
    static func qemuSignature(_ name: String) -> String { "Qemu signature: \(name)" }
}
