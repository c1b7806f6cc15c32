import XenMigration

/// What the legacy tail needs, held from wherever the saved stream has it
/// until the body ends.
struct HeldTail {
    /// One vcpu's contexts; the vcpus in the order their basic contexts came.
    struct VCPU {
        var id: Int
        var basic: [UInt8]
        var extended: [UInt8]?
        var xsave: [UInt8]?
    }
    var vcpus: [VCPU] = []
    var sharedInfo: [UInt8]?
    var hvmContext: [UInt8]?
    var magicPFNs: [UInt64: UInt64] = [:]
    var bytes: UInt64 = 0

    mutating func holdMagicPFN(_ index: UInt64, _ value: UInt64, at offset: UInt64) throws(StreamError) {
        guard magicPFNs[index] == nil else {
            throw StreamError(
                .unsupported, "Cannot represent in a legacy image: HVM param \(index) twice", offset: offset)
        }
        magicPFNs[index] = value
    }
}

/// What the tail held: how many vcpus, and which contexts they have.
struct TailSummary {
    var vcpus = 0
    var extendedContext = false
    var xsaveSize: UInt64?
}

extension SavedStreamRun {
    /// Reads the rest of a body that is held for the tail, within the limit.
    private func heldBody(_ body: RecordBodyReader, _ tail: inout HeldTail) throws(StreamError) -> [UInt8] {
        let size = body.remaining
        guard tail.bytes &+ size <= options.limits.tailBytes else {
            throw refuse(
                "vcpu, shared info and HVM contexts over \(options.limits.tailBytes) bytes", at: body.recordOffset)
        }
        tail.bytes &+= size
        let bytes = try body.rest()
        try body.finish()
        return bytes
    }

    func holdVCPUContext(_ type: Libxc.RecordType, _ body: RecordBodyReader, _ libxc: inout LibxcBody)
        throws(StreamError)
    {
        let offset = body.recordOffset
        guard body.length >= 8 else { throw malformed("\(type.specName) of \(body.length) bytes", at: offset) }
        let id = Int(try WordPair.read(from: body).first)
        guard id < options.limits.vcpus, id <= Int(Legacy.maxVCPUID) else {
            throw refuse("vcpu \(id) (legacy vcpu ids end at \(Legacy.maxVCPUID))", at: offset)
        }
        let size = body.remaining
        if size == 0 && type != .x86PVVCPUXsave {
            // libxc's restore skips empty vcpu records (old senders wrote them).
            try body.finish()
            findings.note("empty \(type.specName) records skipped")
            return
        }
        var padding = 0
        switch type {
        case .x86PVVCPUBasic:
            let expected = UInt64(libxc.guestWordBytes == 4 ? Legacy.vcpuContextSize32 : Legacy.vcpuContextSize64)
            guard size == expected else {
                throw refuse("vcpu\(id) basic context of \(size) bytes, not 0x\(hex(expected))", at: offset)
            }
        case .x86PVVCPUExtended:
            // Xen 4.17 sends the struct (64 bytes); legacy libxc wrote 128
            // bytes of the domctl, and libxc restores up to 128.
            guard size <= UInt64(Legacy.extendedContextSize) else {
                throw refuse("vcpu\(id) extended context of \(size) bytes, over 128", at: offset)
            }
            padding = Legacy.extendedContextSize - Int(size)
            if padding > 0 && !findings.notes.contains(where: { $0.hasPrefix("vcpu extended") }) {
                findings.note(
                    "vcpu extended contexts of \(size) bytes padded with zeros to the legacy 128 "
                        + "(converted back: 128-byte X86_PV_VCPU_EXTENDED records)")
            }
        default:
            // A scan learns the size; the writing pass laid the header out for it.
            guard facts.map({ size == $0.xsaveSize }) ?? true else {
                throw refuse("vcpu\(id) xsave context of \(size) bytes unlike the others", at: offset)
            }
        }
        let bytes = try heldBody(body, &libxc.tail) + [UInt8](repeating: 0, count: padding)
        if type == .x86PVVCPUBasic {
            guard libxc.tail.vcpus.count < options.limits.vcpus else {
                throw refuse("more than \(options.limits.vcpus) vcpu contexts", at: offset)
            }
            libxc.tail.vcpus.append(HeldTail.VCPU(id: id, basic: bytes))
            return
        }
        // The legacy tail has a vcpu's contexts together, after its basic one.
        guard let last = libxc.tail.vcpus.indices.last, libxc.tail.vcpus[last].id == id else {
            throw refuse("\(type.specName) for vcpu\(id) not after its X86_PV_VCPU_BASIC", at: offset)
        }
        if type == .x86PVVCPUExtended {
            guard libxc.tail.vcpus[last].extended == nil, libxc.tail.vcpus[last].xsave == nil else {
                throw refuse("a second or late X86_PV_VCPU_EXTENDED for vcpu\(id)", at: offset)
            }
            libxc.tail.vcpus[last].extended = bytes
        } else {
            guard libxc.tail.vcpus[last].xsave == nil else {
                throw refuse("a second X86_PV_VCPU_XSAVE for vcpu\(id)", at: offset)
            }
            libxc.tail.vcpus[last].xsave = bytes
        }
    }

