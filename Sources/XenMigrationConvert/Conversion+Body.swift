import XenMigrationFormat
import XenMigrationIO

/// What the image body held, gathered as it streams past.
struct BodySummary {
    var onlineVCPUs: [Int] = []
    /// The HVM params the body's chunks gave, written at its end.
    var hvmParams: [(index: UInt64, value: UInt64)] = []
    var xenstoreData: [UInt8] = []
    var pagesConverted: UInt64 = 0
    /// Batch entries by legacy page type nibble.
    var pageTypeCounts = [UInt64](repeating: 0, count: 16)
    var droppedEntries: UInt64 = 0
    var pageBatches: UInt64 = 0
    var debugStream = false
}

/// One batch's pfns, reused so that batches allocate nothing.
private struct BatchScratch {
    var batch: [UInt64] = []
    var sorted: [UInt64] = []
    init() {
        batch.reserveCapacity(Int(Legacy.maxBatch))
        sorted.reserveCapacity(Int(Legacy.maxBatch))
    }
}

/// The image body: page batches and chunks, up to the end marker.
extension Conversion {
    func convertBody(_ image: ImageKind, _ legacy: LegacyReader) throws(StreamError) -> BodySummary {
        var summary = BodySummary()
        var scratch = BatchScratch()
        while true {
            let (marker, offset) = try legacy.bodyMarker()
            switch marker {
            case .pageBatch(let count):
                try convertPageBatch(count: count, at: offset, legacy, &scratch, &summary)
            case .chunk(let chunk):
                info(VerboseText.chunk(chunk.rawValue, chunk))
                if try convertChunk(chunk, at: offset, image, legacy, &summary) { return summary }
            case .unknown(let raw):
                info(VerboseText.chunk(raw, nil))
                throw malformed("Unrecognised chunk \(raw)", at: offset)
            }
        }
    }

    private func convertPageBatch(
        count: Int, at markerOffset: UInt64, _ legacy: LegacyReader, _ scratch: inout BatchScratch,
        _ summary: inout BodySummary
    ) throws(StreamError) {
        scratch.batch.removeAll(keepingCapacity: true)
        for _ in 0..<count {
            let entry = try legacy.batchEntry()
            if entry == Legacy.xtabPadding {
                summary.droppedEntries += 1
                continue
            }
            scratch.batch.append(entry)
        }
        // Duplicates are compared on the whole native value, as written.
        if scratch.batch.count > 1 {
            scratch.sorted.removeAll(keepingCapacity: true)
            scratch.sorted.append(contentsOf: scratch.batch)
            scratch.sorted.sort()
            let sorted = scratch.sorted
            for i in 1..<sorted.count where sorted[i] == sorted[i - 1] {
                throw malformed("Duplicate pfns in batch (pfn entry 0x\(hex(sorted[i])))", at: markerOffset)
            }
        }
        var pages: UInt64 = 0
        for (i, entry) in scratch.batch.enumerated() {
            let type = entry & Legacy.pfnTypeMask
            if type < Legacy.firstDatalessType { pages += 1 }
            summary.pageTypeCounts[Int((entry >> 28) & 0xf)] += 1
            // Type moves from bits 28-31 to 60-63; the pfn keeps bits 0-27.
            scratch.batch[i] = (type << 32) | (entry & Legacy.pfnMask)
        }
        summary.pageBatches += 1
        legacy.expectPages(pages)
        try libxc.pageData(entries: scratch.batch, pages: pages)
        summary.pagesConverted += pages
        progress?(legacy.offset, summary.pagesConverted)
    }

