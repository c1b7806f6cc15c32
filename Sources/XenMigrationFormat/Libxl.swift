/// The libxl migration stream, version 2
/// (docs/specs/libxl-migration-stream.pandoc).
public enum Libxl {
    package static let ident: UInt64 = 0x4c69_6278_6c46_6d74  // "LibxlFmt"
    package static let version: UInt32 = 2
    package static let optionBigEndian: UInt32 = 1
    /// Header option bit 1: the stream was converted from a legacy one.
    package static let optionLegacy: UInt32 = 2
    package static let optionReservedMask: UInt32 = 0xfffc

    public enum RecordType: UInt32, Sendable, CaseIterable {
        case end = 0
        case libxcContext = 1
        case emulatorXenstoreData = 2
        case emulatorContext = 3
        case checkpointEnd = 4
        case checkpointState = 5

        package var name: String {
            switch self {
            case .end: "End"
            case .libxcContext: "Libxc context"
            case .emulatorXenstoreData: "Emulator xenstore data"
            case .emulatorContext: "Emulator context"
            case .checkpointEnd: "Checkpoint end"
            case .checkpointState: "Checkpoint state"
            }
        }

        package var specName: String {
            switch self {
            case .end: "END"
            case .libxcContext: "LIBXC_CONTEXT"
            case .emulatorXenstoreData: "EMULATOR_XENSTORE_DATA"
            case .emulatorContext: "EMULATOR_CONTEXT"
            case .checkpointEnd: "CHECKPOINT_END"
            case .checkpointState: "CHECKPOINT_STATE"
            }
        }
    }

    package enum EmulatorID: UInt32, Sendable {
        case unknown = 0
        case qemuTraditional = 1
        case qemuUpstream = 2

        package var name: String {
            switch self {
            case .unknown: "Unknown"
            case .qemuTraditional: "Qemu Traditional"
            case .qemuUpstream: "Qemu Upstream"
            }
        }
    }

    /// `uint32 emulator_id; uint32 index` before emulator record data.
    package static let emulatorHeaderSize = 8
}
