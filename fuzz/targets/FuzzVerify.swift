// libFuzzer target: the v2/v3 stream verifier (libxc, libxl and xl input).
// The first input byte chooses the format and reader behaviour (see
// Sources/FuzzSupport); the rest is the stream.
import FuzzSupport
import XenMigration

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let mode = VerifyMode(data[0])
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    _ = try? StreamVerifier.verify(
        reader: mode.reader(for: stream), format: mode.format,
        verbose: mode.verboseSink)
    return 0
}
