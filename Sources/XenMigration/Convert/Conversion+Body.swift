/// The image body: page batches and chunks, up to the end marker.
extension Conversion {
    func convertBody() throws(StreamError) {
        while true {
            let (marker, offset) = try legacy.bodyMarker()
            switch marker {
            case .pageBatch(let count):
                try convertPageBatch(count: count, at: offset)
            case .chunk(let chunk):
                info(VerboseText.chunk(chunk.rawValue, chunk))
                if try convertChunk(chunk, at: offset) { return }
            case .unknown(let raw):
                info(VerboseText.chunk(raw, nil))
                throw malformed("Unrecognised chunk \(raw)", at: offset)
            }
        }
    }

    private func convertPageBatch(count: Int, at markerOffset: UInt64) throws(StreamError) {
        batch.removeAll(keepingCapacity: true)
        for _ in 0..<count {
            let entry = try legacy.batchEntry()
            if entry == Legacy.xtabPadding {
                droppedEntries += 1
                continue
            }
            batch.append(entry)
        }
        // Duplicates are compared on the whole native value, as written.
        if batch.count > 1 {
            sortedBatch.removeAll(keepingCapacity: true)
            sortedBatch.append(contentsOf: batch)
            sortedBatch.sort()
            for i in 1..<sortedBatch.count where sortedBatch[i] == sortedBatch[i - 1] {
                throw malformed("Duplicate pfns in batch (pfn entry 0x\(hex(sortedBatch[i])))", at: markerOffset)
            }
        }
        var pages: UInt64 = 0
        for (i, entry) in batch.enumerated() {
            let type = entry & Legacy.pfnTypeMask
            if type < Legacy.firstDatalessType { pages += 1 }
            pageTypeCounts[Int((entry >> 28) & 0xf)] += 1
            // Type moves from bits 28-31 to 60-63; the pfn keeps bits 0-27.
            batch[i] = (type << 32) | (entry & Legacy.pfnMask)
        }
        report.pageBatches += 1
        legacy.expectPages(pages)
        let transfer = self.transfer
        try libxc.pageData(entries: batch, pages: pages) { (_) throws(StreamError) in
            try transfer.copy(pages * UInt64(Legacy.pageSize), "page data")
        }
        pagesConverted += pages
        progress?(input.offset, pagesConverted)
    }

    /// Handles one chunk; true at the end of the body.
    private func convertChunk(_ chunk: Legacy.Chunk, at offset: UInt64) throws(StreamError) -> Bool {
        switch chunk {
        case .end:
            info(VerboseText.end)
            if !hvmParams.isEmpty {
                guard !isPV else { throw malformed("HVM-only param in PV stream", at: offset) }
                try writeHVMParams(hvmParams)
            }
            return true
        case .hvmIdentPT, .hvmVM86TSS, .hvmConsolePFN, .hvmACPIIOPortsLocation, .hvmViridian,
            .hvmGenerationIDAddr, .hvmPagingRingPFN, .hvmMonitorRingPFN, .hvmSharingRingPFN, .hvmIOReqServerPFN,
            .hvmNrIOReqServerPages:
            try collectHVMParam(chunk, at: offset)
        case .enableVerifyMode:
            report.debugStream = true
            info(VerboseText.debugStream)
        case .vcpuInfo:
            let limit = options.limits.onlineVCPUs
            let maxID = try legacy.vcpuInfo(at: offset) { (vcpu) throws(StreamError) in
                guard onlineVCPUs.count < limit else {
                    throw malformed("More than \(limit) online vcpus listed", at: offset)
                }
                onlineVCPUs.append(vcpu)
            }
            info(VerboseText.vcpuInfo(maxID: maxID, online: onlineVCPUs))
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
            try transfer.discard(UInt64(size), "compressed data")
            info(VerboseText.compressedData(size: size))
            throw StreamError(.unsupported, "compressed_data chunk: Remus compression is not supported", offset: offset)
        case .enableCompression:
            throw StreamError(
                .unsupported, "enable_compression chunk: Remus compression is not supported", offset: offset)
        case .toolstack:
            try convertToolstack(at: offset)
        }
        return false
    }

    private func collectHVMParam(_ chunk: Legacy.Chunk, at offset: UInt64) throws(StreamError) {
        guard let param = chunk.hvmParam else { return }
        let value = try legacy.hvmParamValue(chunk)
        info(VerboseText.hvmParam(param.label, value, decimal: param.decimal))
        guard hvmParams.count < options.limits.hvmParams else {
            throw malformed("More than \(options.limits.hvmParams) HVM params in the body", at: offset)
        }
        hvmParams.append((param.index, value))
    }

    func writeHVMParams(_ params: [(index: UInt64, value: UInt64)]) throws(StreamError) {
        try libxc.hvmParams(params)
        for (index, value) in params { report.hvmParams.append(.init(index: index, value: value)) }
    }

    /// libxl output keeps libxl's physmap as xenstore data; libxc output
    /// has nowhere to put it.
    private func convertToolstack(at offset: UInt64) throws(StreamError) {
        let size = try legacy.chunkSize("toolstack size")
        guard size > 0 else { return }
        guard isLibxl else {
            try transfer.discard(UInt64(size), "toolstack data")
            info(VerboseText.toolstackData(size: size))
            info(VerboseText.discarding)
            return
        }
        let limit = options.limits.toolstackChunkBytes
        guard size <= limit else {
            throw malformed("Toolstack chunk of \(size) bytes exceeds the \(limit)-byte limit", at: offset)
        }
        let dataOffset = input.offset
        let data = try input.readBytes(Int(size), "toolstack data")
        info(VerboseText.toolstackData(size: size))
        var toolstack = try LibxlToolstack(data, at: dataOffset, width: width)
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