    /// Handles one chunk; true at the end of the body.
    private func convertChunk(
        _ chunk: Legacy.Chunk, at offset: UInt64, _ image: ImageKind, _ legacy: LegacyReader,
        _ summary: inout BodySummary
    ) throws(StreamError) -> Bool {
        switch chunk {
        case .end:
            info(VerboseText.end)
            if !summary.hvmParams.isEmpty {
                guard !image.isPV else { throw malformed("HVM-only param in PV stream", at: offset) }
                try libxc.hvmParams(summary.hvmParams)
            }
            return true
        case .hvmIdentPT, .hvmVM86TSS, .hvmConsolePFN, .hvmACPIIOPortsLocation, .hvmViridian,
            .hvmGenerationIDAddr, .hvmPagingRingPFN, .hvmMonitorRingPFN, .hvmSharingRingPFN, .hvmIOReqServerPFN,
            .hvmNrIOReqServerPages:
            try collectHVMParam(chunk, at: offset, legacy, &summary.hvmParams)
        case .enableVerifyMode:
            summary.debugStream = true
            info(VerboseText.debugStream)
        case .vcpuInfo:
            let limit = options.limits.onlineVCPUs
            let maxID = try legacy.vcpuInfo(at: offset) { (vcpu) throws(StreamError) in
                guard summary.onlineVCPUs.count < limit else {
                    throw malformed("More than \(limit) online vcpus listed", at: offset)
                }
                summary.onlineVCPUs.append(vcpu)
            }
            info(VerboseText.vcpuInfo(maxID: maxID, online: summary.onlineVCPUs))
        case .tmem, .tmemExtra:
            throw StreamError(.unsupported, "\(chunk.name) chunk: tmem is not supported", offset: offset)
        case .tscInfo:
            let tsc = try legacy.tscInfo()
            info(VerboseText.tscInfo(tsc))
            try libxc.x86TSCInfo(tsc)
        case .lastCheckpoint:
            info(VerboseText.lastCheckpoint)
        case .compressedData:
            let size = try legacy.chunkSize("compressed_data size")
            try legacy.skip(UInt64(size), "compressed data")
            info(VerboseText.compressedData(size: size))
            throw StreamError(.unsupported, "compressed_data chunk: Remus compression is not supported", offset: offset)
        case .enableCompression:
            throw StreamError(
                .unsupported, "enable_compression chunk: Remus compression is not supported", offset: offset)
        case .toolstack:
            try convertToolstack(at: offset, image, legacy, &summary.xenstoreData)
        }
        return false
    }

    private func collectHVMParam(
        _ chunk: Legacy.Chunk, at offset: UInt64, _ legacy: LegacyReader,
        _ hvmParams: inout [(index: UInt64, value: UInt64)]
    ) throws(StreamError) {
        guard let index = chunk.hvmParam else { return }
        let value = try legacy.hvmParamValue(chunk)
        info(VerboseText.hvmParam(chunk, value))
        guard hvmParams.count < options.limits.hvmParams else {
            throw malformed("More than \(options.limits.hvmParams) HVM params in the body", at: offset)
        }
        hvmParams.append((index, value))
    }

    /// libxl output keeps libxl's physmap as xenstore data; libxc output
    /// has nowhere to put it.
    private func convertToolstack(
        at offset: UInt64, _ image: ImageKind, _ legacy: LegacyReader, _ xenstoreData: inout [UInt8]
    ) throws(StreamError) {
        let size = try legacy.chunkSize("toolstack size")
        guard size > 0 else { return }
        guard isLibxl else {
            try legacy.skip(UInt64(size), "toolstack data")
            info(VerboseText.toolstackData(size: size))
            info(VerboseText.discarding)
            return
        }
        let limit = options.limits.toolstackChunkBytes
        guard size <= limit else {
            throw malformed("Toolstack chunk of \(size) bytes exceeds the \(limit)-byte limit", at: offset)
        }
        let (data, dataOffset) = try legacy.toolstackData(size)
        info(VerboseText.toolstackData(size: size))
        var toolstack = try LibxlToolstack(data, at: dataOffset, width: image.width)
        info(VerboseText.toolstackHeader(version: toolstack.version, count: toolstack.count))
        for _ in 0..<toolstack.count {
            let entry = try toolstack.nextEntry()
            for (key, value) in entry.xenstorePairs {
                info(VerboseText.xenstorePair(key, value))
                let limit = options.limits.xenstoreDataBytes
                guard xenstoreData.count + key.utf8.count + value.count + 2 <= limit else {
                    throw malformed("Toolstack data exceeds the \(limit)-byte xenstore limit", at: entry.offset)
                }
                xenstoreData.append(contentsOf: key.utf8)
                xenstoreData.append(0)
                xenstoreData.append(contentsOf: value)
                xenstoreData.append(0)
            }
        }
    }
}
