import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Input that comes slowly, cannot be read or cannot be opened, through the
/// built tools.
@Suite("Input faults through the tools")
struct InputFaultToolTests {
    @Test("convert-legacy-stream fed one byte per write, stopped and continued: exact output")
    func oneBytePerWrite() throws {
        let vector = Vector(kind: "convert", name: "hvm64-libxl")
        let input = try #require(vector.bytes("input.legacy"))
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let inPipe = Spawn.pipePair()
        let child = try Child(
            Paths.converter, ["-i", "-", "-o", out] + vector.args.filter { $0 != "-v" },
            descriptors: [(inPipe[0], 0)])
        close(inPipe[0])
        input.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            for i in 0..<raw.count {
                while write(inPipe[1], base + i, 1) < 0 && errno == EINTR {}
                if i % 20000 == 10000 {
                    child.send(SIGSTOP)
                    usleep(5000)
                    child.send(SIGCONT)
                }
            }
        }
        close(inPipe[1])
        let exit = try #require(child.wait(timeout: 30))
        #expect(exit.status == 0)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: out))).map { [UInt8]($0) } == vector.bytes("expected.out"))
    }

    @Test(
        "an input that cannot be read or opened: exit 1 and one message",
        arguments: [
            ("/proc/self/mem", "Read error: Input/output error"),
            ("descriptor opened write-only", "Read error: Bad file descriptor"),
            ("a directory", "Is a directory"),
            ("a missing file", "No such file or directory"),
        ])
    func unreadable(_ input: String, _ message: String) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writeOnly = try openFile(dir.appendingPathComponent("w").path, O_WRONLY | O_CREAT)
        defer { close(writeOnly) }
        let errPipe = Spawn.pipePair()
        var descriptors: [(Int32, Int32)] = [(errPipe[1], 2)]
        let argument: String
        switch input {
        case "descriptor opened write-only":
            argument = "7"
            descriptors.append((writeOnly, 7))
        case "a directory": argument = dir.path
        case "a missing file": argument = dir.appendingPathComponent("missing").path
        default: argument = input
        }
        let child = try Child(
            Paths.converter, ["-i", argument, "-o", "/dev/null", "-w", "64", "-g", "hvm"],
            descriptors: descriptors)
        close(errPipe[1])
        let stderr = Drain(errPipe[0])
        let exit = try #require(child.wait(timeout: 20))
        let text = String(decoding: stderr.finish(), as: UTF8.self)
        #expect(exit.signal == nil && exit.status == 1, "\(text)")
        #expect(text.contains(message) && text.split(separator: "\n").count == 1, "\(text)")
    }

    @Test("a file without read permission: exit 1")
    func noPermission() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        chmod(dir.path, 0o755)
        let path = dir.appendingPathComponent("secret").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        chmod(path, 0)
        let arguments = ["-i", path, "-o", "/dev/null", "-w", "64", "-g", "hvm"]
        // Root reads any file: run the tool as nobody instead (CI is root).
        let (exit, stderr) =
            geteuid() == 0
            ? try runTool(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", Paths.converter]
                    + arguments)
            : try runTool(Paths.converter, arguments)
        #expect(exit?.status == 1 && stderr.contains("Permission denied"), "\(stderr)")
    }

    @Test("verify-stream-v2: a read error exits 1; an input it cannot open exits 2, as Xen's does")
    func verifierInputs() throws {
        let unreadable = try runTool(Paths.verifier, ["-i", "/proc/self/mem"])
        #expect(
            unreadable.exit?.status == 1 && unreadable.stderr.contains("Input/output error"), "\(unreadable.stderr)")
        let directory = try runTool(Paths.verifier, ["-i", "/"])
        #expect(directory.exit?.status == 2 && directory.stderr.contains("Is a directory"), "\(directory.stderr)")
    }
}
