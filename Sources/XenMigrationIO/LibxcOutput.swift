import XenMigrationFormat

/// Writes the libxc records (docs/specs/libxc-migration-stream) that a
/// legacy image becomes. Bodies that come from the input are runs the
/// framer copies itself.
package struct LibxcOutput {
    package let records: RecordWriter

    package init(records: RecordWriter) { self.records = records }

    package func headers(version: Libxc.StreamVersion, domain: Libxc.DomainType) throws(StreamError) {
        try records.writeUnframed(Libxc.ImageHeader(version: version).bytes)
        try records.writeUnframed(Libxc.DomainHeader.legacyConverted(domain).bytes)
    }

    package func staticDataEnd() throws(StreamError) { try records.write(Libxc.RecordType.staticDataEnd) }
    package func end() throws(StreamError) { try records.write(Libxc.RecordType.end) }

    package func x86PVInfo(guestWordBytes: Int, pagetableLevels: Int) throws(StreamError) {
        let info = Libxc.PVInfo(
            guestWidth: UInt8(truncatingIfNeeded: guestWordBytes), levels: UInt8(truncatingIfNeeded: pagetableLevels))
        try records.write(Libxc.RecordType.x86PVInfo, info.bytes)
    }

    /// `X86_PV_P2M_FRAMES`: pfns 0 to `endPFN`, then `frameCount` frames
    /// that `frame` reads one at a time.
    package func x86PVP2MFrames(endPFN: UInt32, frameCount: UInt64, frame: @escaping () throws(StreamError) -> UInt64)
        throws(StreamError)
    {
        try records.write(
            Libxc.RecordType.x86PVP2MFrames, fields: WordPair(0, endPFN), then: .words(frameCount, next: frame))
    }

    /// `PAGE_DATA`: the entries (already in the v2 layout), then the data
    /// of `pages` pages (at most a batch), copied from the input.
    package func pageData(entries: [UInt64], pages: UInt64) throws(StreamError) {
        try records.write(
            Libxc.RecordType.pageData, fields: WordPair(UInt32(entries.count), 0), entries: entries,
            then: .input(pages * UInt64(Legacy.pageSize), "page data"))
    }

    package func x86TSCInfo(_ info: Legacy.TSCInfo) throws(StreamError) {
        let record = Libxc.TSCInfo(mode: info.mode, khz: info.khz, nsec: info.nsec, incarnation: info.incarnation)
        try records.write(Libxc.RecordType.x86TSCInfo, record.bytes)
    }

    package func hvmParams(_ params: [(index: UInt64, value: UInt64)]) throws(StreamError) {
        try records.write(Libxc.RecordType.hvmParams, Libxc.HVMParams.bytes(params))
    }

    /// A PV vcpu record: `uint32 vcpu_id; uint32 reserved;` then `size`
    /// bytes of context copied from the input (a uint32 size at most).
    package func vcpuContext(_ type: Libxc.RecordType, vcpu: Int, size: UInt32, _ what: String) throws(StreamError) {
        try records.write(type, fields: WordPair(UInt32(truncatingIfNeeded: vcpu), 0), then: .input(UInt64(size), what))
    }

    package func sharedInfo() throws(StreamError) {
        try records.write(Libxc.RecordType.sharedInfo, run: .input(UInt64(Legacy.sharedInfoSize), "shared info"))
    }

    /// The device model record after the libxc stream, unframed as the
    /// legacy image had it: the signature, a `uint32` size, then the state
    /// copied from the input.
    package func rawDeviceModel(signature: [UInt8], size: UInt32) throws(StreamError) {
        var length = RecordBody()
        length.u32(size)
        try records.writeUnframed(signature + length.bytes)
        try records.copyUnframed(UInt64(size), "device model data")
    }

    /// xend's device model record: the signature, then the state up to the
    /// end of the input; returns the state's length.
    package func rawDeviceModelToEnd(signature: [UInt8]) throws(StreamError) -> UInt64 {
        try records.writeUnframed(signature)
        return try records.copyUnframedToEnd()
    }

    package func hvmContext(size: UInt32) throws(StreamError) {
        try records.write(Libxc.RecordType.hvmContext, run: .input(UInt64(size), "HVM context"))
    }
}
