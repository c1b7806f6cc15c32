#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts a legacy image to a v2 (or v3) libxc stream, optionally wrapped
/// in a libxl stream. Reads the input once, front to back, as the legacy
/// format is laid out: header, body, tail, then the device model record.
///
/// Page data and other large blobs stream through; only bounded metadata
/// (see `ConversionLimits`) is held.
public final class LegacyConverter {
    public let options: ConversionOptions
    private let reader: StreamReader
    private let writer: StreamWriter
    private let verbose: ((String) -> Void)?
    /// Called after each page batch with the bytes read and pages converted.
    public var onProgress: ((_ bytesRead: UInt64, _ pages: UInt64) -> Void)?

    public private(set) var report: ConversionReport

    // What the legacy header and body told us.
    private var guestWidth = 0
    private var basicContextSize: UInt32 = 0
    private var hasExtendedContext = false
    private var xsaveLength: UInt32 = 0
    private var onlineVCPUs: [Int] = []
    private var hvmParams: [(UInt64, UInt64)] = []
    private var xenstoreData: [UInt8] = []
    private var pagesConverted: UInt64 = 0
    private var pageTypeCounts = [UInt64](repeating: 0, count: 16)
    private var droppedEntries: UInt64 = 0
    // Scratch space for one batch, reused so batches allocate nothing.
    private var batch: [UInt64] = []
    private var sortedBatch: [UInt64] = []

    // Resolved (given or detected) facts about the image.
    private var width: ToolstackWidth = .bits64
    private var guest: GuestType = .hvm
    private var isPV: Bool { guest == .pv }
    private var isLibxl: Bool { options.format == .libxl }

    public init(options: ConversionOptions, reader: StreamReader, writer: StreamWriter,
                verbose: ((String) -> Void)? = nil) {
        self.options = options
        self.reader = reader
        self.writer = writer
        self.verbose = verbose
        self.report = ConversionReport(options: options)
        batch.reserveCapacity(Int(Legacy.maxBatch))
        sortedBatch.reserveCapacity(Int(Legacy.maxBatch))
    }

    @inline(__always)
    private func info(_ line: @autoclosure () -> String) {
        if let verbose { verbose(line()) }
    }

    private func malformed(_ message: String, at offset: UInt64? = nil) -> StreamError {
        StreamError(.malformed, message, offset: offset ?? reader.offset)
    }

    private func unsupported(_ message: String, at offset: UInt64) -> StreamError {
        StreamError(.unsupported, message, offset: offset)
    }

    private func counted(_ name: String) {
        report.recordsWritten[name, default: 0] += 1
    }

    private func record(_ type: Libxc.RecordType, _ body: [UInt8] = []) throws {
        try Libxc.writeRecord(type, body, to: writer)
        counted(type.specName)
    }

    private func record(_ type: Libxl.RecordType, _ body: [UInt8] = []) throws {
        try Libxl.writeRecord(type, body, to: writer)
        counted("libxl " + type.specName)
    }

    /// Writes a record header for a body of `length` bytes that the caller
    /// then streams; returns the padding the caller owes after it.
    private func beginRecord(_ type: UInt32, length: UInt64, name: String) throws -> Int {
        guard length <= Libxc.maxRecordLength else {
            throw malformed("\(name) of \(length) bytes does not fit in one record")
        }
        try writer.u32(type)
        try writer.u32(UInt32(length))
        counted(name)
        return Libxc.padding(for: length)
    }

    /// Runs the whole conversion and flushes the output.
    @discardableResult
    public func run() throws -> ConversionReport {
        let hasXL: Bool
        if let given = options.xlHeader {
            hasXL = given
        } else {
            hasXL = try reader.peek(XL.magic.count) == XL.magic
            report.detected.append("xl header")
            info("Detected: " + (hasXL ? "xl header" : "no xl header"))
        }
        report.xlHeader = hasXL
        if hasXL { try convertXLHeader() }
        try resolveImageKind()
        try convertHeader()
        try convertBody()
        if isPV { try convertPVTail() } else { try convertHVMTail() }
        if isLibxl && !xenstoreData.isEmpty {
            var body = RecordBody()
            body.u32(Libxl.EmulatorID.unknown.rawValue)
            body.u32(0)
            body.append(xenstoreData)
            try record(.emulatorXenstoreData, body.bytes)
        }
        if !isPV && (isLibxl || !options.skipQemu) { try convertDeviceModel() }
        if isLibxl { try record(Libxl.RecordType.end) }
        try writer.flush()
        finishReport()
        return report
    }

