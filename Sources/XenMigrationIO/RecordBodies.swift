import XenMigrationFormat

/// The small record bodies whose fields a reader checks and a writer fills:
/// each read and written side by side (as `StreamHeaders.swift` does for
/// the fixed headers), so that both directions share one layout.

/// `uint32; uint32;`: the two fields that begin PAGE_DATA (count,
/// reserved), X86_PV_P2M_FRAMES (start pfn, end pfn), the PV vcpu records
/// (vcpu id, reserved), HVM_PARAMS (count, reserved) and the libxl emulator
/// records (emulator id, index).
package struct WordPair: Sendable, Equatable {
    package var first: UInt32
    package var second: UInt32

    package init(_ first: UInt32, _ second: UInt32) {
        self.first = first
        self.second = second
    }

    package static func read(from body: RecordBodyReader) throws(StreamError) -> WordPair {
        let first = try body.u32()
        return WordPair(first, try body.u32())
    }

    package func write(to output: StreamWriter) throws(StreamError) {
        try output.u32(first)
        try output.u32(second)
    }

    /// The two fields, for destructuring.
    package var pair: (UInt32, UInt32) { (first, second) }

    package var bytes: [UInt8] {
        var out = RecordBody()
        out.u32(first)
        out.u32(second)
        return out.bytes
    }
}

extension Libxc {
    /// X86_PV_INFO: `uint8 guest_width; uint8 pt_levels; uint16 res1; uint32 res2`.
    package struct PVInfo: Sendable, Equatable {
        package static let length: UInt32 = 8
        package var guestWidth: UInt8
        package var levels: UInt8
        package var reserved1: UInt16 = 0
        package var reserved2: UInt32 = 0

        package init(guestWidth: UInt8, levels: UInt8) {
            self.guestWidth = guestWidth
            self.levels = levels
        }

        package static func read(from body: RecordBodyReader) throws(StreamError) -> PVInfo {
            var info = PVInfo(guestWidth: try body.u8(), levels: try body.u8())
            info.reserved1 = try body.u16()
            info.reserved2 = try body.u32()
            return info
        }

        package var bytes: [UInt8] {
            var out = RecordBody()
            out.u8(guestWidth)
            out.u8(levels)
            out.u16(reserved1)
            out.u32(reserved2)
            return out.bytes
        }
    }

    /// X86_TSC_INFO: `uint32 mode; uint32 khz; uint64 nsec; uint32
    /// incarnation; uint32 reserved`.
    package struct TSCInfo: Sendable, Equatable {
        package static let length: UInt32 = 24
        package var mode: UInt32
        package var khz: UInt32
        package var nsec: UInt64
        package var incarnation: UInt32
        package var reserved: UInt32 = 0

        package init(mode: UInt32, khz: UInt32, nsec: UInt64, incarnation: UInt32) {
            self.mode = mode
            self.khz = khz
            self.nsec = nsec
            self.incarnation = incarnation
        }

        package static func read(from body: RecordBodyReader) throws(StreamError) -> TSCInfo {
            var info = TSCInfo(
                mode: try body.u32(), khz: try body.u32(), nsec: try body.u64(), incarnation: try body.u32())
            info.reserved = try body.u32()
            return info
        }

        package var bytes: [UInt8] {
            var out = RecordBody()
            out.u32(mode)
            out.u32(khz)
            out.u64(nsec)
            out.u32(incarnation)
            out.u32(reserved)
            return out.bytes
        }
    }

    /// HVM_PARAMS: `uint32 count; uint32 reserved;` then `count` pairs of
    /// `uint64 index; uint64 value`. Read as its header; the pairs follow.
    package enum HVMParams {
        package static func bytes(_ params: [(index: UInt64, value: UInt64)]) -> [UInt8] {
            var out = RecordBody()
            out.u32(UInt32(truncatingIfNeeded: params.count))
            out.u32(0)
            for (index, value) in params {
                out.u64(index)
                out.u64(value)
            }
            return out.bytes
        }
    }
}
