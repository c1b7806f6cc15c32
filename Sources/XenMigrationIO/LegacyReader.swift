import XenMigrationFormat

/// Reads the pieces of a legacy image (docs/specs/libxc-migration-stream
/// "Legacy Images") in the order they come: header, body, tail, device
/// model record. It parses and bounds what it reads; deciding what to
/// write is the converter's job.
///
/// Where the format tells how many bytes certainly follow, the reader says
/// so (`expect`), so that a reader that must read exactly can still fetch
/// a page batch in one call. What the converter drops it drops here too,
/// through a `Transfer` of its own that only discards.
package struct LegacyReader {
    let input: StreamReader
    package let width: ToolstackWidth
    private let discarder: Transfer

    package init(input: StreamReader, width: ToolstackWidth, allowZeroCopy: Bool) {
        self.input = input
        self.width = width
        discarder = Transfer(discardingFrom: input, allowZeroCopy: allowZeroCopy)
    }

    private func malformed(_ message: String, at offset: UInt64) -> StreamError {
        StreamError(.malformed, message, offset: offset)
    }

    package var offset: UInt64 { input.offset }

    /// Drops `count` bytes the output does not carry.
    package func skip(_ count: UInt64, _ what: String) throws(StreamError) {
        try discarder.discard(count, what)
    }

    // MARK: header

    package func p2mSize() throws(StreamError) -> UInt64 {
        try input.readULong(width: width, "p2m_size")
    }

    /// The extended-info marker and total length (PV images).
    package func extendedInfoLength() throws(StreamError) -> UInt32 {
        let markerOffset = input.offset
        let marker = try input.readULong(width: width, "extended info marker")
        guard marker == width.allOnes else {
            throw malformed("Unexpected extended info marker 0x\(hex(marker))", at: markerOffset)
        }
        let length = try input.readU32("extended info length")
        input.expect(UInt64(length))
        return length
    }

    package func extendedBlock() throws(StreamError) -> Legacy.ExtendedBlock {
        let offset = input.offset
        let id = try input.readBytes(4, "extended info block id")
        let size = try input.readU32("extended info block size")
        return Legacy.ExtendedBlock(id: id, size: size, offset: offset)
    }

    /// An `xcnt` block's first word: the xsave context length.
    package func xcntLength() throws(StreamError) -> UInt32 { try input.readU32("xcnt block") }

    /// The p2m frame list of `count` entries follows, then the body's first marker.
    package func expectP2MFrames(_ count: UInt64) {
        input.expect(count &* UInt64(width.ulongSize) &+ 4)
    }

    /// The p2m frame list of `count` entries, one at a time.
    package func p2mFrame() throws(StreamError) -> UInt64 {
        try input.readULong(width: width, "p2m frame list")
    }

    // MARK: body

    package func bodyMarker() throws(StreamError) -> (marker: Legacy.BodyMarker, offset: UInt64) {
        let offset = input.offset
        let raw = try input.readI32("chunk marker")
        if raw > 0 {
            guard raw <= Legacy.maxBatch else {
                throw malformed("Page batch (\(raw)) exceeded MAX_BATCH (\(Legacy.maxBatch))", at: offset)
            }
            // The pfn list, then at least the next marker.
            input.expect(UInt64(raw) * UInt64(width.ulongSize) + 4)
            return (.pageBatch(count: Int(raw)), offset)
        }
        guard let chunk = Legacy.Chunk(rawValue: raw) else { return (.unknown(raw), offset) }
        if let size = chunk.fixedPayloadSize {
            // The payload and, unless this ends the body, the next marker.
            input.expect(UInt64(size) + (chunk == .end ? 0 : 4))
        }
        return (.chunk(chunk), offset)
    }

    package func batchEntry() throws(StreamError) -> UInt64 {
        try input.readULong(width: width, "page batch pfn list")
    }

    /// After a batch's pfns: its pages, the next marker, and at least an
    /// `unsigned long` after that marker follow. Whatever the marker, the
    /// stream goes on that far: a batch's first pfn; a chunk's payload, or
    /// for a chunk without one the next marker and what follows it; after
    /// the end marker the tail (three pfns in HVM, a count and at least a
    /// page in PV). So one read from a pipe takes a page and the next
    /// batch's header.
    package func expectPages(_ pages: UInt64) {
        input.expect(pages &* UInt64(Legacy.pageSize) &+ 4 &+ UInt64(width.ulongSize))
    }

    /// The value of a chunk that carries one HVM param.
    package func hvmParamValue(_ chunk: Legacy.Chunk) throws(StreamError) -> UInt64 {
        _ = try input.readU32("\(chunk.name) padding")
        return try input.readU64(chunk.name)
    }

    /// `vcpu_info`: max_id and the online bitmap; calls `online` for each
    /// set bit, in order.
    package func vcpuInfo(at offset: UInt64, online: (Int) throws(StreamError) -> Void) throws(StreamError) -> Int32 {
        let maxID = try input.readI32("vcpu_info max_id")
        guard maxID <= Legacy.maxVCPUID else {
            throw malformed("Vcpu max_id out of range: \(maxID) > \(Legacy.maxVCPUID)", at: offset)
        }
        guard maxID >= 0 else {
            throw malformed("Vcpu max_id out of range: \(maxID) < 0", at: offset)
        }
        let words = Int(maxID) / 64 + 1
        input.expect(UInt64(words) * 8 + 4)
        for index in 0..<words {
            var word = try input.readU64("vcpu_info bitmap")
            var bit = 0
            while word != 0 {
                if word & 1 != 0 { try online(index * 64 + bit) }
                bit += 1
                word >>= 1
            }
        }
        return maxID
    }

    package func tscInfo() throws(StreamError) -> Legacy.TSCInfo {
        Legacy.TSCInfo(
            mode: try input.readU32("tsc_info mode"), nsec: try input.readU64("tsc_info nsec"),
            khz: try input.readU32("tsc_info khz"), incarnation: try input.readU32("tsc_info incarnation"))
    }

    /// A toolstack chunk's data (the caller bounds `size`) and its input offset.
    package func toolstackData(_ size: UInt32) throws(StreamError) -> (data: [UInt8], offset: UInt64) {
        let offset = input.offset
        return (try input.readBytes(Int(size), "toolstack data"), offset)
    }

    /// A `uint32` size in front of a chunk's data; the data and the next
    /// marker follow.
    package func chunkSize(_ what: String) throws(StreamError) -> UInt32 {
        let size = try input.readU32(what)
        input.expect(UInt64(size) + 4)
        return size
    }

    // MARK: tail

    package func unmappedPFNCount() throws(StreamError) -> UInt32 {
        try input.readU32("unmapped pfn count")
    }

    /// An xsave context's header: its feature mask and size.
    package func xsaveHeader() throws(StreamError) -> (mask: UInt64, size: UInt64) {
        (try input.readU64("xsave feature mask"), try input.readU64("xsave size"))
    }

    /// A vcpu context of `size` bytes follows.
    package func expectContext(_ size: UInt32) { input.expect(UInt64(size)) }

    /// The shared info page follows.
    package func expectSharedInfo() { input.expect(UInt64(Legacy.sharedInfoSize)) }

    package func hvmTail() throws(StreamError) -> Legacy.HVMTail {
        input.expect(28)
        let ioreq = try input.readU64("ioreq pfn")
        let bufioreq = try input.readU64("bufioreq pfn")
        let store = try input.readU64("store pfn")
        let size = try input.readU32("HVM context size")
        input.expect(UInt64(size))
        return Legacy.HVMTail(ioreqPFN: ioreq, bufioreqPFN: bufioreq, storePFN: store, contextSize: size)
    }

    // MARK: device model

    package func deviceModelSignature() throws(StreamError) -> [UInt8] {
        try input.readBytes(Legacy.qemuSignatureLength, "device model signature")
    }

    package func deviceModelSize() throws(StreamError) -> UInt32 {
        let size = try input.readU32("device model record size")
        input.expect(UInt64(size))
        return size
    }
}

extension Legacy.Chunk {
    /// Bytes after the marker when they do not depend on the stream.
    var fixedPayloadSize: Int? {
        if hvmParam != nil { return 12 }
        switch self {
        case .end, .enableVerifyMode, .lastCheckpoint, .enableCompression, .tmem, .tmemExtra: return 0
        case .tscInfo: return 20
        case .vcpuInfo, .compressedData, .toolstack: return 4
        default: return nil
        }
    }
}
