import XenMigrationFormat
import XenMigrationIO

/// Converts a legacy image to a v2 (or v3) libxc stream, optionally wrapped
/// in a libxl stream. Reads the input once, front to back, as the legacy
/// format is laid out: header, body, tail, then the device model record.
///
/// Page data and other large blobs stream through; only bounded metadata
/// (see `ConversionLimits`) is held. A converter runs once: `run()` or
/// `convert()` consumes it.
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
        verbose: ((VerboseLine) -> Void)? = nil,
        progress: ((_ bytesRead: UInt64, _ pages: UInt64) -> Void)? = nil
    ) {
        conversion = Conversion(
            options: options, reader: reader, writer: writer, allowZeroCopy: allowZeroCopy,
            verbose: verbose, progress: progress)
    }

    /// Runs the whole conversion, flushes the output, and leaves the input
    /// just after the last byte of the image.
    public consuming func run() throws(StreamError) -> ConversionReport {
        do {
            return try conversion.run().report
        } catch {
            throw error.error
        }
    }

    /// As `run()`, with the domain config the input carried, and on failure
    /// the input's first bytes, for `Diagnosis`.
    public consuming func convert() throws(ConversionFailure) -> ConversionResult {
        try conversion.run()
    }
}

/// The input, the output and the options of one conversion; the phases
/// are its methods and hand their findings on as values.
final class Conversion {
    let options: ConversionOptions
    let input: StreamReader
    let records: RecordWriter
    let libxc: LibxcOutput
    let libxl: LibxlOutput
    let verbose: ((VerboseLine) -> Void)?
    let progress: ((UInt64, UInt64) -> Void)?
    let allowZeroCopy: Bool
    var isLibxl: Bool { options.format == .libxl }

    init(
        options: ConversionOptions, reader: StreamReader, writer: StreamWriter, allowZeroCopy: Bool,
        verbose: ((VerboseLine) -> Void)?, progress: ((UInt64, UInt64) -> Void)?
    ) {
        self.options = options
        input = reader
        records = RecordWriter(output: writer, input: reader, allowZeroCopy: allowZeroCopy)
        libxc = LibxcOutput(records: records)
        libxl = LibxlOutput(records: records)
        self.verbose = verbose
        self.progress = progress
        self.allowZeroCopy = allowZeroCopy
    }

    @inline(__always)
    func info(_ line: @autoclosure () -> String) {
        if let verbose { verbose(VerboseLine(line())) }
    }

    @inline(__always)
    func info(_ line: @autoclosure () -> VerboseLine) {
        if let verbose { verbose(line()) }
    }

    func malformed(_ message: String, at offset: UInt64? = nil) -> StreamError {
        StreamError(.malformed, message, offset: offset ?? input.offset)
    }

    func run() throws(ConversionFailure) -> ConversionResult {
        var head: [UInt8] = []
        var imageHead: [UInt8] = []
        do {
            let frontReader = FrontReader(input: input)
            head = try frontReader.head()
            let front = try readFront(frontReader, head: head)
            let image = try imageKind(frontReader, after: front)
            imageHead = image.head
            let legacy = LegacyReader(input: input, width: image.width, allowZeroCopy: allowZeroCopy)
            let layout = try convertHeader(image, legacy)
            let body = try convertBody(image, legacy)
            var tail = TailSummary()
            if let pv = layout.pv {
                tail.unmappedPFNs = try convertPVTail(image, legacy, pv, onlineVCPUs: body.onlineVCPUs)
            } else {
                tail.hvmParams = try convertHVMTail(legacy)
            }
            if isLibxl && !body.xenstoreData.isEmpty { try libxl.emulatorXenstoreData(body.xenstoreData) }
            if !image.isPV && (isLibxl || !options.skipQemu) {
                (tail.deviceModelSignature, tail.deviceModelBytes) = try convertDeviceModel(legacy)
            }
            if isLibxl { try libxl.end() }
            try records.flush()
            try input.releaseUnread()
            let report = ConversionReport(
                options: options, front: front, image: image, layout: layout, body: body, tail: tail,
                recordsWritten: records.counts, bytesRead: input.offset, bytesWritten: records.bytesWritten)
            return ConversionResult(report: report, config: front.config)
        } catch {
            throw ConversionFailure(error: error, head: head, imageHead: imageHead, options: options)
        }
    }
}
