import XenMigration

/// What follows a PV body. The per-vcpu contexts (one set for every online
/// vcpu listed by vcpu_info chunks, in order) are made from `contextSeed`.
package struct PVTail: Sendable, Equatable {
    /// The "unmapped pfns" list (a converter discards it).
    package var unmappedPFNs: [UInt64]
    package var contextSeed: UInt64
    /// The xsave feature mask written before each vcpu's xsave data.
    package var xsaveMask: UInt64
    package var sharedInfoSeed: UInt64

    package init(
        unmappedPFNs: [UInt64] = [], contextSeed: UInt64 = 1, xsaveMask: UInt64 = 7, sharedInfoSeed: UInt64 = 2
    ) {
        self.unmappedPFNs = unmappedPFNs
        self.contextSeed = contextSeed
        self.xsaveMask = xsaveMask
        self.sharedInfoSeed = sharedInfoSeed
    }

    /// Seed of context `kind` (0 basic, 1 extended, 2 xsave) of the
    /// `ordinal`th online vcpu.
    func seed(_ ordinal: Int, _ kind: UInt64) -> UInt64 {
        SplitMix64.derive(contextSeed, UInt64(ordinal) &* 4 &+ kind)
    }
}

/// What follows an HVM body: the magic pfns and the HVM context blob.
package struct HVMTail: Sendable, Equatable {
    package var ioreqPFN: UInt64
    package var bufioreqPFN: UInt64
    package var storePFN: UInt64
    package var context: Blob

    package init(
        ioreqPFN: UInt64 = 0xfeffe, bufioreqPFN: UInt64 = 0xfeffd, storePFN: UInt64 = 0xfeffc,
        context: Blob = .random(count: 1024, seed: 3)
    ) {
        self.ioreqPFN = ioreqPFN
        self.bufioreqPFN = bufioreqPFN
        self.storePFN = storePFN
        self.context = context
    }
}

/// The device model record an HVM image ends with.
package struct DeviceModel: Sendable, Equatable {
    /// 21 bytes.
    package var signature: [UInt8]
    package var data: Blob

    package init(signature: [UInt8], data: Blob) {
        self.signature = signature
        self.data = data
    }

    package static let record0002 = Array("DeviceModelRecord0002".utf8)
    package static let remus = Array("RemusDeviceModelState".utf8)
    package static let qemu = Array("QemuDeviceModelRecord".utf8)

    /// `signature; uint32 length; data` (also any unknown signature).
    package var isLengthPrefixed: Bool { signature != DeviceModel.qemu }
}

/// libxl's toolstack chunk contents.
package enum Toolstack {
    package struct PhysmapEntry: Sendable, Equatable {
        package var physOffset: UInt64
        package var startAddr: UInt64
        package var size: UInt64
        /// Without the terminating NUL.
        package var name: [UInt8]

        package init(physOffset: UInt64, startAddr: UInt64, size: UInt64, name: [UInt8]) {
            self.physOffset = physOffset
            self.startAddr = startAddr
            self.size = size
            self.name = name
        }
    }

    /// `uint32 version; uint32 count;` then each entry
    /// `{u64 phys_offset, start_addr, size; u32 namelen; name\0}` with the
    /// 4 leaked padding bytes (`leak`) after each name on 64-bit toolstacks.
    package static func physmap(
        _ entries: [PhysmapEntry], width: ToolstackWidth, version: UInt32 = 1,
        count: UInt32? = nil, leak: [UInt8] = [0xde, 0xad, 0xbe, 0xef],
        trailing: [UInt8] = []
    ) -> [UInt8] {
        var out = le32(version) + le32(count ?? UInt32(entries.count))
        for entry in entries {
            out += le64(entry.physOffset) + le64(entry.startAddr) + le64(entry.size)
            out += le32(UInt32(entry.name.count + 1)) + entry.name + [0]
            if width == .bits64 { out += Array((leak + [0, 0, 0, 0]).prefix(4)) }
        }
        return out + trailing
    }
}

func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
