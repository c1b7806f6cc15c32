import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Output that fails or goes away, and signals while output is blocked:
/// exit 1 with the reason, never death by SIGPIPE, gone within a second of
/// SIGTERM.
@Suite("Output faults")
struct OutputFaultTests {
    static let vector = "pv32-xsave-vcpus70"  // the largest output: 370 KB

    @Test(
        "writing to /dev/full exits 1 with 'No space left on device'",
        arguments: ["path", "stdout", "descriptor"])
    func deviceFull(_ how: String) throws {
        let (input, args) = try loadVector("convert", Self.vector)
        _ = input
        let path = Vector(kind: "convert", name: Self.vector).file("input.legacy").path
        let full = try openFile("/dev/full", O_WRONLY)
        defer { close(full) }
        let errPipe = Spawn.pipePair()
        var descriptors: [(Int32, Int32)] = [(errPipe[1], 2)]
        let out: [String]
        switch how {
        case "path": out = ["-o", "/dev/full"]
        case "stdout":
            out = ["-o", "-"]
            descriptors.append((full, 1))
        default:
            out = ["--out", "5"]
            descriptors.append((full, 5))
        }
        let child = try Child(
            Paths.converter, ["-i", path] + out + args.filter { $0 != "-v" },
            descriptors: descriptors)
        close(errPipe[1])
        let stderr = Drain(errPipe[0])
        let exit = try #require(child.wait(timeout: 20))
        let text = String(decoding: stderr.finish(), as: UTF8.self)
        #expect(exit.signal == nil)
        #expect(exit.status == 1)
        #expect(text.hasPrefix("Stream Error: ") && text.contains("No space left on device"), "\(text)")
    }

    @Test("a reader that closes the pipe early: exit 1, not death by SIGPIPE", arguments: [0, 1000])
    func earlyClose(readFirst: Int) throws {
        // More output than the converter's enlarged (1 MiB) output pipe holds.
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("in").path
        try Build.hvm(contextLength: 4 << 20).write(to: path)
        let args = ["-w", "64", "-g", "hvm", "-f", "libxl"]
        let outPipe = Spawn.pipePair()
        let errPipe = Spawn.pipePair()
        if readFirst == 0 { close(outPipe[0]) }
        let child = try Child(
            Paths.converter, ["-i", path, "-o", "-"] + args,
            descriptors: [(outPipe[1], 1), (errPipe[1], 2)])
        close(outPipe[1])
        close(errPipe[1])
        let stderr = Drain(errPipe[0])
        if readFirst > 0 {
            // Take the first bytes, then hang up, as a failed restore does.
            var buffer = [UInt8](repeating: 0, count: readFirst)
            var got = 0
            while got < readFirst {
                let n = buffer.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress! + got, readFirst - got) }
                if n <= 0 { break }
                got += n
            }
            #expect(got == readFirst)
            close(outPipe[0])
        }
        let exit = try #require(child.wait(timeout: 20))
        let text = String(decoding: stderr.finish(), as: UTF8.self)
        #expect(exit.signal == nil, "killed by signal \(exit.signal ?? 0)")
        #expect(exit.status == 1)
        #expect(text.hasPrefix("Stream Error: ") && text.contains("Broken pipe"), "\(text)")
    }

    @Test("verify-stream-v2 -v with its standard output closed is not killed by SIGPIPE")
    func verifierClosedStdout() throws {
        let path = Vector(kind: "verify", name: "pv32-xsave-vcpus70").file("stream").path
        let outPipe = Spawn.pipePair()
        close(outPipe[0])
        let child = try Child(Paths.verifier, ["-v", "-i", path], descriptors: [(outPipe[1], 1)])
        close(outPipe[1])
        let exit = try #require(child.wait(timeout: 20))
        #expect(exit.signal == nil, "killed by signal \(exit.signal ?? 0)")
        #expect(exit.status == 0)
    }

    @Test(
        "SIGTERM while blocked writing to a pipe nobody reads (libxl's --in/--out descriptors): gone within a second",
        arguments: ["write", "sendfile"])
    func sigtermBlockedOnOutput(_ how: String) throws {
        // A 64 MiB HVM context: far more than the (enlarged) output pipe
        // holds. "sendfile" moves it file to pipe inside the kernel; "write"
        // forces plain writes.
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("in").path
        try Build.hvm(contextLength: 64 << 20).write(to: path)
        let args = ["-w", "64", "-g", "hvm", "-f", "libxl"]
        let input = try openFile(path, O_RDONLY)
        defer { close(input) }
        let outPipe = Spawn.pipePair()
        defer { close(outPipe[0]) }
        let child = try Child(
            Paths.converter, ["--in", "4", "--out", "5"] + args, descriptors: [(input, 4), (outPipe[1], 5)],
            environment: how == "write" ? ["XEN_STREAM_NO_ZEROCOPY": "1"] : [:])
        close(outPipe[1])
        // The event: the converter sleeps writing to the full pipe.
        #expect(child.waitUntilBlocked(in: Child.Call.writing, on: 5, timeout: 20))
        var queued: Int32 = 0
        _ = ioctl(outPipe[0], UInt(FIONREAD), &queued)
        #expect(queued >= 65536)
        child.send(SIGTERM)
        let exit = try #require(child.wait(timeout: 1), "still running a second after SIGTERM")
        #expect(exit.status != 0)
    }

    @Test("verify-stream-v2 waiting for input stops at SIGTERM within a second")
    func sigtermVerifier() throws {
        let inPipe = Spawn.pipePair()
        let child = try Child(Paths.verifier, ["-f", "libxl"], descriptors: [(inPipe[0], 0)])
        close(inPipe[0])
        defer { close(inPipe[1]) }
        _ = write(inPipe[1], "LibxlFmt", 8)
        // The event: it took those bytes and sleeps reading for more.
        #expect(child.waitUntilBlocked(in: Child.Call.reading, on: 0, timeout: 20))
        child.send(SIGTERM)
        let exit = try #require(child.wait(timeout: 1), "still running a second after SIGTERM")
        #expect(exit.status != 0)
    }

    @Test("SIGTERM while waiting for input, writing a file: gone within a second, nothing left behind")
    func sigtermFileOutput() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, args) = try loadVector("convert", "hvm64-libxl")
        let inPipe = Spawn.pipePair()
        let out = dir.appendingPathComponent("restore.img").path
        let child = try Child(
            Paths.converter, ["-i", "-", "-o", out] + args.filter { $0 != "-v" },
            descriptors: [(inPipe[0], 0)])
        close(inPipe[0])
        defer { close(inPipe[1]) }
        input.withUnsafeBytes { _ = write(inPipe[1], $0.baseAddress, 40000) }
        // The event: the conversion is under way (its output's temporary
        // file is there) and sleeps reading the rest of its input.
        #expect(child.waitUntilBlocked(in: Child.Call.reading, on: 0, timeout: 20))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 1)
        child.send(SIGTERM)
        let exit = try #require(child.wait(timeout: 1), "still running a second after SIGTERM")
        #expect(exit.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
