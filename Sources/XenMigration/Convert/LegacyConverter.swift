/// Converts a legacy image to a v2 (or v3) libxc stream, optionally wrapped
/// in a libxl stream. Reads the input once, front to back, as the legacy
/// format is laid out: header, body, tail, then the device model record.
///
/// Page data and other large blobs stream through; only bounded metadata
/// (see `ConversionLimits`) is held. A converter runs once: `run()`
/// consumes it.
public struct LegacyConverter: ~Copyable {
    private let conversion: Conversion

    /// - Parameters:
    ///   - options: what the image is (or nil to detect) and what to write.
    ///   - reader: the legacy image.
    ///   - writer: where the converted stream goes; flushed at the end.
    ///   - allowZeroCopy: false forces buffered copies (same bytes).
    ///   - verbose: receives the lines `convert-legacy-stream -v` prints.
    ///   - progress: called after each page batch with the input offset and
    ///     the pages converted so far.
    public init(
        options: ConversionOptions, reader: StreamReader, writer: StreamWriter, allowZeroCopy: Bool = true,
        verbose: ((String) -> Void)? = nil,
        progress: ((_ bytesRead: UInt64, _ pages: UInt64) -> Void)? = nil
    ) {
        conversion = Conversion(
            options: options, reader: reader, writer: writer, allowZeroCopy: allowZeroCopy,
            verbose: verbose, progress: progress)
    }

    /// Runs the whole conversion, flushes the output, and leaves the input
    /// just after the last byte of the image.
    public consuming func run() throws(StreamError) -> ConversionReport {
        try conversion.run()
    }
}

/// The state of one conversion.
final class Conversion {
    let options: ConversionOptions
    let input: StreamReader
    let records: RecordWriter
    let transfer: Transfer
    let verbose: ((String) -> Void)?
    let progress: ((UInt64, UInt64) -> Void)?
    var report: ConversionReport

    // Resolved (given or detected) facts about the image.
    var width: ToolstackWidth = .bits64
    var guest: GuestType = .hvm
    /// The guest type an xend image's config gives (nil for other inputs).
    var xendGuest: GuestType?
    var legacy: LegacyReader { LegacyReader(input: input, width: width) }
    var libxc: LibxcOutput { LibxcOutput(records: records) }
    var libxl: LibxlOutput { LibxlOutput(records: records) }
    var isPV: Bool { guest == .pv }
    var isLibxl: Bool { options.format == .libxl }

    // What the header and body told us.
    var guestWordBytes = 0
    var basicContextSize: UInt32 = 0
    var hasExtendedContext = false
    var xsaveLength: UInt32 = 0
    var onlineVCPUs: [Int] = []
    var hvmParams: [(index: UInt64, value: UInt64)] = []
    var xenstoreData: [UInt8] = []
    var pagesConverted: UInt64 = 0
    var pageTypeCounts = [UInt64](repeating: 0, count: 16)
    var droppedEntries: UInt64 = 0
    // Scratch space for one batch, reused so batches allocate nothing.
    var batch: [UInt64] = []
    var sortedBatch: [UInt64] = []

    init(
        options: ConversionOptions, reader: StreamReader, writer: StreamWriter, allowZeroCopy: Bool,
        verbose: ((String) -> Void)?, progress: ((UInt64, UInt64) -> Void)?
    ) {
        self.options = options
        input = reader
        records = RecordWriter(writer, inputOffset: { [unowned reader] in reader.offset })
        transfer = Transfer(from: reader, to: writer, allowZeroCopy: allowZeroCopy)
        self.verbose = verbose
        self.progress = progress
        report = ConversionReport(options: options)
        batch.reserveCapacity(Int(Legacy.maxBatch))
        sortedBatch.reserveCapacity(Int(Legacy.maxBatch))
    }

    @inline(__always)
    func info(_ line: @autoclosure () -> String) {
        if let verbose { verbose(line()) }
    }

    func malformed(_ message: String, at offset: UInt64? = nil) -> StreamError {
        StreamError(.malformed, message, offset: offset ?? input.offset)
    }

    func run() throws(StreamError) -> ConversionReport {
        if try !convertXendHeader() { try convertXLHeader() }
        try resolveImageKind()
        try convertHeader()
        try convertBody()
        if isPV { try convertPVTail() } else { try convertHVMTail() }
        if isLibxl && !xenstoreData.isEmpty { try libxl.emulatorXenstoreData(xenstoreData) }
        if !isPV && (isLibxl || !options.skipQemu) { try convertDeviceModel() }
        if isLibxl { try libxl.end() }
        try records.output.flush()
        try input.releaseUnread()
        finishReport()
        return report
    }

    private func finishReport() {
        report.vcpusOnline = onlineVCPUs
        for (nibble, count) in pageTypeCounts.enumerated() where count > 0 {
            report.pagesByType[ConversionReport.pageTypeName(UInt64(nibble)), default: 0] += count
        }
        if droppedEntries > 0 { report.pagesByType["dropped", default: 0] += droppedEntries }
        report.recordsWritten = records.counts
        report.bytesRead = input.offset
        report.bytesWritten = records.output.bytesWritten
    }