    private func finishReport() {
        report.vcpusOnline = onlineVCPUs
        for (nibble, count) in pageTypeCounts.enumerated() where count > 0 {
            report.pagesByType[ConversionReport.pageTypeName(UInt64(nibble)), default: 0] += count
        }
        if droppedEntries > 0 { report.pagesByType["dropped", default: 0] += droppedEntries }
        report.bytesRead = reader.offset
        report.bytesWritten = writer.bytesWritten
    }

    private func resolveImageKind() throws {
        if let w = options.width, let g = options.guest {
            width = w
            guest = g
            return
        }
        let detection = try LegacyDetection.detect(reader: reader, width: options.width, guest: options.guest)
        width = detection.width
        guest = detection.guest
        if options.width == nil { report.detected.append("width") }
        if options.guest == nil { report.detected.append("guest type") }
        report.toolstackWidth = width.rawValue
        report.guestType = guest
        info("Detected: \(width.rawValue)-bit toolstack, \(guest == .pv ? "PV" : "HVM") guest")
    }

    // MARK: xl header

    private func convertXLHeader() throws {
        var header = try XL.Header.read(from: reader)
        if isLibxl { header.mandatoryFlags |= XL.mandatoryFlagStreamV2 }
        try header.write(to: writer)
        try reader.copy(UInt64(header.optionalDataLength), to: writer, "xl header optional data")
        info("Processed xl header")
    }

    // MARK: header

    private func convertHeader() throws {
        let p2mSize = try reader.readULong(width: width, "p2m_size")
        report.p2mSize = p2mSize
        info("P2M Size: 0x\(hex(p2mSize))")

        if isLibxl {
            try Libxl.writeHeader(to: writer)
            try record(Libxl.RecordType.libxcContext)
        }
        try Libxc.writeImageHeader(version: options.streamVersion, to: writer)
        try Libxc.writeDomainHeader(type: isPV ? .x86PV : .x86HVM, to: writer)

        if isPV { try convertExtendedInfo() }
        if options.streamVersion >= 3 { try record(Libxc.RecordType.staticDataEnd) }
        if isPV { try convertP2MFrames(p2mSize: p2mSize) }
    }

    private func convertExtendedInfo() throws {
        let markerOffset = reader.offset
        let marker = try reader.readULong(width: width, "extended info marker")
        guard marker == width.allOnes else {
            throw malformed("Unexpected extended info marker 0x\(hex(marker))", at: markerOffset)
        }
        let totalLength = UInt64(try reader.readU32("extended info length"))
        info("Extended Info: length 0x\(hex(totalLength))")

        var consumed: UInt64 = 0
        while consumed < totalLength {
            let blockOffset = reader.offset
            let id = try reader.readBytes(4, "extended info block id")
            let size = try reader.readU32("extended info block size")
            consumed += 8
            let name = String(decoding: id, as: UTF8.self)
            info("  Record type: \(name), size 0x\(hex(size))")

            var firstWord: UInt32?
            if id == Array("xcnt".utf8) && size >= 4 {
                firstWord = try reader.readU32("xcnt block")
                try reader.skip(UInt64(size) - 4, "xcnt block")
            } else {
                try reader.skip(UInt64(size), "extended info block '\(name)'")
            }
            consumed += UInt64(size)

            switch id {
            case Array("vcpu".utf8):
                basicContextSize = size
                if size == Legacy.vcpuContextSize64 {
                    guestWidth = 8
                    report.pagetableLevels = 4
                    info("    64bit domain, 4 levels")
                } else if size == Legacy.vcpuContextSize32 {
                    guestWidth = 4
                    report.pagetableLevels = 3
                    info("    32bit domain, 3 levels")
                } else {
                    throw malformed("Unable to determine guest width/level from vcpu block size 0x\(hex(size))",
                                    at: blockOffset)
                }
                report.guestWidth = guestWidth * 8
                var body = RecordBody()
                body.u8(UInt8(guestWidth))
                body.u8(UInt8(report.pagetableLevels ?? 0))
                body.u16(0)
                body.u32(0)
                try record(.x86PVInfo, body.bytes)
            case Array("extv".utf8):
                hasExtendedContext = true
            case Array("xcnt".utf8):
                guard let firstWord else {
                    throw malformed("xcnt block of \(size) bytes is too short for its length field", at: blockOffset)
                }
                xsaveLength = firstWord
                info("xcnt sz 0x\(hex(xsaveLength))")
            default:
                throw malformed("Unrecognised extended block '\(name)'", at: blockOffset)
            }
        }
        if consumed != totalLength {
            throw malformed("Overshot Extended Info size by \(consumed - totalLength) bytes")
        }
    }

