/// The toolstack blob a legacy libxl (Xen 4.5 and older) saved in its
/// `toolstack` chunk: `uint32 version (1); uint32 count;` then `count`
/// physmap entries. Decoded entry by entry so that what precedes a bad
/// entry is still reported.
package struct LibxlToolstack {
    package struct PhysmapEntry: Sendable, Equatable {
        package var physOffset: UInt64
        package var startAddress: UInt64
        package var size: UInt64
        /// Without its terminating NUL.
        package var name: ArraySlice<UInt8>
        /// Input offset of the entry.
        package var offset: UInt64
    }

    package let version: UInt32
    package let count: UInt32
    private var cursor: ByteCursor
    private let base: UInt64
    /// 64-bit toolstacks leaked 4 bytes of struct padding after each name.
    private let leakedPadding: Int

    /// Reads the blob's header. `base` is the blob's input offset, for errors.
    package init(_ data: [UInt8], at base: UInt64, width: ToolstackWidth) throws(StreamError) {
        cursor = ByteCursor(data)
        self.base = base
        leakedPadding = width == .bits64 ? 4 : 0
        guard let version = cursor.read(UInt32.self), let count = cursor.read(UInt32.self) else {
            throw StreamError(.malformed, "Overly short libxl toolstack data", offset: base)
        }
        guard version == 1 else {
            throw StreamError(.malformed, "Cannot decode libxl toolstack version \(version)", offset: base)
        }
        self.version = version
        self.count = count
    }

    /// The next of `count` entries.
    package mutating func nextEntry() throws(StreamError) -> PhysmapEntry {
        let entryOffset = base &+ UInt64(cursor.position)
        func malformed(_ message: String) -> StreamError {
            StreamError(.malformed, message, offset: entryOffset)
        }
        guard cursor.remaining >= 28, let phys = cursor.read(UInt64.self), let start = cursor.read(UInt64.self),
            let size = cursor.read(UInt64.self), let nameLength = cursor.read(UInt32.self)
        else { throw malformed("Remaining data too short for physmap header") }
        guard nameLength > 0 else { throw malformed("No physmap info name") }
        guard UInt64(cursor.remaining) >= UInt64(nameLength) + UInt64(leakedPadding),
            let name = cursor.read(count: Int(nameLength)), cursor.read(count: leakedPadding) != nil
        else { throw malformed("Remaining data too short for physmap name") }
        guard name.last == 0 else { throw malformed("physmap name not NUL terminated") }
        return PhysmapEntry(
            physOffset: phys, startAddress: start, size: size, name: name.dropLast(), offset: entryOffset)
    }
}

extension LibxlToolstack.PhysmapEntry {
    /// The xenstore keys and values libxl keeps for this entry, in order.
    package var xenstorePairs: [(key: String, value: [UInt8])] {
        let root = "physmap/\(hex(physOffset))"
        return [
            (root + "/start_addr", Array(hex(startAddress).utf8)),
            (root + "/size", Array(hex(size).utf8)),
            (root + "/name", Array(name)),
        ]
    }
}
