import XenMigration

extension LegacyImage {
    /// The legacy stream, in memory.
    package func legacyBytes() -> [UInt8] {
        let e = Emitter()
        // An in-memory emitter cannot fail.
        try? write(to: e)
        return (try? e.finish()) ?? []
    }

    /// Writes the legacy stream to `sink` in constant memory.
    package func write(to sink: any ByteSink) throws {
        let e = Emitter(sink: sink)
        try write(to: e)
        try e.flush()
    }

    /// Writes the legacy stream as `xl save` and `xc_domain_save()` lay it out.
    package func write(to e: Emitter) throws {
        if let xl = xlHeader {
            try e.bytes(XLHeader.magic)
            try e.u32(xl.byteOrder)
            try e.u32(xl.mandatoryFlags)
            try e.u32(xl.optionalFlags)
            try e.u32(UInt32(truncatingIfNeeded: xl.optionalData.count))
            try e.bytes(xl.optionalData)
        }
        try e.ulong(p2mSize, width: width)
        if guest == .pv {
            try e.ulong(.max, width: width)
            let total = extendedInfo.reduce(0) { $0 + 8 + $1.data.count }
            try e.u32(UInt32(truncatingIfNeeded: total))
            for block in extendedInfo {
                try e.bytes(Array((block.id + [0, 0, 0, 0]).prefix(4)))
                try e.u32(UInt32(truncatingIfNeeded: block.data.count))
                try block.data.write(to: e)
            }
            for i in 0..<p2mFrameCount { try e.ulong(p2mFrame(i), width: width) }
        }
        for item in body { try writeItem(item, to: e) }
        try e.i32(0)

        if guest == .pv {
            try writePVTail(to: e)
        } else {
            try e.u64(hvmTail.ioreqPFN)
            try e.u64(hvmTail.bufioreqPFN)
            try e.u64(hvmTail.storePFN)
            try e.u32(UInt32(truncatingIfNeeded: hvmTail.context.count))
            try hvmTail.context.write(to: e)
            if let dm = deviceModel {
                try e.bytes(Array((dm.signature + [UInt8](repeating: 0, count: 21)).prefix(21)))
                if dm.isLengthPrefixed { try e.u32(UInt32(truncatingIfNeeded: dm.data.count)) }
                try dm.data.write(to: e)
            }
        }
        try e.bytes(trailer)
    }

    private func writeItem(_ item: BodyItem, to e: Emitter) throws {
        switch item {
        case .pages(let batch):
            // A count of 0 would be the end marker: an empty batch has no bytes.
            guard !batch.entries.isEmpty else { return }
            try e.i32(Int32(truncatingIfNeeded: batch.entries.count))
            for entry in batch.entries { try e.ulong(entry, width: width) }
            for (i, entry) in batch.entries.enumerated() where PageBatch.carriesData(entry) {
                try e.page(seed: batch.pageSeed(i))
            }
        case .pageRun(let run):
            var start: UInt64 = 0
            while start < run.count {
                let n = min(UInt64(max(run.batchSize, 1)), run.count - start)
                try e.i32(Int32(truncatingIfNeeded: n))
                for i in start..<(start + n) { try e.ulong(run.entry(i), width: width) }
                for i in start..<(start + n) { try run.writePage(i, to: e) }
                start += n
            }
        case .enableVerifyMode:
            try e.i32(ChunkID.enableVerifyMode)
        case .vcpuInfo(let maxID, let bitmap):
            try e.i32(ChunkID.vcpuInfo)
            try e.i32(maxID)
            for word in bitmap { try e.u64(word) }
        case .hvmParam(let chunk, let value, let padding):
            try e.i32(chunk)
            try e.u32(padding)
            try e.u64(value)
        case .tscInfo(let mode, let nsec, let khz, let incarnation):
            try e.i32(ChunkID.tscInfo)
            try e.u32(mode)
            try e.u64(nsec)
            try e.u32(khz)
            try e.u32(incarnation)
        case .lastCheckpoint:
            try e.i32(ChunkID.lastCheckpoint)
        case .toolstack(let data):
            try e.i32(ChunkID.toolstack)
            try e.u32(UInt32(truncatingIfNeeded: data.count))
            try e.bytes(data)
        case .tmem(let payload):
            try e.i32(ChunkID.tmem)
            try e.bytes(payload)
        case .tmemExtra(let payload):
            try e.i32(ChunkID.tmemExtra)
            try e.bytes(payload)
        case .compressedData(let blob):
            try e.i32(ChunkID.compressedData)
            try e.u32(UInt32(truncatingIfNeeded: blob.count))
            try blob.write(to: e)
        case .enableCompression:
            try e.i32(ChunkID.enableCompression)
        case .rawMarker(let marker, let payload):
            try e.i32(marker)
            try e.bytes(payload)
        }
    }

    private func writePVTail(to e: Emitter) throws {
        try e.u32(UInt32(truncatingIfNeeded: pvTail.unmappedPFNs.count))
        for pfn in pvTail.unmappedPFNs { try e.ulong(pfn, width: width) }
        let layout = pvLayout
        for ordinal in onlineVCPUs.indices {
            try e.random(layout.basicSize, seed: pvTail.seed(ordinal, 0))
            if layout.extended { try e.random(128, seed: pvTail.seed(ordinal, 1)) }
            if layout.xsaveLength != 0 {
                let size = Int64(layout.xsaveLength) - 16
                try e.u64(pvTail.xsaveMask)
                try e.u64(UInt64(bitPattern: size))
                if size > 0 { try e.random(Int(size), seed: pvTail.seed(ordinal, 2)) }
            }
        }
        try e.random(4096, seed: pvTail.sharedInfoSeed)
    }
}
