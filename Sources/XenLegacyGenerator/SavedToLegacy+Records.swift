import XenMigration

/// The libxc body as its records are read: what they share, and what the
/// tail, the facts and the report need from it once it ends.
struct LibxcBody {
    let header: LibxcHeader
    /// The guest's word size in bytes, from X86_PV_INFO (PV); 0 before it.
    var guestWordBytes = 0
    /// The legacy header (p2m_size and, PV, extended info and p2m frames) is out.
    var headerWritten = false
    var tail = HeldTail()
    var pageRecords: UInt64 = 0
    /// Pages with data in PAGE_DATA records.
    var pages: UInt64 = 0
    /// Highest pfn in PAGE_DATA records and the magic HVM pfns.
    var highestPFN: UInt64?
    /// One PAGE_DATA record's entries, and sorted; kept for the next record.
    var batch: [UInt64] = []
    var sortedBatch: [UInt64] = []

    var isPV: Bool { header.isPV }

    init(_ header: LibxcHeader) {
        self.header = header
        batch.reserveCapacity(Int(Legacy.maxBatch))
        sortedBatch.reserveCapacity(Int(Legacy.maxBatch))
    }
}

/// The libxc stream: its headers, then each record, written as the legacy
/// body has it (page batches and chunks) or held for the legacy tail.
extension SavedStreamRun {
    func readLibxcHeader() throws(StreamError) -> LibxcHeader {
        let start = input.offset
        let image = try Libxc.ImageHeader.read(from: input)
        let (marker, ident, version) = (image.marker, image.id, image.version)
        let (flags, reserved1, reserved2) = (image.options, image.reserved1, image.reserved2)
        guard marker == Libxc.imageMarker, ident == Libxc.imageID else {
            throw malformed("Bad libxc image header (marker 0x\(hex(marker)), id 0x\(hex(ident)))", at: start)
        }
        guard version == 2 || version == 3 else { throw refuse("libxc stream version \(version)", at: start + 12) }
        guard flags & Libxc.optionBigEndian == 0 else { throw refuse("a big-endian libxc stream", at: start + 16) }
        guard flags == 0, reserved1 == 0, reserved2 == 0 else {
            throw malformed("Reserved bits set in the libxc image header", at: start + 16)
        }

        let domainOffset = input.offset
        let domain = try Libxc.DomainHeader.read(from: input)
        let (rawDomain, pageShift) = (domain.type, domain.pageShift)
        let guest: GuestType
        switch Libxc.DomainType(rawValue: rawDomain) {
        case .x86PV: guest = .pv
        case .x86HVM: guest = .hvm
        case let other:
            throw refuse(
                "domain type \(other?.name ?? "0x" + hex(rawDomain)) (legacy images are x86 PV or HVM)",
                at: domainOffset)
        }
        guard pageShift == Libxc.pageShift else { throw refuse("page shift \(pageShift)", at: domainOffset + 4) }
        info("libxc stream v\(version), \(guest == .pv ? "x86 PV" : "x86 HVM") guest")
        return LibxcHeader(version: version, guest: guest)
    }

    /// The records up to END; the body is then open for libxl's records
    /// and the tail.
    func convertLibxcBody(_ header: LibxcHeader) throws(StreamError) -> LibxcBody {
        var libxc = LibxcBody(header)
        if !header.isPV { try writeHVMHeader(&libxc) }
        while try convertRecord(&libxc) {}
        return libxc
    }

