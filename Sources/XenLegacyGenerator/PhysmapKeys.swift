import XenMigration

/// libxl's EMULATOR_XENSTORE_DATA (`key\0value\0...`, keys
/// `physmap/<phys_offset>/start_addr|size|name`, numbers in hex) read back
/// into the physmap entries legacy libxl saved in its toolstack chunk.
struct PhysmapKeys {
    struct Entry {
        var physOffset: UInt64
        var startAddress: UInt64?
        var size: UInt64?
        var name: [UInt8]?
    }
    private(set) var entries: [Entry] = []
    /// Values written in another form than the converter writes them back.
    private(set) var notes: [String] = []

    init(_ data: [UInt8], at offset: UInt64) throws(StreamError) {
        func refuse(_ message: String) -> StreamError {
            StreamError(.unsupported, "Cannot represent in a legacy image: \(message)", offset: offset)
        }
        guard !data.isEmpty else { return }
        guard data.last == 0 else { throw refuse("EMULATOR_XENSTORE_DATA not NUL terminated") }
        let parts = data.dropLast().split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count % 2 == 0 else { throw refuse("EMULATOR_XENSTORE_DATA with a key and no value") }
        var i = 0
        while i + 1 < parts.count {
            let key = Array(parts[i])
            let value = Array(parts[i + 1])
            i += 2
            let pieces = key.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            guard pieces.count == 3, Array(pieces[0]) == Array("physmap".utf8),
                let phys = PhysmapKeys.number(Array(pieces[1]))
            else { throw refuse("xenstore key '\(escapedASCII(key))' (legacy libxl kept only physmap keys)") }
            if hex(phys) != String(decoding: pieces[1], as: UTF8.self) && notes.count < 8 {
                notes.append("physmap key '\(escapedASCII(key))' comes back as \(hex(phys))")
            }
            let slot: Int
            if let found = entries.firstIndex(where: { $0.physOffset == phys }) {
                slot = found
            } else {
                entries.append(Entry(physOffset: phys))
                slot = entries.count - 1
            }
            switch String(decoding: pieces[2], as: UTF8.self) {
            case "start_addr" where entries[slot].startAddress == nil:
                guard let n = PhysmapKeys.number(value) else {
                    throw refuse("physmap start_addr '\(escapedASCII(value))'")
                }
                entries[slot].startAddress = n
            case "size" where entries[slot].size == nil:
                guard let n = PhysmapKeys.number(value) else { throw refuse("physmap size '\(escapedASCII(value))'") }
                entries[slot].size = n
            case "name" where entries[slot].name == nil:
                entries[slot].name = value
            default:
                throw refuse("xenstore key '\(escapedASCII(key))' (twice, or not start_addr, size or name)")
            }
        }
        for entry in entries where entry.startAddress == nil || entry.size == nil || entry.name == nil {
            throw refuse("physmap entry \(hex(entry.physOffset)) without start_addr, size and name")
        }
    }

    /// Hexadecimal as qemu writes it (`%"PRIx64`), up to 16 digits.
    static func number(_ text: [UInt8]) -> UInt64? {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        var n: UInt64 = 0
        for c in text {
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            n = n << 4 | UInt64(digit)
        }
        return n
    }

    /// The legacy toolstack chunk: `uint32 version (1); uint32 count;`
    /// then each entry, with the 4 bytes of struct padding a 64-bit libxl
    /// left after each name (zeros here).
    func toolstackChunk(width: ToolstackWidth) -> [UInt8] {
        var body = RecordBody()
        body.u32(1)
        body.u32(UInt32(truncatingIfNeeded: entries.count))
        for entry in entries {
            body.u64(entry.physOffset)
            body.u64(entry.startAddress ?? 0)
            body.u64(entry.size ?? 0)
            let name = entry.name ?? []
            body.u32(UInt32(truncatingIfNeeded: name.count + 1))
            body.append(name)
            body.u8(0)
            if width == .bits64 { body.u32(0) }
        }
        return body.bytes
    }
}
