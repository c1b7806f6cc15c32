import XenMigration

/// Turns a saved v2/v3 stream (an `xl save` file, a libxl stream or a bare
/// libxc stream, as Xen 4.6 to 4.17 write them) back into the legacy image
/// Xen 4.5 and older wrote, so that converting it again gives the saved
/// stream back (the inverse of `LegacyConverter`).
///
/// One pass, front to back: pages and device model state stream through;
/// what the legacy layout puts elsewhere than the saved stream (the tail,
/// the physmap keys, the config) is held, within `FromSavedLimits`. A PV
/// image's extended info, at the front of the legacy image, describes the
/// vcpu contexts at the end of the saved stream: `scan` learns them first.
package enum SavedToLegacy {
    /// A first pass that writes nothing: what the legacy header needs to
    /// know from further on (the reader is consumed).
    package static func scan(reader: StreamReader, options: FromSavedOptions) throws(StreamError) -> SavedStreamFacts {
        let run = SavedStreamRun(
            options: options, reader: reader, writer: StreamWriter(NullSink(), capacity: 64 * 1024), pass: .scan,
            verbose: nil)
        return try run.run().facts
    }

    /// Writes the legacy image to `writer` (flushed) and leaves the input
    /// just after the saved stream. `facts` come from `scan` of the same
    /// input.
    package static func convert(
        reader: StreamReader, writer: StreamWriter, options: FromSavedOptions, facts: SavedStreamFacts,
        verbose: ((String) -> Void)? = nil
    ) throws(StreamError) -> FromSavedReport {
        let run = SavedStreamRun(
            options: options, reader: reader, writer: writer, pass: .write(facts), verbose: verbose)
        return try run.run().report
    }

    /// Both passes over bytes in memory.
    package static func convert(_ bytes: [UInt8], options: FromSavedOptions) throws(StreamError) -> (
        image: [UInt8], report: FromSavedReport
    ) {
        let facts = try scan(reader: StreamReader(MemorySource(bytes)), options: options)
        let sink = MemorySink()
        let writer = StreamWriter(sink)
        let report = try convert(
            reader: StreamReader(MemorySource(bytes)), writer: writer, options: options, facts: facts)
        return (sink.bytes, report)
    }
}

/// What a pass is for. A scan reads the whole stream and writes nothing,
/// to learn what the legacy header needs; a writing pass lays the header
/// out from a scan's facts.
enum SavedPass {
    case scan
    case write(SavedStreamFacts)
}

/// What comes before the libxc stream in the input.
struct SavedFront {
    /// The xl header's flags and config, if the input has one.
    var xlConfig: (flags: UInt32, optionalFlags: UInt32, data: [UInt8])?
    /// A libxl stream follows (else a bare libxc stream).
    var libxl: Bool
}

/// The libxc image and domain headers.
struct LibxcHeader {
    var version: UInt32
    var guest: GuestType
    var isPV: Bool { guest == .pv }
}

/// One pass, as the spec reads: front, libxc headers, body, tail, device
/// model, each a phase that returns what the later ones and the report
/// need. The run holds what every phase uses (options, input, output) and
/// the findings named on stderr as they are met.
final class SavedStreamRun {
    let options: FromSavedOptions
    let input: StreamReader
    let output: StreamWriter
    let transfer: Transfer
    let records: RecordReader
    let pass: SavedPass
    let verbose: ((String) -> Void)?
    /// Dropped records, dropped HVM params and notes, as they are met;
    /// the phases' values fill in the rest of the report once, at the end.
    var findings = FromSavedReport()
    var width: ToolstackWidth { options.width }

    /// The scan's facts; nil while scanning.
    var facts: SavedStreamFacts? {
        if case .write(let facts) = pass { return facts }
        return nil
    }

    init(
        options: FromSavedOptions, reader: StreamReader, writer: StreamWriter, pass: SavedPass,
        verbose: ((String) -> Void)?
    ) {
        self.options = options
        input = reader
        output = writer
        transfer = Transfer(from: reader, to: writer)
        records = RecordReader(transfer: transfer)
        self.pass = pass
        self.verbose = verbose
    }

    func info(_ line: @autoclosure () -> String) {
        if let verbose { verbose(line()) }
    }

    func refuse(_ message: String, at offset: UInt64? = nil) -> StreamError {
        StreamError(.unsupported, "Cannot represent in a legacy image: \(message)", offset: offset ?? input.offset)
    }

    func malformed(_ message: String, at offset: UInt64? = nil) -> StreamError {
        StreamError(.malformed, message, offset: offset ?? input.offset)
    }

