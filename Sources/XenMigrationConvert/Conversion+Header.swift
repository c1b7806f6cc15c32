import XenMigrationFormat
import XenMigrationIO

/// What the image header says: the p2m size, and for a PV guest the
/// layout its extended info gives the tail.
struct ImageLayout {
    let p2mSize: UInt64
    /// nil for an HVM guest.
    let pv: PVLayout?
}

/// A PV image's extended info: how its vcpu contexts are laid out.
struct PVLayout {
    /// From the vcpu block; nil until one is seen.
    var guestWordBytes: Int?
    var basicContextSize: UInt32 = 0
    var hasExtendedContext = false
    var xsaveLength: UInt32 = 0
    var pagetableLevels: Int? { guestWordBytes.map { $0 == 8 ? 4 : 3 } }
}

/// The image header: p2m size, then (PV) the extended info and p2m frames.
extension Conversion {
    func convertHeader(_ image: ImageKind, _ legacy: LegacyReader) throws(StreamError) -> ImageLayout {
        let p2mSize = try legacy.p2mSize()
        info(VerboseText.p2mSize(p2mSize))

        if isLibxl { try libxl.headerAndLibxcContext() }
        try libxc.headers(version: options.streamVersion, domain: image.isPV ? .x86PV : .x86HVM)
        let pv = image.isPV ? try convertExtendedInfo(legacy) : nil
        if options.streamVersion >= .v3 { try libxc.staticDataEnd() }
        if let pv { try convertP2MFrames(p2mSize: p2mSize, pv, image, legacy) }
        return ImageLayout(p2mSize: p2mSize, pv: pv)
    }

    private func convertExtendedInfo(_ legacy: LegacyReader) throws(StreamError) -> PVLayout {
        let totalLength = UInt64(try legacy.extendedInfoLength())
        info(VerboseText.extendedInfo(length: UInt32(totalLength)))

        var layout = PVLayout()
        var consumed: UInt64 = 0
        while consumed < totalLength {
            let block = try legacy.extendedBlock()
            consumed += 8
            info(VerboseText.extendedBlock(block))
            var firstWord: UInt32?
            if block.id == Array("xcnt".utf8) && block.size >= 4 {
                firstWord = try legacy.xcntLength()
                try legacy.skip(UInt64(block.size) - 4, "xcnt block")
            } else {
                try legacy.skip(UInt64(block.size), "extended info block '\(block.name)'")
            }
            consumed += UInt64(block.size)
            try useExtendedBlock(block, firstWord: firstWord, &layout)
        }
        if consumed != totalLength {
            throw malformed("Overshot Extended Info size by \(consumed - totalLength) bytes")
        }
        return layout
    }

    private func useExtendedBlock(_ block: Legacy.ExtendedBlock, firstWord: UInt32?, _ layout: inout PVLayout)
        throws(StreamError)
    {
        switch block.id {
        case Array("vcpu".utf8):
            layout.basicContextSize = block.size
            guard let wordBytes = Legacy.guestWordBytes(vcpuContextSize: block.size) else {
                throw malformed(
                    "Unable to determine guest width/level from vcpu block size 0x\(hex(block.size))",
                    at: block.offset)
            }
            layout.guestWordBytes = wordBytes
            info(VerboseText.guestWidth(wordBytes: wordBytes))
            try libxc.x86PVInfo(guestWordBytes: wordBytes, pagetableLevels: layout.pagetableLevels ?? 0)
        case Array("extv".utf8):
            layout.hasExtendedContext = true
        case Array("xcnt".utf8):
            guard let firstWord else {
                throw malformed("xcnt block of \(block.size) bytes is too short for its length field", at: block.offset)
            }
            layout.xsaveLength = firstWord
            info(VerboseText.xsaveLength(firstWord))
        default:
            throw malformed("Unrecognised extended block '\(block.name)'", at: block.offset)
        }
    }

    private func convertP2MFrames(p2mSize: UInt64, _ pv: PVLayout, _ image: ImageKind, _ legacy: LegacyReader)
        throws(StreamError)
    {
        guard let guestWordBytes = pv.guestWordBytes else {
            throw malformed("No vcpu block in the extended info: guest width unknown")
        }
        guard p2mSize >= 1, p2mSize - 1 <= UInt64(UInt32.max) else {
            throw malformed("p2m_size 0x\(hex(p2mSize)) out of range for a PV guest (1 to 0x100000000)")
        }
        let framesPerPage = UInt64(Legacy.pageSize / guestWordBytes)
        let frameCount = (p2mSize - 1) / framesPerPage + 1
        info(VerboseText.p2mFrames(framesPerPage: framesPerPage, frameCount: frameCount))
        legacy.expectP2MFrames(frameCount)
        try libxc.x86PVP2MFrames(endPFN: UInt32(p2mSize - 1), frameCount: frameCount) { () throws(StreamError) in
            try legacy.p2mFrame()
        }
    }
}