    private func convertP2MFrames(p2mSize: UInt64) throws {
        guard guestWidth != 0 else {
            throw malformed("No vcpu block in the extended info: guest width unknown")
        }
        guard p2mSize >= 1, p2mSize - 1 <= UInt64(UInt32.max) else {
            throw malformed("p2m_size 0x\(hex(p2mSize)) out of range for a PV guest (1 to 0x100000000)")
        }
        let framesPerPage = UInt64(Legacy.pageSize / guestWidth)
        let frameCount = (p2mSize - 1) / framesPerPage + 1
        info("P2M frames: fpp \(framesPerPage), p2m_frame_len \(frameCount)")

        _ = try beginRecord(Libxc.RecordType.x86PVP2MFrames.rawValue, length: 8 + frameCount * 8,
                            name: Libxc.RecordType.x86PVP2MFrames.specName)
        try writer.u32(0)
        try writer.u32(UInt32(p2mSize - 1))
        for _ in 0..<frameCount {
            try writer.u64(try reader.readULong(width: width, "p2m frame list"))
        }
    }

    // MARK: body

    private func convertBody() throws {
        while true {
            let markerOffset = reader.offset
            let marker = try reader.readI32("chunk marker")
            if marker > 0 {
                try convertPageBatch(count: marker, at: markerOffset)
                continue
            }
            let chunk = Legacy.Chunk(rawValue: marker)
            info("Chunk: \(marker) - \(chunk?.name ?? "unknown")")
            guard let chunk else {
                throw malformed("Unrecognised chunk \(marker)", at: markerOffset)
            }
            if try convertChunk(chunk, at: markerOffset) { return }
        }
    }