    /// The next record's frame: its type (refused when unknown), where it
    /// starts, and a reader for its body. `prefix` goes before the names of
    /// its fields and its type in messages ("libxl " for libxl records).
    func nextRecord<T: StreamRecordType>(_: T.Type, layer: String, prefix: String) throws(StreamError) -> (
        type: T, offset: UInt64, body: RecordBodyReader
    ) {
        let frame = try records.nextFrame(prefix)
        guard let type = T(rawValue: frame.rawType) else {
            throw refuse("unknown \(layer) record type 0x\(hex(frame.rawType))", at: frame.offset)
        }
        return (type, frame.offset, records.body(type, frame, prefix: prefix))
    }

    func dropped(_ name: String, at offset: UInt64) {
        findings.drop(name)
        info("dropped \(name) record at offset \(offset): no legacy equivalent")
    }

    /// The phases, then the report and the facts, each built once from
    /// what the phases returned.
    func run() throws(StreamError) -> (report: FromSavedReport, facts: SavedStreamFacts) {
        let front = try readFrontOfInput()
        try writeFront(front)
        let streams: ConvertedStreams
        if front.libxl {
            streams = try convertLibxl()
        } else {
            let header = try readLibxcHeader()
            let body = try convertLibxcBody(header)
            let tail = try closeBody(body)
            let deviceModel = header.isPV ? nil : try copyRawDeviceModel()
            streams = ConvertedStreams(header: header, body: body, tail: tail, deviceModelBytes: deviceModel)
        }
        try output.flush()
        try input.releaseUnread()

        var report = findings
        report.layers = (front.xlConfig == nil ? [] : ["xl"]) + (front.libxl ? ["libxl"] : []) + ["libxc"]
        report.guest = streams.header.guest
        report.streamVersion = streams.header.version
        report.pageRecords = streams.body.pageRecords
        report.pages = streams.body.pages
        report.deviceModelBytes = streams.deviceModelBytes
        report.bytesRead = input.offset
        report.bytesWritten = output.bytesWritten
        var learnt = SavedStreamFacts()
        learnt.hvm = !streams.header.isPV
        learnt.pages = streams.body.pages
        learnt.highestPFN = streams.body.highestPFN
        learnt.vcpus = streams.tail.vcpus
        learnt.extendedContext = streams.tail.extendedContext
        learnt.xsaveSize = streams.tail.xsaveSize
        return (report, learnt)
    }

    /// What the phases after the front returned, for the report and the facts.
    struct ConvertedStreams {
        var header: LibxcHeader
        var body: LibxcBody
        var tail: TailSummary
        var deviceModelBytes: UInt64?
    }

    // MARK: the layers around the libxc stream

    /// The xl header if there is one, and which stream follows.
    private func readFrontOfInput() throws(StreamError) -> SavedFront {
        let head = try input.peek(InputKind.headLength)
        switch InputKind.identify(head) {
        case .xlSave:
            let config = try readXLHeader()
            return SavedFront(xlConfig: config, libxl: config.flags & XL.mandatoryFlagStreamV2 != 0)
        case .libxlStream:
            return SavedFront(libxl: true)
        case .libxcStream:
            return SavedFront(libxl: false)
        case .xendImage:
            throw malformed("Input is an xend image (already legacy), not a saved v2/v3 stream", at: 0)
        case .legacy, .unknown:
            // A libxc image header with a bad id or version: its reader says which.
            if ByteCursor(head).peek(UInt64.self, at: 0, .big) == Libxc.imageMarker { return SavedFront(libxl: false) }
            throw malformed(
                "Input is not a saved stream: no xl header, libxl header or libxc image header "
                    + "(first bytes '\(escapedASCII(head.prefix(8)))')", at: 0)
        }
    }

    /// The xl header: its flags and config, for the front.
    private func readXLHeader() throws(StreamError) -> (flags: UInt32, optionalFlags: UInt32, data: [UInt8]) {
        let header = try XL.Header.read(from: input)
        guard header.byteOrder == XL.byteOrderMark else {
            throw malformed("xl header byte-order mark 0x\(hex(header.byteOrder)) is not 0x01020304", at: 32)
        }
        let known = XL.mandatoryFlagJSON | XL.mandatoryFlagStreamV2
        guard header.mandatoryFlags & ~known == 0 else {
            throw refuse("xl header mandatory flags 0x\(hex(header.mandatoryFlags))", at: 36)
        }
        guard header.optionalDataLength <= UInt32(options.limits.configBytes) else {
            throw refuse(
                "xl header optional data of \(header.optionalDataLength) bytes (over the "
                    + "\(options.limits.configBytes)-byte limit)", at: 44)
        }
        let data = try input.readBytes(Int(header.optionalDataLength), "xl header optional data")
        return (header.mandatoryFlags, header.optionalFlags, data)
    }

