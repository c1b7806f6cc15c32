// libFuzzer target: the legacy reader and converter.
//
// The first input byte chooses how the rest is converted, so one target
// covers every mode (see Sources/FuzzSupport); the rest is the legacy image.
// Any outcome is fine except a crash, a hang, a leak or unbounded memory:
// those are what libFuzzer reports. A stream the converter accepts must
// also be one the verifier can read to the end without crashing.
import FuzzSupport
import XenMigration

#if canImport(Glibc)
    import Glibc
#endif

/// FUZZ_ROUNDTRIP=1: print each new kind of verifier complaint about a
/// converted stream (a survey, not a failure: some legacy inputs convert,
/// as the reference converts them, into streams the verifier rejects).
let surveyRoundTrip = getenv("FUZZ_ROUNDTRIP") != nil
nonisolated(unsafe) var complaintsSeen = Set<String>()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let mode = ConvertMode(data[0])
    let image = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let sink = MemorySink()
    let converter = LegacyConverter(
        options: mode.options, reader: mode.reader(for: image),
        writer: StreamWriter(sink), verbose: mode.verboseSink)
    let report: ConversionReport
    do {
        report = try converter.run()
    } catch {
        return 0
    }
    // Converted: the output must stream through the verifier too.
    let format = report.verifyFormat
    do {
        try StreamVerifier.verify(
            reader: StreamReader(MemorySource(sink.bytes)), format: format,
            verbose: mode.verboseSink)
    } catch {
        if surveyRoundTrip,
            complaintsSeen.insert(String(error.message.prefix(while: { !$0.isNumber }))).inserted
        {
            fputs("ROUNDTRIP mode 0x\(String(data[0], radix: 16)): \(error)\n", stderr)
        }
    }
    return 0
}