    // MARK: xl header

    private func convertXLHeader() throws(StreamError) {
        let hasXL: Bool
        if let given = options.xlHeader {
            hasXL = given
        } else {
            hasXL = try input.peek(XL.magic.count) == XL.magic
            report.detected.append("xl header")
            info(VerboseText.detectedXLHeader(hasXL))
        }
        report.xlHeader = hasXL
        guard hasXL else { return input.markImageStart() }
        var header = try XL.Header.read(from: input)
        if isLibxl { header.mandatoryFlags |= XL.mandatoryFlagStreamV2 }
        try header.write(to: records.output)
        try copyXLOptionalData(header)
        input.markImageStart()
        info(VerboseText.processedXLHeader)
    }

    private func resolveImageKind() throws(StreamError) {
        let givenGuest = xendGuest ?? options.guest
        if let w = options.width, let g = givenGuest {
            width = w
            guest = g
            report.guestType = g
            return
        }
        let detection = try LegacyDetection.detect(reader: input, width: options.width, guest: givenGuest)
        width = detection.width
        guest = detection.guest
        if options.width == nil { report.detected.append("width") }
        if givenGuest == nil { report.detected.append("guest type") }
        report.toolstackWidth = width.rawValue
        report.guestType = guest
        info(VerboseText.detected(width: width, guest: guest))
    }

    // MARK: header

    private func convertHeader() throws(StreamError) {
        let p2mSize = try legacy.p2mSize()
        report.p2mSize = p2mSize
        info(VerboseText.p2mSize(p2mSize))

        if isLibxl { try libxl.headerAndLibxcContext() }
        try libxc.headers(version: options.streamVersion, domain: isPV ? .x86PV : .x86HVM)
        if isPV { try convertExtendedInfo() }
        if options.streamVersion >= .v3 { try libxc.staticDataEnd() }
        if isPV { try convertP2MFrames(p2mSize: p2mSize) }
    }

    private func convertExtendedInfo() throws(StreamError) {
        let totalLength = UInt64(try legacy.extendedInfoLength())
        info(VerboseText.extendedInfo(length: UInt32(totalLength)))

        var consumed: UInt64 = 0
        while consumed < totalLength {
            let block = try legacy.extendedBlock()
            consumed += 8
            info(VerboseText.extendedBlock(block))
            var firstWord: UInt32?
            if block.id == Array("xcnt".utf8) && block.size >= 4 {
                firstWord = try input.readU32("xcnt block")
                try transfer.discard(UInt64(block.size) - 4, "xcnt block")
            } else {
                try transfer.discard(UInt64(block.size), "extended info block '\(block.name)'")
            }
            consumed += UInt64(block.size)
            try useExtendedBlock(block, firstWord: firstWord)
        }
        if consumed != totalLength {
            throw malformed("Overshot Extended Info size by \(consumed - totalLength) bytes")
        }
    }

    private func useExtendedBlock(_ block: Legacy.ExtendedBlock, firstWord: UInt32?) throws(StreamError) {
        switch block.id {
        case Array("vcpu".utf8):
            basicContextSize = block.size
            guard let wordBytes = Legacy.guestWordBytes(vcpuContextSize: block.size) else {
                throw malformed(
                    "Unable to determine guest width/level from vcpu block size 0x\(hex(block.size))",
                    at: block.offset)
            }
            guestWordBytes = wordBytes
            let levels = wordBytes == 8 ? 4 : 3
            report.pagetableLevels = levels
            report.guestWidthBits = wordBytes * 8
            info(VerboseText.guestWidth(wordBytes: wordBytes))
            try libxc.x86PVInfo(guestWordBytes: wordBytes, pagetableLevels: levels)
        case Array("extv".utf8):
            hasExtendedContext = true
        case Array("xcnt".utf8):
            guard let firstWord else {
                throw malformed("xcnt block of \(block.size) bytes is too short for its length field", at: block.offset)
            }
            xsaveLength = firstWord
            info(VerboseText.xsaveLength(xsaveLength))
        default:
            throw malformed("Unrecognised extended block '\(block.name)'", at: block.offset)
        }
    }

    private func convertP2MFrames(p2mSize: UInt64) throws(StreamError) {
        guard guestWordBytes != 0 else {
            throw malformed("No vcpu block in the extended info: guest width unknown")
        }
        guard p2mSize >= 1, p2mSize - 1 <= UInt64(UInt32.max) else {
            throw malformed("p2m_size 0x\(hex(p2mSize)) out of range for a PV guest (1 to 0x100000000)")
        }
        let framesPerPage = UInt64(Legacy.pageSize / guestWordBytes)
        let frameCount = (p2mSize - 1) / framesPerPage + 1
        info(VerboseText.p2mFrames(framesPerPage: framesPerPage, frameCount: frameCount))
        input.expect(frameCount * UInt64(width.ulongSize) + 4)
        let legacy = self.legacy
        try libxc.x86PVP2MFrames(endPFN: UInt32(p2mSize - 1), frameCount: frameCount) { () throws(StreamError) in
            try legacy.p2mFrame()
        }
    }
}
