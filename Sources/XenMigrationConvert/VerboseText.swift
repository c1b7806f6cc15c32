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

    static func hvmParam(_ label: String, _ value: UInt64, decimal: Bool) -> String {
        "  \(label): " + (decimal ? "\(value)" : "0x\(hex(value))")
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

    /// The value as Xen's converter prints it: its bytes, raw (see `VerboseLine`).
    static func xenstorePair(_ key: String, _ value: [UInt8]) -> String {
        "    '\(key)' = '" + VerboseLine.carrying(value) + "'"
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
