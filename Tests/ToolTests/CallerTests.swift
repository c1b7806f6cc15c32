import Foundation
import TestSupport
import Testing
import XenMigration

#if canImport(Glibc)
    import Glibc
#endif

// The tools as their callers run them: on a descriptor the caller shares
// and reads on after the tool exits (xenopsd reads the device model record
// that follows the stream; libxl and `xl migrate` keep the socket). A known
// trailer follows the stream; after the tool exits, the test reads the rest
// of the same descriptor and expects exactly what the tool did not need.

/// How the stream reaches the tool.
enum CallerInput: String, CaseIterable, CustomTestStringConvertible {
    case file, pipe, socket, stdin
    var testDescription: String { rawValue }
}

/// What a caller-style run left behind.
struct CallerRun {
    var status: Int32
    var output: [UInt8]
    var stderr: String
    /// Everything the test could read from the input after the tool exited.
    var leftover: [UInt8]
}

/// Bytes a caller puts after the stream, to be read back whole.
let callerTrailer: [UInt8] =
    Array("TRAILER: the rest of this descriptor belongs to the caller.\n".utf8)
    + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }

/// Runs `tool` with the input on descriptor 4 (0 for `.stdin`) and the
/// output on descriptor 5; `arguments` gets the two numbers. With
/// `keepOpen` the sender never closes its end (pipe and socket only).
func runAsCaller(
    _ tool: String, input bytes: [UInt8], via kind: CallerInput, keepOpen: Bool = false,
    _ arguments: (_ input: String, _ output: String) -> [String]
) throws -> CallerRun {
    var ours: Int32 = -1  // our end of the input, read back afterwards
    var theirs: Int32 = -1  // the tool's end
    var feederEnd: Int32 = -1  // where a feeder thread writes (pipe, socket)
    Spawn.lock.lock()
    switch kind {
    case .file:
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("caller-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        theirs = open(path, O_RDONLY | O_CLOEXEC)
        unlink(path)
        ours = theirs
    case .pipe, .stdin:
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        theirs = fds[0]
        ours = fds[0]
        feederEnd = fds[1]
    case .socket:
        var fds: [Int32] = [-1, -1]
        _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        theirs = fds[0]
        ours = fds[0]
        feederEnd = fds[1]
    }
    var outFDs: [Int32] = [-1, -1]
    _ = pipe(&outFDs)
    for fd in outFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    Spawn.lock.unlock()
    #expect(theirs >= 0 && outFDs[0] >= 0)
    defer {
        close(ours)
        if feederEnd >= 0 && keepOpen { close(feederEnd) }
    }

    // The sender: writes the stream and trailer, then closes unless told not to.
    let fed = DispatchSemaphore(value: 0)
    if feederEnd >= 0 {
        let end = feederEnd
        Thread {
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count, let base = raw.baseAddress {
                    let n = write(end, base + done, raw.count - done)
                    if n <= 0 { break }
                    done += n
                }
            }
            if !keepOpen { close(end) }
            fed.signal()
        }.start()
    } else {
        fed.signal()
    }
    let output = Drain(outFDs[0])
    let inputName = kind == .stdin ? "0" : "4"
    let inherit: [(source: Int32, target: Int32)] = [(theirs, kind == .stdin ? 0 : 4), (outFDs[1], 5)]
    let result = try Spawn.run(tool, arguments(inputName, "5"), inherit: inherit, timeout: 30)
    close(outFDs[1])
    let written = output.finish()

    // Read back the rest: to end of input, or (sender still open) exactly
    // the trailer's length, waiting at most a few seconds.
    var leftover: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
        if keepOpen && leftover.count >= callerTrailer.count { break }
        var poller = pollfd(fd: ours, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 100) > 0 else { continue }
        let n = buffer.withUnsafeMutableBytes { read(ours, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        leftover += buffer[0..<n]
    }
    fed.wait()
    return CallerRun(status: result.status ?? -1, output: written, stderr: result.stderrText, leftover: leftover)
}

/// The legacy input of a conformance vector.
private func vectorInput(_ name: String) throws -> [UInt8] {
    try #require(Vector(kind: "convert", name: name).bytes("input.legacy"))
}

/// What the library writes for `input` under `options`, and how many input
/// bytes that conversion consumed.
private func expectedConversion(_ input: [UInt8], _ options: ConversionOptions) throws -> (
    output: [UInt8], consumed: Int
) {
    let sink = MemorySink()
    let report = try LegacyConverter(
        options: options, reader: StreamReader(MemorySource(input)),
        writer: StreamWriter(sink)
    ).run()
    return (sink.bytes, Int(report.bytesRead))
}

@Suite("Callers: the tools read exactly the stream from a shared descriptor")
struct CallerTests {
    /// xenopsd's restore of an image from an older 32-bit host.
    static func xenopsdArguments(guest: String) -> (String, String) -> [String] {
        { input, output in
            [
                "--in", input, "--out", output, "--width", "32", "--skip-qemu", "--guest-type", guest, "--syslog",
                "--verbose",
            ]
        }
    }

    @Test(
        "xenopsd, HVM with a device model record: the record and the trailer stay unread",
        arguments: CallerInput.allCases)
    func xenopsdHVM(_ kind: CallerInput) throws {
        let image = try vectorInput("hvm32-libxc")
        let options = ConversionOptions(width: .bits32, guest: .hvm, skipQemu: true)
        let expected = try expectedConversion(image, options)
        #expect(expected.consumed < image.count, "the vector has a device model record")
        let run = try runAsCaller(
            Paths.converter, input: image + callerTrailer, via: kind,
            Self.xenopsdArguments(guest: "hvm"))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.output == expected.output)
        #expect(run.leftover == Array(image[expected.consumed...]) + callerTrailer)
    }

    @Test(
        "xenopsd, HVM without a device model record, and PV: the trailer stays unread",
        arguments: CallerInput.allCases)
    func xenopsdNoDeviceModelAndPV(_ kind: CallerInput) throws {
        let hvm = try vectorInput("hvm32-libxc")
        let hvmOptions = ConversionOptions(width: .bits32, guest: .hvm, skipQemu: true)
        let cut = try expectedConversion(hvm, hvmOptions)
        let bare = Array(hvm[..<cut.consumed])
        let run = try runAsCaller(
            Paths.converter, input: bare + callerTrailer, via: kind,
            Self.xenopsdArguments(guest: "hvm"))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.output == cut.output)
        #expect(run.leftover == callerTrailer)

        let pv = try vectorInput("pv32-libxc")
        let pvExpected = try expectedConversion(pv, ConversionOptions(width: .bits32, guest: .pv, skipQemu: true))
        #expect(pvExpected.consumed == pv.count)
        let pvRun = try runAsCaller(
            Paths.converter, input: pv + callerTrailer, via: kind,
            Self.xenopsdArguments(guest: "pv"))
        #expect(pvRun.status == 0, "\(pvRun.stderr)")
        #expect(pvRun.output == pvExpected.output)
        #expect(pvRun.leftover == callerTrailer)
    }

    @Test(
        "libxl, libxl output for HVM and PV: the trailer after the stream stays unread",
        arguments: CallerInput.allCases)
    func libxl(_ kind: CallerInput) throws {
        for (name, guest) in [("hvm64-libxl", "hvm"), ("pv64-libxl", "pv")] {
            let vector = Vector(kind: "convert", name: name)
            let image = try #require(vector.bytes("input.legacy"))
            let run = try runAsCaller(Paths.converter, input: image + callerTrailer, via: kind) { input, output in
                ["--in", input, "--out", output, "--width", "64", "--guest", guest, "--format", "libxl"]
            }
            #expect(run.status == 0, "\(name): \(run.stderr)")
            #expect(run.output == vector.bytes("expected.out"), "\(name)")
            #expect(run.leftover == callerTrailer, "\(name)")
        }
    }

    @Test("one-page batches from a pipe or socket: exact, and the same bytes", arguments: [CallerInput.pipe, .socket])
    func batchOfOne(_ kind: CallerInput) throws {
        let vector = Vector(kind: "convert", name: "hvm32-batch1")
        let image = try #require(vector.bytes("input.legacy"))
        let run = try runAsCaller(Paths.converter, input: image + callerTrailer, via: kind) { input, output in
            ["-i", input, "-o", output, "-w", "32", "-g", "hvm"]
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.output == vector.bytes("expected.out"))
        #expect(run.leftover == callerTrailer)
    }

    @Test("verify-stream-v2 stops at the END record: the trailer stays unread", arguments: CallerInput.allCases)
    func verifier(_ kind: CallerInput) throws {
        for name in ["pv32-libxc", "hvm64-libxl"] {
            let vector = Vector(kind: "verify", name: name)
            let stream = try #require(vector.bytes("stream"))
            let run = try runAsCaller(Paths.verifier, input: stream + callerTrailer, via: kind) { input, _ in
                ["-i", input] + vector.args.filter { $0 != "-v" }
            }
            #expect(run.status == 0, "\(name): \(run.stderr)")
            #expect(run.leftover == callerTrailer, "\(name)")
        }
    }

    @Test(
        "a sender that never closes: the tools finish without waiting for end of input",
        arguments: [CallerInput.pipe, .socket])
    func senderKeepsOpen(_ kind: CallerInput) throws {
        let image = try vectorInput("hvm64-libxl")
        let started = Date()
        let run = try runAsCaller(Paths.converter, input: image + callerTrailer, via: kind, keepOpen: true) {
            input, output in ["--in", input, "--out", output, "--width", "64", "--guest", "hvm", "--format", "libxl"]
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.leftover == callerTrailer)
        #expect(Date().timeIntervalSince(started) < 10)

        let stream = try #require(Vector(kind: "verify", name: "pv32-libxc").bytes("stream"))
        let verified = try runAsCaller(Paths.verifier, input: stream + callerTrailer, via: kind, keepOpen: true) {
            input, _ in ["-i", input]
        }
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.leftover == callerTrailer)
    }
}
