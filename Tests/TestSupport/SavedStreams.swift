import XenLegacyGenerator
import XenMigration

/// Saved v2/v3 streams for the `--from-saved` tests: made by the converter
/// from generated legacy images, or laid out by hand as Xen 4.17 saves.
package enum SavedStreams {
    /// The converter's output for `image` (width and guest detected, as
    /// for an image of unknown origin).
    package static func converted(_ image: [UInt8], xl: Bool, format: OutputFormat, version: Libxc.StreamVersion) throws
        -> [UInt8]
    {
        let sink = MemorySink()
        let options = ConversionOptions(
            width: nil, guest: nil, format: format, streamVersion: version, xlHeader: xl)
        _ = try LegacyConverter(options: options, reader: StreamReader(MemorySource(image)), writer: StreamWriter(sink))
            .run()
        return sink.bytes
    }

    /// One record of a saved stream: its layer ("libxc" or "libxl"), type
    /// and body (without padding).
    package struct Record: Equatable, CustomStringConvertible {
        package var layer: String
        package var type: UInt32
        package var body: [UInt8]
        package var description: String { "\(layer) 0x\(String(type, radix: 16)) (\(body.count) bytes)" }
    }

    /// The records of a saved stream in memory (after any xl header), with
    /// what precedes the first record of each layer kept as a pseudo-record
    /// of type ~0 (the headers). Trusts its input: tests' own streams.
    package static func records(_ bytes: [UInt8]) -> [Record] {
        var cursor = ByteCursor(bytes)
        var out: [Record] = []
        if bytes.starts(with: XL.magic) {
            _ = cursor.read(count: 44)
            let optional = Int(cursor.read(UInt32.self) ?? 0)
            out.append(Record(layer: "xl", type: ~0, body: Array(bytes[0..<(48 + optional)])))
            _ = cursor.read(count: optional)
        }
        func libxc() {
            out.append(Record(layer: "libxc", type: ~0, body: Array(cursor.read(count: 40) ?? [])))
            while let type = cursor.read(UInt32.self), let length = cursor.read(UInt32.self) {
                out.append(Record(layer: "libxc", type: type, body: Array(cursor.read(count: Int(length)) ?? [])))
                _ = cursor.read(count: Libxc.padding(for: UInt64(length)))
                if type == 0 { return }
            }
        }
        let position = cursor.position
        if bytes.count >= position + 8,
            bytes[position..<(position + 8)].elementsEqual([0x4c, 0x69, 0x62, 0x78, 0x6c, 0x46, 0x6d, 0x74])
        {
            out.append(Record(layer: "libxl", type: ~0, body: Array(cursor.read(count: 16) ?? [])))
            while let type = cursor.read(UInt32.self), let length = cursor.read(UInt32.self) {
                out.append(Record(layer: "libxl", type: type, body: Array(cursor.read(count: Int(length)) ?? [])))
                _ = cursor.read(count: Libxc.padding(for: UInt64(length)))
                if type == 1 { libxc() }
                if type == 0 { break }
            }
        } else {
            libxc()
        }
        if cursor.remaining > 0 {
            out.append(Record(layer: "after", type: ~0, body: Array(cursor.read(count: cursor.remaining) ?? [])))
        }
        return out
    }

    /// A stream laid out as Xen 4.17's `xl save` writes it: xl header
    /// (JSON, STREAMv2), libxl header, LIBXC_CONTEXT, a v3 libxc stream with
    /// the CPU policy records and STATIC_DATA_END, pages, then PV: TSC
    /// info, shared info, per vcpu basic, 64-byte extended, xsave and MSRs;
    /// HVM: TSC info, HVM context, HVM params, then libxl's physmap keys
    /// and qemu-xen's state. `edit` may change records before they are framed.
    package static func xen417(
        guest: GuestType, vcpus: Int = 2, pages: Int = 20,
        edit: (inout [(type: any CountedRecordType, body: [UInt8])]) -> Void = { _ in }
    ) throws -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func pattern(_ n: Int, _ seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7) &+ seed } }
        var libxc: [(type: any CountedRecordType, body: [UInt8])] = []
        typealias R = Libxc.RecordType
        if guest == .pv { libxc.append((R.x86PVInfo, [8, 4, 0, 0, 0, 0, 0, 0])) }
        libxc.append((R.x86CPUIDPolicy, le32(0) + le32(~0) + pattern(16, 1) + le32(7) + le32(0) + pattern(16, 2)))
        libxc.append((R.x86MSRPolicy, le32(0xce) + le32(0) + le64(0x8000_0000)))
        libxc.append((R.staticDataEnd, []))
        if guest == .pv { libxc.append((R.x86PVP2MFrames, le32(0) + le32(UInt32(pages - 1)) + le64(0x1234))) }
        var pfns: [UInt64] = []
        for i in 0..<pages { pfns.append(UInt64(i) | (guest == .pv && i % 8 == 7 ? 1 << 60 : 0)) }
        for start in stride(from: 0, to: pages, by: 8) {
            let batch = pfns[start..<min(pages, start + 8)]
            var body = le32(UInt32(batch.count)) + le32(0)
            for pfn in batch { body += le64(pfn) }
            for pfn in batch { body += pattern(4096, UInt8(truncatingIfNeeded: pfn)) }
            libxc.append((R.pageData, body))
        }
        libxc.append((R.x86TSCInfo, le32(1) + le32(2_400_000) + le64(987_654_321) + le32(3) + le32(0)))
        if guest == .pv {
            libxc.append((R.sharedInfo, pattern(4096, 9)))
            for id in 0..<vcpus {
                let head = le32(UInt32(id)) + le32(0)
                libxc.append((R.x86PVVCPUBasic, head + pattern(Int(Legacy.vcpuContextSize64), UInt8(id))))
                libxc.append((R.x86PVVCPUExtended, head + le32(UInt32(id)) + le32(64) + pattern(56, 3)))
                libxc.append((R.x86PVVCPUXsave, head + le64(7) + le64(7) + pattern(0x340, 4)))
                libxc.append((R.x86PVVCPUMSRs, head + le32(0xc000_0103) + le32(0) + le64(UInt64(id))))
            }
        } else {
            libxc.append((R.hvmContext, pattern(3000, 5)))
            var params = le32(6) + le32(0)
            for (index, value) in [(1, 0xfeffc), (5, 0xfeffe), (6, 0xfeffd), (17, 0xfefff), (19, 1), (38, 0x1)] {
                params += le64(UInt64(index)) + le64(UInt64(value))
            }
            libxc.append((R.hvmParams, params))
        }
        libxc.append((R.end, []))
        edit(&libxc)

        let sink = MemorySink()
        let writer = StreamWriter(sink)
        let json = Array("{\"c_info\": {\"type\": \"\(guest.rawValue)\", \"name\": \"g417\"}}".utf8) + [0]
        try writer.write(XL.magic)
        for v in [XL.byteOrderMark, XL.mandatoryFlagJSON | XL.mandatoryFlagStreamV2, 0, UInt32(4 + json.count)] {
            try writer.u32(v)
        }
        try writer.u32(UInt32(json.count))
        try writer.write(json)
        try writer.u64BE(Libxl.ident)
        try writer.u32BE(Libxl.version)
        try writer.u32BE(0)
        // Records from memory only: the writer's input is empty.
        let records = RecordWriter(output: writer, input: StreamReader(MemorySource([])), allowZeroCopy: false)
        try records.write(Libxl.RecordType.libxcContext)
        try writer.write(Libxc.ImageHeader(version: .v3).bytes)
        try writer.u32(guest == .pv ? 1 : 2)
        try writer.u16(12)
        try writer.u16(0)
        try writer.u32(4)
        try writer.u32(17)
        for (type, body) in libxc { try records.write(type, body) }
        if guest == .hvm {
            var keys: [UInt8] = []
            for (k, v) in [
                ("physmap/f0000000/start_addr", "f0000000"), ("physmap/f0000000/size", "800000"),
                ("physmap/f0000000/name", "vga.vram"),
            ] {
                keys += Array(k.utf8) + [0] + Array(v.utf8) + [0]
            }
            try records.write(Libxl.RecordType.emulatorXenstoreData, le32(2) + le32(0) + keys)
            try records.write(Libxl.RecordType.emulatorContext, le32(2) + le32(0) + pattern(5000, 6))
        }
        try records.write(Libxl.RecordType.end)
        try writer.flush()
        return sink.bytes
    }
}
