/// Writes the libxc records (docs/specs/libxc-migration-stream) that a
/// legacy image becomes. Bodies that come from the input are streamed by
/// the caller's `body` closure; the framer checks their length.
struct LibxcOutput {
    let records: RecordWriter
    var output: StreamWriter { records.output }

    func headers(version: Libxc.StreamVersion, domain: Libxc.DomainType) throws(StreamError) {
        try Libxc.writeImageHeader(version: version, to: output)
        try Libxc.writeDomainHeader(type: domain, to: output)
    }

    func staticDataEnd() throws(StreamError) { try records.write(Libxc.RecordType.staticDataEnd) }
    func end() throws(StreamError) { try records.write(Libxc.RecordType.end) }

    func x86PVInfo(guestWordBytes: Int, pagetableLevels: Int) throws(StreamError) {
        var body = RecordBody()
        body.u8(UInt8(truncatingIfNeeded: guestWordBytes))
        body.u8(UInt8(truncatingIfNeeded: pagetableLevels))
        body.u16(0)
        body.u32(0)
        try records.write(Libxc.RecordType.x86PVInfo, body.bytes)
    }

    /// `X86_PV_P2M_FRAMES`: pfns 0 to `endPFN`, then `frameCount` frames
    /// that `frame` reads one at a time.
    func x86PVP2MFrames(endPFN: UInt32, frameCount: UInt64, frame: () throws(StreamError) -> UInt64) throws(StreamError)
    {
        try records.write(Libxc.RecordType.x86PVP2MFrames, length: 8 &+ frameCount &* 8) {
            (output) throws(StreamError) in
            try output.u32(0)
            try output.u32(endPFN)
            for _ in 0..<frameCount { try output.u64(try frame()) }
        }
    }

    /// `PAGE_DATA`: the entries (already in the v2 layout), then the data
    /// of `pages` pages, written by `pageData`.
    func pageData(entries: [UInt64], pages: UInt64, pageData: (StreamWriter) throws(StreamError) -> Void)
        throws(StreamError)
    {
        let length = 8 &+ UInt64(entries.count) &* 8 &+ pages &* UInt64(Legacy.pageSize)
        try records.write(Libxc.RecordType.pageData, length: length) { (output) throws(StreamError) in
            try output.u32(UInt32(entries.count))
            try output.u32(0)
            for entry in entries { try output.u64(entry) }
            try pageData(output)
        }
    }

    func x86TSCInfo(_ info: Legacy.TSCInfo) throws(StreamError) {
        var body = RecordBody()
        body.u32(info.mode)
        body.u32(info.khz)
        body.u64(info.nsec)
        body.u32(info.incarnation)
        body.u32(0)
        try records.write(Libxc.RecordType.x86TSCInfo, body.bytes)
    }

    func hvmParams(_ params: [(index: UInt64, value: UInt64)]) throws(StreamError) {
        var body = RecordBody()
        body.u32(UInt32(truncatingIfNeeded: params.count))
        body.u32(0)
        for (index, value) in params {
            body.u64(index)
            body.u64(value)
        }
        try records.write(Libxc.RecordType.hvmParams, body.bytes)
    }

    /// A PV vcpu record: `uint32 vcpu_id; uint32 reserved;` then `size`
    /// bytes of context.
    func vcpuContext(
        _ type: Libxc.RecordType, vcpu: Int, size: UInt64,
        context: (StreamWriter) throws(StreamError) -> Void
    ) throws(StreamError) {
        try records.write(type, length: 8 &+ size) { (output) throws(StreamError) in
            try output.u32(UInt32(truncatingIfNeeded: vcpu))
            try output.u32(0)
            try context(output)
        }
    }

    func sharedInfo(_ page: (StreamWriter) throws(StreamError) -> Void) throws(StreamError) {
        try records.write(Libxc.RecordType.sharedInfo, length: UInt64(Legacy.sharedInfoSize), body: page)
    }

    func hvmContext(size: UInt64, _ context: (StreamWriter) throws(StreamError) -> Void) throws(StreamError) {
        try records.write(Libxc.RecordType.hvmContext, length: size, body: context)
    }
}