    /// One record; false after END.
    private func convertRecord(_ libxc: inout LibxcBody) throws(StreamError) -> Bool {
        let (type, offset, body) = try nextRecord(Libxc.RecordType.self, layer: "libxc", prefix: "")
        switch type {
        case .end:
            try body.finish()
            return false
        case .pageData: try convertPageData(body, &libxc)
        case .x86PVInfo: try convertPVInfo(body, &libxc)
        case .x86PVP2MFrames: try convertP2MFrames(body, &libxc)
        case .x86PVVCPUBasic, .x86PVVCPUExtended, .x86PVVCPUXsave:
            try requirePV(type, at: offset, libxc)
            try holdVCPUContext(type, body, &libxc)
        case .sharedInfo:
            try requirePV(type, at: offset, libxc)
            try holdSharedInfo(body, &libxc.tail)
        case .x86TSCInfo: try convertTSCInfo(body)
        case .hvmContext:
            guard !libxc.isPV else { throw refuse("HVM_CONTEXT in a PV stream", at: offset) }
            try holdHVMContext(body, &libxc.tail)
        case .hvmParams:
            guard !libxc.isPV else { throw refuse("HVM_PARAMS in a PV stream", at: offset) }
            try convertHVMParams(body, &libxc)
        case .toolstack:
            // Xen 4.6's libxc carried libxl's toolstack blob here; legacy had it as a chunk.
            guard body.length <= options.limits.xenstoreBytes else {
                throw refuse("TOOLSTACK record of \(body.length) bytes (over the limit)", at: offset)
            }
            try writeToolstackChunk(try body.rest())
            try body.finish()
        case .verify:
            try body.finish()
            try chunk(.enableVerifyMode)
            findings.note("VERIFY record written as enable_verify_mode (converters write no record for it)")
        case .x86PVVCPUMSRs, .staticDataEnd, .x86CPUIDPolicy, .x86MSRPolicy:
            try body.finish()
            dropped(type.specName, at: offset)
        case .checkpoint, .checkpointDirtyPFNList:
            throw refuse("\(type.specName): a checkpointed (Remus/COLO) stream", at: offset)
        }
        return true
    }

    private func requirePV(_ type: Libxc.RecordType, at offset: UInt64, _ libxc: LibxcBody) throws(StreamError) {
        guard libxc.isPV else { throw refuse("\(type.specName) in an HVM stream", at: offset) }
    }

    // MARK: legacy header

    private func writeHVMHeader(_ libxc: inout LibxcBody) throws(StreamError) {
        let p2mSize =
            options.hvmP2MSize ?? facts?.highestPFN.map { $0 &+ 1 } ?? FromSavedOptions.defaultHVMP2MSize
        guard width == .bits64 || p2mSize <= UInt64(UInt32.max) else {
            throw refuse("p2m_size 0x\(hex(p2mSize)) in a 32-bit toolstack's unsigned long")
        }
        try ulong(p2mSize)
        libxc.headerWritten = true
    }

    private func convertPVInfo(_ body: RecordBodyReader, _ libxc: inout LibxcBody) throws(StreamError) {
        try requirePV(.x86PVInfo, at: body.recordOffset, libxc)
        guard body.length == Libxc.PVInfo.length, libxc.guestWordBytes == 0, !libxc.headerWritten else {
            throw refuse(
                "X86_PV_INFO of \(body.length) bytes, or not once before the p2m frames", at: body.recordOffset)
        }
        let pvInfo = try Libxc.PVInfo.read(from: body)
        let (wordBytes, levels) = (Int(pvInfo.guestWidth), Int(pvInfo.levels))
        guard (wordBytes == 8 && levels == 4) || (wordBytes == 4 && levels == 3) else {
            throw refuse("a guest of width \(wordBytes) with \(levels) pagetable levels", at: body.recordOffset)
        }
        try body.finish()
        libxc.guestWordBytes = wordBytes
    }

    /// The legacy header comes here, where the saved stream first has
    /// p2m_size: p2m_size, extended info, then the frame list.
    private func convertP2MFrames(_ body: RecordBodyReader, _ libxc: inout LibxcBody) throws(StreamError) {
        let offset = body.recordOffset
        try requirePV(.x86PVP2MFrames, at: offset, libxc)
        guard libxc.guestWordBytes != 0, !libxc.headerWritten else {
            throw refuse("X86_PV_P2M_FRAMES without X86_PV_INFO before it, or twice", at: offset)
        }
        guard body.length >= 8, body.length % 8 == 0 else {
            throw malformed("X86_PV_P2M_FRAMES of \(body.length) bytes", at: offset)
        }
        let (startPFN, endPFN) = try WordPair.read(from: body).pair
        guard startPFN == 0 else { throw refuse("p2m frames from pfn \(startPFN), not 0", at: offset) }
        let p2mSize = UInt64(endPFN) + 1
        let frameCount = UInt64(body.length - 8) / 8
        let perFrame = UInt64(Legacy.pageSize / libxc.guestWordBytes)
        guard frameCount == (p2mSize - 1) / perFrame + 1 else {
            throw refuse("\(frameCount) p2m frames for pfns 0 to 0x\(hex(endPFN))", at: offset)
        }
        guard width == .bits64 || p2mSize <= UInt64(UInt32.max) else {
            throw refuse("p2m_size 0x\(hex(p2mSize)) in a 32-bit toolstack's unsigned long", at: offset)
        }
        try ulong(p2mSize)
        try writeExtendedInfo(guestWordBytes: libxc.guestWordBytes)
        for _ in 0..<frameCount {
            let frame = try body.u64()
            guard width == .bits64 || frame <= UInt64(UInt32.max) else {
                throw refuse("p2m frame 0x\(hex(frame)) in a 32-bit toolstack's unsigned long", at: offset)
            }
            try ulong(frame)
        }
        try body.finish()
        libxc.headerWritten = true
    }