    private func convertPageBatch(count: Int32, at markerOffset: UInt64) throws {
        guard count <= Legacy.maxBatch else {
            throw malformed("Page batch (\(count)) exceeded MAX_BATCH (\(Legacy.maxBatch))", at: markerOffset)
        }
        batch.removeAll(keepingCapacity: true)
                for _ in 0..<Int(count) {
            let entry = try reader.readULong(width: width, "page batch pfn list")
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
        for entry in batch {
            let type = entry & Legacy.pfnTypeMask
            if type < Legacy.firstDatalessType { pages += 1 }
            pageTypeCounts[Int((entry >> 28) & 0xf)] += 1
        }
        report.pageBatches += 1

        let length = 8 + UInt64(batch.count) * 8 + pages * UInt64(Legacy.pageSize)
        _ = try beginRecord(Libxc.RecordType.pageData.rawValue, length: length,
                            name: Libxc.RecordType.pageData.specName)
        try writer.u32(UInt32(batch.count))
        try writer.u32(0)
        for entry in batch {
            // Type moves from bits 28-31 to 60-63; the pfn keeps bits 0-27.
            try writer.u64(((entry & Legacy.pfnTypeMask) << 32) | (entry & Legacy.pfnMask))
        }
        try reader.copy(pages * UInt64(Legacy.pageSize), to: writer, "page data")
        pagesConverted += pages
        onProgress?(reader.offset, pagesConverted)
    }

    /// Handles one chunk; true at the end of the body.
    private func convertChunk(_ chunk: Legacy.Chunk, at offset: UInt64) throws -> Bool {
        if let param = chunk.hvmParam {
            _ = try reader.readU32("\(chunk.name) padding")
            let value = try reader.readU64(chunk.name)
            info("  \(param.label): " + (param.decimal ? "\(value)" : "0x\(hex(value))"))
            guard hvmParams.count < options.limits.hvmParams else {
                throw malformed("More than \(options.limits.hvmParams) HVM params in the body", at: offset)
            }
            hvmParams.append((param.index, value))
            return false
        }
        switch chunk {
        case .end:
            info("  End")
            if !hvmParams.isEmpty {
                guard !isPV else { throw malformed("HVM-only param in PV stream", at: offset) }
                try writeHVMParams(hvmParams)
            }
            return true
        case .enableVerifyMode:
            report.debugStream = true
            info("This is a debug stream")
        case .vcpuInfo:
            let maxID = try reader.readI32("vcpu_info max_id")
            guard maxID <= Legacy.maxVCPUID else {
                throw malformed("Vcpu max_id out of range: \(maxID) > \(Legacy.maxVCPUID)", at: offset)
            }
            guard maxID >= 0 else {
                throw malformed("Vcpu max_id out of range: \(maxID) < 0", at: offset)
            }
            let words = Int(maxID) / 64 + 1
            for index in 0..<words {
                var word = try reader.readU64("vcpu_info bitmap")
                var bit = 0
                while word != 0 {
                    if word & 1 != 0 {
                        guard onlineVCPUs.count < options.limits.onlineVCPUs else {
                            throw malformed("More than \(options.limits.onlineVCPUs) online vcpus listed", at: offset)
                        }
                        onlineVCPUs.append(index * 64 + bit)
                    }
                    bit += 1
                    word >>= 1
                }
            }
            info("  Vcpu info: max_id \(maxID), online map [\(onlineVCPUs.map(String.init).joined(separator: ", "))]")
        case .tmem, .tmemExtra:
            throw unsupported("\(chunk.name) chunk: tmem is not supported", at: offset)
        case .tscInfo:
            let mode = try reader.readU32("tsc_info mode")
            let nsec = try reader.readU64("tsc_info nsec")
            let khz = try reader.readU32("tsc_info khz")
            let incarnation = try reader.readU32("tsc_info incarnation")
            info("  TSC_INFO: mode \(mode), \(nsec) ns, \(khz) khz, \(incarnation) incarn")
            var body = RecordBody()
            body.u32(mode)
            body.u32(khz)
            body.u64(nsec)
            body.u32(incarnation)
            body.u32(0)
            try record(.x86TSCInfo, body.bytes)
        case .lastCheckpoint:
            info("  Last Checkpoint")
        case .compressedData:
            let size = try reader.readU32("compressed_data size")
            try reader.skip(UInt64(size), "compressed data")
            info("  Compressed Data: sz 0x\(hex(size))")
            throw unsupported("compressed_data chunk: Remus compression is not supported", at: offset)
        case .enableCompression:
            throw unsupported("enable_compression chunk: Remus compression is not supported", at: offset)
        case .toolstack:
            let size = try reader.readU32("toolstack size")
            guard size > 0 else { return false }
            if isLibxl {
                guard size <= options.limits.toolstackChunkBytes else {
                    throw malformed("Toolstack chunk of \(size) bytes exceeds the \(options.limits.toolstackChunkBytes)-byte limit", at: offset)
                }
                let dataOffset = reader.offset
                let data = try reader.readBytes(Int(size), "toolstack data")
                info("  Toolstack Data: sz 0x\(hex(size))")
                try decodeLibxlToolstack(data, at: dataOffset)
            } else {
                try reader.skip(UInt64(size), "toolstack data")
                info("  Toolstack Data: sz 0x\(hex(size))")
                info("    Discarding")
            }
        default:
            // Every HVM-param chunk was handled above.
            throw malformed("Unrecognised chunk \(chunk.rawValue)", at: offset)
        }
        return false
    }

    private func writeHVMParams(_ params: [(UInt64, UInt64)]) throws {
        var body = RecordBody()
        body.u32(UInt32(params.count))
        body.u32(0)
        for (index, value) in params {
            body.u64(index)
            body.u64(value)
            report.hvmParams.append(.init(index: index, value: value))
        }
        try record(.hvmParams, body.bytes)
    }

    /// libxl's toolstack blob: `uint32 version (1); uint32 count;` then
    /// physmap entries, each turned into three xenstore key/value pairs.
    private func decodeLibxlToolstack(_ data: [UInt8], at base: UInt64) throws {
        var cursor = ByteCursor(data)
        guard data.count >= 8 else {
            throw malformed("Overly short libxl toolstack data", at: base)
        }
        let version = cursor.u32()
        let count = cursor.u32()
        guard version == 1 else {
            throw malformed("Cannot decode libxl toolstack version \(version)", at: base)
        }
        info("    Version \(version), count \(count)")
        for _ in 0..<count {
            let entryOffset = base + UInt64(cursor.position)
            guard cursor.remaining >= 28 else {
                throw malformed("Remaining data too short for physmap header", at: entryOffset)
            }
            let phys = cursor.u64()
            let start = cursor.u64()
            let size = cursor.u64()
            let nameLength = Int(cursor.u32())
            guard nameLength > 0 else { throw malformed("No physmap info name", at: entryOffset) }
            // 64-bit toolstacks leaked 4 bytes of struct padding after the name.
            let leaked = width == .bits64 ? 4 : 0
            guard cursor.remaining >= nameLength + leaked else {
                throw malformed("Remaining data too short for physmap name", at: entryOffset)
            }
            let name = cursor.bytes(nameLength)
            _ = cursor.bytes(leaked)
            guard name.last == 0 else { throw malformed("physmap name not NUL terminated", at: entryOffset) }

            let root = "physmap/\(hex(phys))"
            let pairs: [(String, [UInt8])] = [
                (root + "/start_addr", Array(hex(start).utf8)),
                (root + "/size", Array(hex(size).utf8)),
                (root + "/name", Array(name.dropLast())),
            ]
            for (key, value) in pairs {
                info("    '\(key)' = '\(String(decoding: value, as: UTF8.self))'")
                guard xenstoreData.count + key.utf8.count + value.count + 2 <= options.limits.xenstoreDataBytes else {
                    throw malformed("Toolstack data exceeds the \(options.limits.xenstoreDataBytes)-byte xenstore limit", at: entryOffset)
                }
                xenstoreData.append(contentsOf: key.utf8)
                xenstoreData.append(0)
                xenstoreData.append(contentsOf: value)
                xenstoreData.append(0)
            }
        }
    }

    // MARK: tail

    private func convertPVTail() throws {
        let unmapped = try reader.readU32("unmapped pfn count")
        if unmapped != 0 {
            try reader.skip(UInt64(unmapped) * UInt64(width.ulongSize), "unmapped pfn list")
            info("discarding \(unmapped) bogus 'unmapped pfns'")
        }
        for vcpu in onlineVCPUs {
            try vcpuRecord(.x86PVVCPUBasic, vcpu: vcpu, size: UInt64(basicContextSize), "vcpu basic context")
            info("Got VCPU basic (size 0x\(hex(basicContextSize)))")
            if hasExtendedContext {
                try vcpuRecord(.x86PVVCPUExtended, vcpu: vcpu, size: UInt64(Legacy.extendedContextSize),
                               "vcpu extended context")
                info("Got VCPU extd (size 0x\(hex(Legacy.extendedContextSize)))")
            }
            if xsaveLength != 0 {
                let headerOffset = reader.offset
                let mask = try reader.readU64("xsave feature mask")
                let size = try reader.readU64("xsave size")
                guard xsaveLength >= 16, size == UInt64(xsaveLength) - 16 else {
                    throw malformed("vcpu\(vcpu) xsave size 0x\(hex(size)) does not match xcnt length 0x\(hex(xsaveLength)) - 16",
                                    at: headerOffset)
                }
                try vcpuRecord(.x86PVVCPUXsave, vcpu: vcpu, size: size, "vcpu xsave context")
                info("Got VCPU xsave (mask 0x\(hex(mask)), size 0x\(hex(size)))")
            }
        }
        let padding = try beginRecord(Libxc.RecordType.sharedInfo.rawValue, length: UInt64(Legacy.sharedInfoSize),
                                      name: Libxc.RecordType.sharedInfo.specName)
        try reader.copy(UInt64(Legacy.sharedInfoSize), to: writer, "shared info")
        try writer.zeros(padding)
        info("Got shinfo")
        try record(Libxc.RecordType.end)
    }

    private func vcpuRecord(_ type: Libxc.RecordType, vcpu: Int, size: UInt64, _ what: String) throws {
        let padding = try beginRecord(type.rawValue, length: 8 + size, name: type.specName)
        try writer.u32(UInt32(truncatingIfNeeded: vcpu))
        try writer.u32(0)
        try reader.copy(size, to: writer, what)
        try writer.zeros(padding)
    }

    private func convertHVMTail() throws {
        let ioreq = try reader.readU64("ioreq pfn")
        let bufioreq = try reader.readU64("bufioreq pfn")
        let store = try reader.readU64("store pfn")
        info("Magic pfns: 0x\(hex(ioreq)) 0x\(hex(bufioreq)) 0x\(hex(store))")
        try writeHVMParams([(HVMParam.ioreqPFN, ioreq), (HVMParam.bufioreqPFN, bufioreq), (HVMParam.storePFN, store)])

        let size = try reader.readU32("HVM context size")
        info("Got HVM Context (0x\(hex(size)) bytes)")
        let padding = try beginRecord(Libxc.RecordType.hvmContext.rawValue, length: UInt64(size),
                                      name: Libxc.RecordType.hvmContext.specName)
        try reader.copy(UInt64(size), to: writer, "HVM context")
        try writer.zeros(padding)
        try record(Libxc.RecordType.end)
    }

    // MARK: device model

    private func convertDeviceModel() throws {
        let offset = reader.offset
        let signature = try reader.readBytes(Legacy.qemuSignatureLength, "device model signature")
        let name = String(decoding: signature, as: UTF8.self)
        info("Qemu signature: \(name)")
        report.deviceModelSignature = name

        switch signature {
        case Legacy.deviceModelRecord0002, Legacy.remusDeviceModelState:
            let size = try reader.readU32("device model record size")
            report.deviceModelBytes = UInt64(size)
            if isLibxl {
                let padding = try emulatorContextHeader(length: UInt64(size))
                try reader.copy(UInt64(size), to: writer, "device model data")
                try writer.zeros(padding)
            } else {
                try writer.write(signature)
                try writer.u32(size)
                try reader.copy(UInt64(size), to: writer, "device model data")
            }
        case Legacy.qemuDeviceModelRecord:
            // xend-era layout: the data runs to the end of the stream.
            if isLibxl {
                let spool = try Spool(reading: reader)
                report.deviceModelBytes = spool.size
                let padding = try emulatorContextHeader(length: spool.size)
                try spool.copy(to: writer)
                try writer.zeros(padding)
            } else {
                try writer.write(signature)
                report.deviceModelBytes = try reader.copyToEnd(to: writer)
            }
        default:
            throw unsupported("Unrecognised Qemu sig '\(name)'", at: offset)
        }
    }

    private func emulatorContextHeader(length: UInt64) throws -> Int {
        let padding = try beginRecord(Libxl.RecordType.emulatorContext.rawValue,
                                      length: UInt64(Libxl.emulatorHeaderSize) + length,
                                      name: "libxl " + Libxl.RecordType.emulatorContext.specName)
        try writer.u32(Libxl.EmulatorID.unknown.rawValue)
        try writer.u32(0)
        return padding
    }
}

/// Lower-case hexadecimal without a prefix, as `%x` prints it.
@inline(__always)
func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }

/// Little-endian reads from an in-memory blob whose size was checked first.
struct ByteCursor {
    let data: [UInt8]
    private(set) var position = 0
    init(_ data: [UInt8]) { self.data = data }
    var remaining: Int { data.count - position }

    mutating func u32() -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(data[position + i]) << (8 * i) }
        position += 4
        return v
    }

    mutating func u64() -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(data[position + i]) << (8 * i) }
        position += 8
        return v
    }

    mutating func bytes(_ n: Int) -> ArraySlice<UInt8> {
        defer { position += n }
        return data[position..<(position + n)]
    }
}
