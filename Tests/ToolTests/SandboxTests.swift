import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// The tools confine themselves with seccomp once their files are open
// (Sources/XenMigrationCLI/Sandbox.swift, the allowlist in
// Sources/CXenPlatform/sandbox.c). These tests look at the running tool
// from outside: its /proc status, what a confined tool may still do, and
// that it needs no /proc of its own.

/// Which tool, with which input and arguments.
enum SandboxedTool: String, CaseIterable, CustomTestStringConvertible {
    case converter, verifier
    var testDescription: String { rawValue }

    var path: String { self == .converter ? Paths.converter : Paths.verifier }

    /// Arguments for input on `input` and output on `output` (descriptor numbers).
    func arguments(input: String, output: String) -> [String] {
        self == .converter
            ? ["--in", input, "--out", output, "-w", "64", "-g", "hvm", "-f", "libxl"]
            : ["-i", input, "-f", "libxl"]
    }

    /// The input and what the tool writes from it.
    var fixture: (input: [UInt8], output: [UInt8])? {
        guard let fixture = TransferPathTests.fixture,
            let legacy = try? [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture.input)))
        else { return nil }
        return self == .converter ? (legacy, fixture.expected) : (fixture.expected, [])
    }
}

@Suite("Sandbox")
struct SandboxTests {
    /// A pipe or socket pair, close-on-exec: (read end, write end).
    static func channel(socket: Bool) -> (Int32, Int32) {
        Spawn.lock.lock()
        defer { Spawn.lock.unlock() }
        var fds: [Int32] = [-1, -1]
        if socket {
            _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
        } else {
            _ = pipe(&fds)
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// The tool's `NoNewPrivs` and `Seccomp` lines while it waits on a pipe
    /// in the middle of the stream; the run is then finished and checked.
    func statusMidStream(
        _ tool: SandboxedTool, extra: [String] = [], environment: [String: String] = [:]
    ) throws -> [String] {
        let fixture = try #require(tool.fixture)
        let (inRead, inWrite) = SandboxTests.channel(socket: false)
        let (outRead, outWrite) = SandboxTests.channel(socket: false)
        let errFDs = Spawn.pipePair()
        defer { close(inRead) }
        let child = try Child(
            tool.path, tool.arguments(input: "4", output: "5") + extra,
            descriptors: [(inRead, 4), (outWrite, 5), (errFDs[1], 2)], environment: environment)
        close(outWrite)
        close(errFDs[1])
        let output = Drain(outRead)
        let errors = Drain(errFDs[0])

        // Part of the stream; once the tool sleeps reading for more, it is
        // past its set-up.
        let half = fixture.input.count / 2
        writeAll(inWrite, fixture.input[..<half])
        #expect(child.waitUntilBlocked(in: Child.Call.reading, on: 4, timeout: 20))
        let status = (try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8)) ?? ""
        writeAll(inWrite, fixture.input[half...])
        close(inWrite)
        let result = try #require(child.wait(timeout: 60))
        let written = output.finish()
        let stderr = String(decoding: errors.finish(), as: UTF8.self)
        #expect(result.status == 0, "\(stderr)")
        #expect(written == fixture.output)
        return status.split(separator: "\n").map(String.init).filter {
            $0.hasPrefix("NoNewPrivs:") || $0.hasPrefix("Seccomp:")
        }
    }

    @Test("confined mid-stream: NoNewPrivs 1, Seccomp 2 (filter)", arguments: SandboxedTool.allCases)
    func confined(_ tool: SandboxedTool) throws {
        let lines = try statusMidStream(tool)
        #expect(lines.contains { $0.hasPrefix("NoNewPrivs:") && $0.hasSuffix("\t1") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("Seccomp:") && $0.hasSuffix("\t2") }, "\(lines)")
    }

    @Test("--no-sandbox and XEN_STREAM_NO_SANDBOX=1: Seccomp 0", arguments: SandboxedTool.allCases)
    func unconfined(_ tool: SandboxedTool) throws {
        for lines in [
            try statusMidStream(tool, extra: ["--no-sandbox"]),
            try statusMidStream(tool, environment: ["XEN_STREAM_NO_SANDBOX": "1"]),
        ] {
            #expect(lines.contains { $0.hasPrefix("Seccomp:") && $0.hasSuffix("\t0") }, "\(lines)")
        }
    }

    #if DEBUG
        // The probe exists only in debug builds of the tool (Sandbox.swift):
        // once confined, it attempts each call itself and prints the errno.
        @Test("confined, the tool cannot open, make sockets, run programs, fork or map code")
        func refused() throws {
            let fixture = try #require(TransferPathTests.fixture)
            let probes = ["openat", "socket", "execve", "fork", "exec-memory"]
            for tool in [Paths.converter, Paths.verifier] {
                let arguments =
                    tool == Paths.converter
                    ? ["--auto", "--dry-run", "-i", fixture.input] : ["-f", "libxl", "-i", fixture.input]
                let confined = try Spawn.run(
                    tool, arguments, environment: ["XEN_STREAM_SANDBOX_PROBE": probes.joined(separator: ",")])
                #expect(confined.status == 0, "\(confined.stderrText)")
                #expect(confined.stderrText == probes.map { "probe \($0): \(EPERM)\n" }.joined())
            }
        }

        @Test("a call through the x32 ABI kills the confined tool (SIGSYS)")
        func foreignABI() throws {
            let fixture = try #require(TransferPathTests.fixture)
            let result = try Spawn.run(
                Paths.converter, ["--auto", "--dry-run", "-i", fixture.input],
                environment: ["XEN_STREAM_SANDBOX_PROBE": "x32"])
            #expect(result.signal == SIGSYS, "\(result.status.map(String.init) ?? "-") \(result.stderrText)")
        }
    #endif

    /// unshare(1) can give the test a mount namespace (it needs root).
    static let canUnmountProc =
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")

    @Test(
        "without /proc: --version and a real conversion and verification work",
        .enabled(if: canUnmountProc, "needs root for a mount namespace"))
    func withoutProc() throws {
        let fixture = try #require(TransferPathTests.fixture)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        // A private mount namespace whose /proc is unmounted, then the tool.
        func run(_ tool: String, _ arguments: [String]) throws -> RunResult {
            try Spawn.run(
                "/usr/bin/unshare",
                ["-m", "sh", "-c", "umount -l /proc && test ! -e /proc/self && exec \"$@\"", "sh", tool] + arguments)
        }
        let version = try run(Paths.converter, ["--version"])
        #expect(version.status == 0 && version.stdoutText == "convert-legacy-stream 1.0.0\n", "\(version.stderrText)")
        let verifierVersion = try run(Paths.verifier, ["--version"])
        #expect(verifierVersion.stdoutText == "verify-stream-v2 1.0.0\n", "\(verifierVersion.stderrText)")
        let converted = try run(
            Paths.converter, ["-i", fixture.input, "-o", out, "-w", "64", "-g", "hvm", "-f", "libxl"])
        #expect(converted.status == 0, "\(converted.stderrText)")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: out))) == fixture.expected)
        let verified = try run(Paths.verifier, ["-f", "libxl", "-i", out])
        #expect(verified.status == 0, "\(verified.stderrText)")
    }
}