    /// PV: the extended info block, laid out from the scan's facts (a scan
    /// writes nothing, so it needs none).
    private func writeExtendedInfo(guestWordBytes: Int) throws(StreamError) {
        guard let facts else { return }
        let basic = guestWordBytes == 8 ? Legacy.vcpuContextSize64 : Legacy.vcpuContextSize32
        var total = 8 + basic
        if facts.extendedContext { total += 8 }
        var xsaveLength: UInt32?
        if let size = facts.xsaveSize {
            guard size <= UInt64(UInt32.max - Legacy.xsaveHeaderSize) else {
                throw refuse("xsave contexts of \(size) bytes")
            }
            xsaveLength = UInt32(size) + Legacy.xsaveHeaderSize
            total += 12
        }
        try ulong(width.allOnes)
        try output.u32(total)
        // The block's data was vcpu 0's context; converters skip it.
        try output.write(Array("vcpu".utf8))
        try output.u32(basic)
        try output.zeros(Int(basic))
        if facts.extendedContext {
            try output.write(Array("extv".utf8))
            try output.u32(0)
        }
        if let xsaveLength {
            try output.write(Array("xcnt".utf8))
            try output.u32(4)
            try output.u32(xsaveLength)
        }
    }

    // MARK: body

    private func convertPageData(_ body: RecordBodyReader, _ libxc: inout LibxcBody) throws(StreamError) {
        let offset = body.recordOffset
        guard libxc.headerWritten else { throw refuse("PAGE_DATA before the PV p2m frames", at: offset) }
        guard body.length >= 8 else { throw malformed("PAGE_DATA of \(body.length) bytes", at: offset) }
        let (count, reserved) = try WordPair.read(from: body).pair
        guard reserved == 0 else { throw malformed("Reserved bits set in PAGE_DATA", at: offset) }
        guard count <= UInt32(Legacy.maxBatch) else {
            throw refuse("PAGE_DATA of \(count) pfns (legacy batches hold at most \(Legacy.maxBatch))", at: offset)
        }
        guard UInt64(body.length) >= 8 + 8 * UInt64(count) else {
            throw malformed("PAGE_DATA of \(body.length) bytes for \(count) pfns", at: offset)
        }
        libxc.batch.removeAll(keepingCapacity: true)
        var pages: UInt64 = 0
        for index in 0..<count {
            let pfn = try body.u64()
            guard pfn & Libxc.pfnReservedMask == 0 else {
                throw malformed("Reserved bits set in PAGE_DATA pfn[\(index)] 0x\(hex(pfn))", at: offset)
            }
            let type = pfn >> Libxc.pfnTypeShift
            let frame = pfn & ((1 << 52) - 1)
            guard !(5...8).contains(type) else {
                throw malformed("Invalid type 0x\(hex(type)) in PAGE_DATA pfn[\(index)]", at: offset)
            }
            guard frame <= Legacy.pfnMask else {
                throw refuse("pfn 0x\(hex(frame)) (the legacy pfn field has 28 bits)", at: offset)
            }
            libxc.highestPFN = max(libxc.highestPFN ?? 0, frame)
            let entry = (type << 28) | frame
            if type & 7 <= 4 { pages += 1 }
            if entry == Legacy.xtabPadding {
                // Legacy readers take XTAB pfn 0 for padding; it carries nothing.
                findings.note("an XTAB entry for pfn 0 dropped (legacy padding)")
                continue
            }
            libxc.batch.append(entry)
        }
        guard UInt64(body.length) == 8 + 8 * UInt64(count) + pages * UInt64(Legacy.pageSize) else {
            throw malformed("PAGE_DATA of \(body.length) bytes for \(count) pfns and \(pages) pages", at: offset)
        }
        if libxc.batch.count > 1 {
            libxc.sortedBatch.removeAll(keepingCapacity: true)
            libxc.sortedBatch.append(contentsOf: libxc.batch)
            libxc.sortedBatch.sort()
            let sorted = libxc.sortedBatch
            for i in 1..<sorted.count where sorted[i] == sorted[i - 1] {
                throw refuse("pfn 0x\(hex(sorted[i] & Legacy.pfnMask)) twice in one PAGE_DATA", at: offset)
            }
        }
        if !libxc.batch.isEmpty {
            try output.u32(UInt32(libxc.batch.count))
            for entry in libxc.batch { try ulong(entry) }
        }
        try body.copy(pages * UInt64(Legacy.pageSize), "page data")
        try body.finish()
        libxc.pageRecords &+= 1
        libxc.pages &+= pages
    }