    func holdSharedInfo(_ body: RecordBodyReader, _ tail: inout HeldTail) throws(StreamError) {
        guard body.length == UInt32(Legacy.sharedInfoSize), tail.sharedInfo == nil else {
            throw refuse("SHARED_INFO of \(body.length) bytes, or twice", at: body.recordOffset)
        }
        tail.sharedInfo = try heldBody(body, &tail)
    }

    func holdHVMContext(_ body: RecordBodyReader, _ tail: inout HeldTail) throws(StreamError) {
        guard tail.hvmContext == nil else { throw refuse("a second HVM_CONTEXT", at: body.recordOffset) }
        tail.hvmContext = try heldBody(body, &tail)
    }

    // MARK: end of the body, and the tail

    /// The body's last chunks, its end marker, then the tail; once.
    func closeBody(_ libxc: LibxcBody) throws(StreamError) -> TailSummary {
        guard libxc.headerWritten else { throw refuse("a stream that ends before its p2m frames") }
        return libxc.isPV ? try writePVTail(libxc.tail) : try writeHVMTail(libxc.tail)
    }

    private func writePVTail(_ tail: HeldTail) throws(StreamError) -> TailSummary {
        if tail.vcpus.isEmpty { findings.note("no vcpu contexts: no vcpu_info chunk") }
        let extended = tail.vcpus.allSatisfy { $0.extended != nil }
        let xsaveSizes = Set(tail.vcpus.map { $0.xsave.map { UInt64($0.count) } })
        guard tail.vcpus.allSatisfy({ ($0.extended != nil) == extended }), xsaveSizes.count == 1 else {
            throw refuse("vcpus with different sets of contexts (extended, xsave)")
        }
        let summary = TailSummary(
            vcpus: tail.vcpus.count, extendedContext: extended, xsaveSize: xsaveSizes.first ?? nil)
        if let facts, facts.extendedContext != summary.extendedContext || facts.xsaveSize != summary.xsaveSize {
            throw refuse("vcpu contexts unlike those the scan found")
        }
        guard let sharedInfo = tail.sharedInfo else { throw refuse("a PV stream without SHARED_INFO") }

        // The online vcpus in the order of their contexts: one vcpu_info
        // chunk per ascending run (Xen's order, ascending, needs one).
        var run: [Int] = []
        for vcpu in tail.vcpus {
            if let last = run.last, vcpu.id <= last {
                try writeVCPUInfo(run)
                run = []
            }
            run.append(vcpu.id)
        }
        try writeVCPUInfo(run)
        try output.u32(0)  // end of the body

        try output.u32(0)  // no unmapped pfns
        for vcpu in tail.vcpus {
            try output.write(vcpu.basic)
            if let extended = vcpu.extended { try output.write(extended) }
            if let xsave = vcpu.xsave {
                // The legacy feature mask (converters drop it): the vcpu's xcr0_accum.
                try output.u64(ByteCursor(xsave).peek(UInt64.self, at: 8) ?? 0)
                try output.u64(UInt64(xsave.count))
                try output.write(xsave)
            }
        }
        try output.write(sharedInfo)
        return summary
    }

    private func writeVCPUInfo(_ ids: [Int]) throws(StreamError) {
        guard let maxID = ids.last else { return }
        try chunk(.vcpuInfo)
        try output.u32(UInt32(maxID))
        var bitmap = [UInt64](repeating: 0, count: maxID / 64 + 1)
        for id in ids { bitmap[id / 64] |= 1 << UInt64(id % 64) }
        for word in bitmap { try output.u64(word) }
    }

    private func writeHVMTail(_ tail: HeldTail) throws(StreamError) -> TailSummary {
        try output.u32(0)
        for (index, name) in [
            (HVMParam.ioreqPFN, "ioreq"), (HVMParam.bufioreqPFN, "bufioreq"), (HVMParam.storePFN, "store"),
        ] {
            if tail.magicPFNs[index] == nil { findings.note("no HVM param \(index) (\(name) pfn): written as 0") }
            try output.u64(tail.magicPFNs[index] ?? 0)
        }
        guard let context = tail.hvmContext else { throw refuse("an HVM stream without HVM_CONTEXT") }
        try output.u32(UInt32(context.count))
        try output.write(context)
        return TailSummary(vcpus: HVMContextCPUs.count(context))
    }

    // MARK: libxl's records after the libxc stream

