import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Paths the tests need: the package root, the fixtures, the built tools.
enum Paths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let fixtures: URL = packageRoot.appendingPathComponent("Tests/XenMigrationTests/Fixtures")

    /// The directory of the running test binary: swift test builds the
    /// command-line tools beside it.
    static let binDir: URL = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On Linux the test binary may sit inside a .xctest bundle directory.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("convert-legacy-stream").path),
              dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()

    static var converter: String { binDir.appendingPathComponent("convert-legacy-stream").path }
    /// The verifier is a link to the converter (one multi-call program).
    static var verifier: String { VerifierLink.path }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("xen-legacy-stream-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Result of running a tool.
struct RunResult {
    var status: Int32
    /// Set when the process died by a signal.
    var signal: Int32?
    var stdout: [UInt8]
    var stderr: [UInt8]
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Spawns a tool with posix_spawn: stdin from bytes or a file, stdout and
/// stderr collected, and extra descriptors inherited under chosen numbers
/// (as libxl passes `--in N --out M`).
enum Spawn {
    /// Held while pipes are made and children spawned, so no child inherits
    /// another test's pipe end (which would keep it from seeing end of file).
    static let lock = NSLock()

    /// A pipe whose ends are closed in spawned children unless dup2'ed.
    static func pipePair() -> [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return unlockedPipe()
    }

    /// A test feeding a child that stops reading must see EPIPE, not die:
    /// the test process ignores SIGPIPE, and children get it back at its
    /// default (see `withDefaultSignals`), so tools are tested as users run them.
    static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    static func withDefaultSignals<T>(_ body: (UnsafePointer<posix_spawnattr_t>) -> T) -> T {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &set)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF))
        return withUnsafePointer(to: &attr) { body($0) }
    }

    static func unlockedPipe() -> [Int32] {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return fds }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return fds
    }

    static func run(_ path: String, _ arguments: [String], stdin: [UInt8]? = nil,
                    stdinFile: String? = nil, inherit: [(source: Int32, target: Int32)] = [],
                    environment: [String: String] = [:], timeout: Double = 60) throws -> RunResult {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        lock.lock()
        var locked = true
        defer { if locked { lock.unlock() } }
        var inPipe: [Int32] = [-1, -1]
        let outPipe = unlockedPipe()
        let errPipe = unlockedPipe()
        guard outPipe[0] >= 0, errPipe[0] >= 0 else { throw POSIXError(.EMFILE) }
        var stdinFD: Int32 = -1
        if let stdinFile {
            stdinFD = open(stdinFile, O_RDONLY | O_CLOEXEC)
        } else {
            inPipe = unlockedPipe()
            guard inPipe[0] >= 0 else { throw POSIXError(.EMFILE) }
            stdinFD = inPipe[0]
        }
        posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for (source, target) in inherit {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        Spawn.ignoreSIGPIPE
        let rc = Spawn.withDefaultSignals { posix_spawn(&pid, path, &actions, $0, argv, envp) }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }

        close(outPipe[1])
        close(errPipe[1])
        if stdinFile != nil { close(stdinFD) } else { close(inPipe[0]) }
        lock.unlock()
        locked = false

        // Feed stdin and drain both outputs on helper threads.
        let writeEnd = inPipe[1]
        let feeder = Thread {
            if let bytes = stdin, writeEnd >= 0 {
                bytes.withUnsafeBytes { raw in
                    var done = 0
                    while done < raw.count, let base = raw.baseAddress {
                        let n = write(writeEnd, base + done, raw.count - done)
                        if n <= 0 { break }
                        done += n
                    }
                }
            }
            if writeEnd >= 0 { close(writeEnd) }
        }
        feeder.start()
        let out = Drain(outPipe[0])
        let err = Drain(errPipe[0])

        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                Issue.record("\(path) timed out after \(timeout)s")
                break
            }
            usleep(2000)
        }
        let stdoutBytes = out.finish()
        let stderrBytes = err.finish()
        let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        return RunResult(status: signaled ? -1 : (status >> 8) & 0xff,
                         signal: signaled ? status & 0x7f : nil,
                         stdout: stdoutBytes, stderr: stderrBytes)
    }
}

/// Reads a descriptor to end of file on a background thread.
final class Drain: @unchecked Sendable {
    private let fd: Int32
    private var bytes: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ fd: Int32) {
        self.fd = fd
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                bytes.append(contentsOf: buffer[0..<n])
            }
            close(fd)
            done.signal()
        }.start()
    }

    func finish() -> [UInt8] {
        done.wait()
        return bytes
    }
}

/// Splits a vector's one-line `args` file as a shell would (no quoting is used).
func splitArgs(_ line: String) -> [String] {
    line.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
}