    private func convertTSCInfo(_ body: RecordBodyReader) throws(StreamError) {
        guard body.length == Libxc.TSCInfo.length else {
            throw malformed("X86_TSC_INFO of \(body.length) bytes", at: body.recordOffset)
        }
        let tsc = try Libxc.TSCInfo.read(from: body)
        try body.finish()
        try chunk(.tscInfo)
        try output.u32(tsc.mode)
        try output.u64(tsc.nsec)
        try output.u32(tsc.khz)
        try output.u32(tsc.incarnation)
    }

    /// Magic pfns go to the tail; params with a legacy chunk become that
    /// chunk here; the rest are dropped and named.
    private func convertHVMParams(_ body: RecordBodyReader, _ libxc: inout LibxcBody) throws(StreamError) {
        let offset = body.recordOffset
        guard body.length >= 8 else { throw malformed("HVM_PARAMS of \(body.length) bytes", at: offset) }
        let count = try WordPair.read(from: body).first
        guard UInt64(body.length) == 8 + 16 * UInt64(count) else {
            throw malformed("HVM_PARAMS of \(body.length) bytes for \(count) params", at: offset)
        }
        for _ in 0..<count {
            let index = try body.u64()
            let value = try body.u64()
            switch index {
            case HVMParam.ioreqPFN, HVMParam.bufioreqPFN, HVMParam.storePFN:
                try libxc.tail.holdMagicPFN(index, value, at: offset)
                if value <= Legacy.pfnMask { libxc.highestPFN = max(libxc.highestPFN ?? 0, value) }
            default:
                if let marker = SavedStreamRun.chunkForParam[index] {
                    try chunk(marker)
                    try output.u32(0)
                    try output.u64(value)
                } else {
                    guard findings.droppedHVMParams.count < options.limits.hvmParams else {
                        throw refuse(
                            "more than \(options.limits.hvmParams) HVM params without a legacy chunk", at: offset)
                    }
                    findings.droppedHVMParams.append(index)
                    info("dropped HVM param \(index) = 0x\(hex(value)): no legacy chunk")
                }
            }
        }
        try body.finish()
    }

    /// The legacy chunk that carries each HVM param.
    static let chunkForParam: [UInt64: Legacy.Chunk] = {
        var map: [UInt64: Legacy.Chunk] = [:]
        for raw in Int32(-20)...Int32(-1) {
            if let chunk = Legacy.Chunk(rawValue: raw), let index = chunk.hvmParam { map[index] = chunk }
        }
        return map
    }()

    // MARK: legacy fields

    func ulong(_ value: UInt64) throws(StreamError) {
        if width == .bits64 { try output.u64(value) } else { try output.u32(UInt32(truncatingIfNeeded: value)) }
    }

    func chunk(_ chunk: Legacy.Chunk) throws(StreamError) {
        try output.u32(UInt32(bitPattern: chunk.rawValue))
    }
}