    /// The libxl stream: its header, the libxc stream inside LIBXC_CONTEXT,
    /// then the emulator records, which close the body.
    private func convertLibxl() throws(StreamError) -> ConvertedStreams {
        let start = input.offset
        let header = try Libxl.Header.read(from: input)
        let (ident, version, flags) = (header.ident, header.version, header.options)
        guard ident == Libxl.ident else { throw malformed("Bad libxl header ident 0x\(hex(ident))", at: start) }
        guard version == Libxl.version else {
            throw refuse("libxl stream version \(version) (only \(Libxl.version))", at: start + 8)
        }
        guard flags & Libxl.optionBigEndian == 0 else { throw refuse("a big-endian libxl stream", at: start + 12) }
        guard flags & Libxl.optionReservedMask == 0 else {
            throw malformed("Reserved bits set in libxl header options 0x\(hex(flags))", at: start + 12)
        }
        var libxc: (header: LibxcHeader, body: LibxcBody)?
        // The tail, once the body is closed (by EMULATOR_CONTEXT or END).
        var tail: TailSummary?
        var sawXenstoreData = false
        var deviceModelBytes: UInt64?
        while true {
            let (type, offset, body) = try nextRecord(Libxl.RecordType.self, layer: "libxl", prefix: "libxl ")
            switch type {
            case .end:
                guard let (header, libxcBody) = libxc else {
                    throw malformed("libxl END before any LIBXC_CONTEXT", at: offset)
                }
                try body.finish()
                let closed: TailSummary
                if let tail { closed = tail } else { closed = try closeBody(libxcBody) }
                if !header.isPV && deviceModelBytes == nil {
                    findings.note("no EMULATOR_CONTEXT: the image has no device model record")
                }
                return ConvertedStreams(
                    header: header, body: libxcBody, tail: closed, deviceModelBytes: deviceModelBytes)
            case .libxcContext:
                guard libxc == nil else { throw refuse("a second LIBXC_CONTEXT record", at: offset) }
                try body.finish()
                let header = try readLibxcHeader()
                libxc = (header, try convertLibxcBody(header))
            case .emulatorXenstoreData:
                guard libxc != nil, tail == nil else {
                    throw refuse("EMULATOR_XENSTORE_DATA outside the libxc stream's tail", at: offset)
                }
                try convertXenstoreData(body, seenBefore: sawXenstoreData)
                sawXenstoreData = true
            case .emulatorContext:
                guard let (header, libxcBody) = libxc else {
                    throw refuse("EMULATOR_CONTEXT before the libxc stream", at: offset)
                }
                let id = try emulatorContextID(body, seenBefore: deviceModelBytes != nil)
                if tail == nil { tail = try closeBody(libxcBody) }
                if let size = try convertEmulatorContext(body, id: id, isPV: header.isPV) { deviceModelBytes = size }
            case .checkpointEnd, .checkpointState:
                throw refuse("\(type.specName): a checkpointed (Remus/COLO) stream", at: offset)
            }
        }
    }

    // MARK: the front of the output

    private func writeFront(_ front: SavedFront) throws(StreamError) {
        switch options.front {
        case .none:
            return
        case .xlJSON, .xlText:
            let json = options.front == .xlJSON
            let data: [UInt8]
            var optionalFlags: UInt32 = 0
            if var given = options.config {
                // xl 4.5 counted the JSON's NUL (strlen + 1); 4.4 wrote the file as read.
                if json && given.last != 0 { given.append(0) }
                guard given.count <= options.limits.configBytes else {
                    throw malformed("--config of \(given.count) bytes is over the limit", at: 0)
                }
                var length: [UInt8] = []
                UInt32(given.count).append(to: &length)
                data = length + given
            } else if let (flags, inputOptionalFlags, optional) = front.xlConfig,
                (flags & XL.mandatoryFlagJSON != 0) == json
            {
                // The input's header as it was, but for the v2 flag.
                data = optional
                optionalFlags = inputOptionalFlags
            } else {
                let have = front.xlConfig.map { $0.flags & XL.mandatoryFlagJSON != 0 ? "JSON" : "xl.cfg text" }
                throw malformed(
                    "--front \(options.front.rawValue) needs the domain config as "
                        + (json ? "JSON" : "xl.cfg text") + ": "
                        + (have.map { "the input's xl header holds \($0)" } ?? "the input has no xl header")
                        + "; give --config FILE", at: 0)
            }
            let header = XL.Header(
                byteOrder: XL.byteOrderMark, mandatoryFlags: json ? XL.mandatoryFlagJSON : 0,
                optionalFlags: optionalFlags,
                optionalDataLength: UInt32(data.count))
            try output.write(header.bytes)
            try output.write(data)
        case .xend:
            let config = options.config ?? XendFrontConfig.minimal(xlConfig: front.xlConfig, facts: facts)
            guard config.count <= Xend.maxConfigLength else {
                throw malformed("xend config of \(config.count) bytes is over the limit", at: 0)
            }
            try output.write(Xend.magic)
            try output.u32BE(UInt32(config.count))
            try output.write(config)
        }
    }
}