    /// libxl's physmap keys become the toolstack chunk legacy libxl wrote.
    func convertXenstoreData(_ body: RecordBodyReader, seenBefore: Bool) throws(StreamError) {
        let offset = body.recordOffset
        guard body.length >= 8 else { throw malformed("EMULATOR_XENSTORE_DATA of \(body.length) bytes", at: offset) }
        let index = try WordPair.read(from: body).second
        guard index == 0, !seenBefore else {
            throw refuse("EMULATOR_XENSTORE_DATA twice, or for emulator index \(index)", at: offset)
        }
        guard body.length <= options.limits.xenstoreBytes else {
            throw refuse("EMULATOR_XENSTORE_DATA of \(body.length) bytes (over the limit)", at: offset)
        }
        let data = try body.rest()
        try body.finish()
        if options.front == .xend {
            // xend images have no toolstack chunk: xend kept no physmap.
            return dropped("libxl EMULATOR_XENSTORE_DATA", at: offset)
        }
        let physmap = try PhysmapKeys(data, at: offset &+ 16)
        for line in physmap.notes { findings.note(line) }
        if !physmap.entries.isEmpty { try writeToolstackChunk(physmap.toolstackChunk(width: width)) }
    }

    func writeToolstackChunk(_ data: [UInt8]) throws(StreamError) {
        try chunk(.toolstack)
        try output.u32(UInt32(data.count))
        try output.write(data)
    }

    /// EMULATOR_CONTEXT's emulator id, refused unless the record is the
    /// first for emulator index 0.
    func emulatorContextID(_ body: RecordBodyReader, seenBefore: Bool) throws(StreamError) -> UInt32 {
        let offset = body.recordOffset
        guard body.length >= 8 else { throw malformed("EMULATOR_CONTEXT of \(body.length) bytes", at: offset) }
        let (id, index) = try WordPair.read(from: body).pair
        guard index == 0, !seenBefore else {
            throw refuse("EMULATOR_CONTEXT twice, or for emulator index \(index)", at: offset)
        }
        return id
    }

    /// The device model state, after the tail: a DeviceModelRecord0002
    /// record (xl), or xend's QemuDeviceModelRecord running to the end.
    /// Its size; nil for a PV guest's, dropped.
    func convertEmulatorContext(_ body: RecordBodyReader, id: UInt32, isPV: Bool) throws(StreamError) -> UInt64? {
        let offset = body.recordOffset
        guard !isPV else {
            try body.finish()
            dropped("libxl EMULATOR_CONTEXT", at: offset)
            return nil
        }
        let size = body.remaining
        let name = Libxl.EmulatorID(rawValue: id)?.name ?? "emulator 0x\(hex(id))"
        info("device model state: \(size) bytes (\(name))")
        try writeDeviceModelHeader(size: size)
        try body.copy(size, "device model data")
        try body.finish()
        return size
    }

    /// xl's DeviceModelRecord0002 (or Remus's record of the same layout,
    /// kept when the input had it), or for xend QemuDeviceModelRecord
    /// whose data runs to the end.
    private func writeDeviceModelHeader(size: UInt64, signature: [UInt8] = Legacy.deviceModelRecord0002)
        throws(StreamError)
    {
        if options.front == .xend {
            try output.write(Legacy.qemuDeviceModelRecord)
        } else {
            try output.write(signature)
            try output.u32(UInt32(size))
        }
    }

    /// A bare libxc HVM stream from `convert-legacy-stream -f libxc` has the
    /// legacy device model record after END: carried over. Its size; nil
    /// when there is none.
    func copyRawDeviceModel() throws(StreamError) -> UInt64? {
        let signature = try input.peek(Legacy.qemuSignatureLength)
        switch signature {
        case Legacy.deviceModelRecord0002, Legacy.remusDeviceModelState:
            _ = try input.readBytes(signature.count, "device model signature")
            let size = UInt64(try input.readU32("device model record size"))
            input.expect(size)
            try writeDeviceModelHeader(size: size, signature: signature)
            try transfer.copy(size, "device model data")
            return size
        case Legacy.qemuDeviceModelRecord:
            // xend's layout: the data runs to the end of the input.
            _ = try input.readBytes(signature.count, "device model signature")
            try output.write(Legacy.qemuDeviceModelRecord)
            return try transfer.copyToEnd()
        default:
            findings.note("no device model record after the libxc stream")
            return nil
        }
    }
}

/// The vcpus of an HVM guest: its CPU save records (typecode 2) in the
/// HVM context (`{u16 typecode; u16 instance; u32 length; data}`...).
enum HVMContextCPUs {
    static func count(_ context: [UInt8]) -> Int {
        var cursor = ByteCursor(context)
        var cpus = 0
        while let type = cursor.read(UInt16.self), cursor.read(UInt16.self) != nil,
            let length = cursor.read(UInt32.self)
        {
            if type == 0 { break }
            if type == 2 { cpus += 1 }
            guard cursor.read(count: Int(length)) != nil else { break }
        }
        return cpus
    }
}
