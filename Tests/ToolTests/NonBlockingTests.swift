import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// A caller may hand over descriptors with O_NONBLOCK set (the flag belongs
// to the open file, shared by every process holding it; event-loop
// toolstacks set it on their own sockets). The tools must then wait with
// poll(2) on EAGAIN, never change the flag, and write exactly the same bytes.

@Suite("Non-blocking descriptors")
struct NonBlockingTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case file, pipe, socket
        var testDescription: String { rawValue }
    }

    /// Sets O_NONBLOCK on `fd`; returns the flags it then has.
    static func makeNonBlocking(_ fd: Int32) -> Int32 {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fcntl(fd, F_GETFL)
    }

    /// Runs `tool` with its input on descriptor 4 and its output on 5, both
    /// non-blocking; a pipe or socket input is fed slowly, the output
    /// drained slowly. Returns the exit status, stderr and what was written.
    static func run(_ tool: SandboxedTool, input kind: Kind, output outKind: Kind) throws -> (
        Int32?, String, [UInt8]
    ) {
        let fixture = try #require(tool.fixture)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }

        var toolIn: Int32
        var feeder: Int32 = -1
        if kind == .file {
            let path = dir.appendingPathComponent("in").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(fixture.input))
            toolIn = try openFile(path, O_RDONLY)
        } else {
            (toolIn, feeder) = SandboxTests.channel(socket: kind == .socket)
        }
        let (drainEnd, toolOut) =
            outKind == .socket ? SandboxTests.channel(socket: true) : SandboxTests.channel(socket: false)
        let inFlags = makeNonBlocking(toolIn)
        let outFlags = makeNonBlocking(toolOut)
        #expect(inFlags & O_NONBLOCK != 0 && outFlags & O_NONBLOCK != 0)
        let errFDs = Spawn.pipePair()

        let child = try Child(
            tool.path, tool.arguments(input: "4", output: "5"),
            descriptors: [(toolIn, 4), (toolOut, 5), (errFDs[1], 2)])
        close(toolOut)
        close(errFDs[1])
        let errors = Drain(errFDs[0])

        // Slowly in: 16 KiB at a time, a pause after each.
        let fed = DispatchSemaphore(value: 0)
        if feeder >= 0 {
            let end = feeder
            Thread {
                var at = 0
                while at < fixture.input.count {
                    let next = min(at + 16384, fixture.input.count)
                    writeAll(end, fixture.input[at..<next])
                    at = next
                    usleep(300)
                }
                close(end)
                fed.signal()
            }.start()
        } else {
            fed.signal()
        }
        // Slowly out: 8 KiB reads with a pause.
        var written: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(drainEnd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            written += buffer[0..<n]
            usleep(200)
        }
        close(drainEnd)
        let result = try #require(child.wait(timeout: 60))
        fed.wait()
        // The flags are the caller's: still non-blocking afterwards.
        #expect(fcntl(toolIn, F_GETFL) & O_NONBLOCK != 0)
        close(toolIn)
        return (result.status, String(decoding: errors.finish(), as: UTF8.self), written)
    }

    @Test(
        "the converter: non-blocking input fed slowly, non-blocking output drained slowly",
        arguments: Kind.allCases, [Kind.pipe, .socket])
    func converter(input: Kind, output: Kind) throws {
        let expected = try #require(SandboxedTool.converter.fixture).output
        let (status, stderr, written) = try NonBlockingTests.run(.converter, input: input, output: output)
        #expect(status == 0, "\(stderr)")
        #expect(stderr.isEmpty)
        #expect(written.count == expected.count && written == expected)
    }

    @Test("the verifier: non-blocking input fed slowly", arguments: Kind.allCases)
    func verifier(input: Kind) throws {
        let (status, stderr, _) = try NonBlockingTests.run(.verifier, input: input, output: .pipe)
        #expect(status == 0, "\(stderr)")
        #expect(stderr.isEmpty)
    }
}
