import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// The one way the tests start a program. Written with posix_spawn rather than
// swift-subprocess (1.0.2), which cannot express what these tests need on
// Linux: it closes every descriptor from 3 up in the child (a closefrom file
// action) and its Linux PlatformOptions has no preSpawnProcessConfigurator
// (that is Darwin only), so a child cannot inherit a descriptor by number the
// way libxl hands them over (`--in 5 --out 6`); moving those onto 0-2 would
// no longer test what libxl does. Everything else here (default signal
// dispositions, an unblocked mask, signals mid-run, input fed slowly through
// a pipe the test holds) follows from owning the spawn.

/// How a program ended, and what it wrote where that was captured.
package struct RunResult: Sendable {
    /// The exit status; nil when a signal ended it.
    package var status: Int32?
    /// The signal that ended it, if one did.
    package var signal: Int32?
    /// Captured standard output and error (empty when not captured).
    package var stdout: [UInt8] = []
    package var stderr: [UInt8] = []
    /// Peak resident set size, when measured.
    package var maxRSSKiB: Int?
    package var seconds: Double
    /// It ran past its time and was killed (already recorded as an issue).
    package var timedOut = false

    package var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    package var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// A program started in the background with chosen descriptors, then
/// signalled, waited for and, when asked, measured.
///
/// Peak memory comes from GNU time (`/usr/bin/time -f %M`), which forks the
/// program from its own small process. A child spawned straight from the test
/// process cannot be measured: posix_spawn shares the test process's memory
/// until exec, and the kernel carries that memory's high-water mark into the
/// child's ru_maxrss. Without /usr/bin/time the memory is not measured.
package final class Child {
    package static let timeTool = "/usr/bin/time"
    package static let canMeasure = FileManager.default.isExecutableFile(atPath: timeTool)

    package let pid: pid_t
    private let started = Date()
    private var reaped = false
    private let statsPath: String?

    /// `descriptors` maps a descriptor of ours to the number the child sees
    /// (0, 1 and 2 included; those not mapped are the test process's own).
    /// Nothing else is inherited: every descriptor the tests open is
    /// close-on-exec. `environment` is added to the test process's.
    /// Signals sent to a measured child reach GNU time, not the program.
    package init(
        _ path: String, _ arguments: [String], descriptors: [(Int32, Int32)] = [],
        environment: [String: String] = [:], measure: Bool = false
    ) throws {
        Child.ignoreSIGPIPE
        statsPath =
            measure && Child.canMeasure
            ? FileManager.default.temporaryDirectory.appendingPathComponent("rss-\(UUID().uuidString)").path : nil
        let command = statsPath.map { [Child.timeTool, "-f", "%M", "-o", $0, path] + arguments } ?? [path] + arguments

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Copies above every target number, so one mapping cannot overwrite
        // another's source, and dup2 always clears close-on-exec.
        let floor = max(100, (descriptors.map(\.1).max() ?? 0) + 1)
        let copies = descriptors.map { (fcntl($0.0, F_DUPFD_CLOEXEC, floor), $0.1) }
        defer { for (copy, _) in copies { close(copy) } }
        guard copies.allSatisfy({ $0.0 >= 0 }) else { throw POSIXError(.EBADF) }
        for (source, target) in copies { posix_spawn_file_actions_adddup2(&actions, source, target) }

        // Signals as a user's shell leaves them: every one at its default and
        // none blocked, whatever the test process ignores or blocks (it
        // ignores SIGPIPE); else "not killed by SIGPIPE" would prove nothing.
        // And, as a shell does for a job, a process group of its own, so a
        // run past its time goes with everything it started.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = command.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var child: pid_t = 0
        Spawn.lock.lock()
        let rc = posix_spawn(&child, command[0], &actions, &attributes, argv, envp)
        Spawn.lock.unlock()
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        pid = child
    }

    /// A test feeding a child that stops reading must see EPIPE, not die.
    /// Children get SIGPIPE back at its default (see init).
    private static let ignoreSIGPIPE: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    /// Waits up to `timeout` seconds; nil if it is still running then.
    package func wait(timeout: Double) -> RunResult? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return nil }
            if Date() > deadline { return nil }
            usleep(1000)
        }
        reaped = true
        let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        var exit = RunResult(
            status: signaled ? nil : (status >> 8) & 0xff, signal: signaled ? status & 0x7f : nil,
            seconds: Date().timeIntervalSince(started))
        if let statsPath, let stats = try? String(contentsOfFile: statsPath, encoding: .utf8) {
            try? FileManager.default.removeItem(atPath: statsPath)
            // "Command terminated by signal N" comes first when it did.
            let lines = stats.split(separator: "\n")
            if let line = lines.first(where: { $0.hasPrefix("Command terminated by signal ") }) {
                exit.signal = Int32(line.split(separator: " ").last ?? "")
                exit.status = nil
            }
            exit.maxRSSKiB = lines.last.flatMap { Int($0) }
        }
        return exit
    }

    package func send(_ signal: Int32) { _ = kill(pid, signal) }

    /// A system call a child can sleep in: a test waits until the child
    /// sleeps in one, rather than sleeping a while and hoping it does.
    package enum Call: Sendable {
        case read, write, sendfile, splice, tee

        /// The kernel's number for it (`/proc/PID/syscall` gives numbers).
        var number: Int {
            #if arch(x86_64)
                switch self {
                case .read: 0
                case .write: 1
                case .sendfile: 40
                case .splice: 275
                case .tee: 276
                }
            #else  // the generic table (aarch64, riscv64)
                switch self {
                case .read: 63
                case .write: 64
                case .sendfile: 71
                case .splice: 76
                case .tee: 77
                }
            #endif
        }

        /// The descriptors it can wait on: the first argument, and splice's
        /// output, its third.
        func descriptors(_ arguments: [Int]) -> ArraySlice<Int> {
            arguments.prefix(self == .splice ? 3 : 1)
        }

        /// What a tool sleeps in waiting for input (a pipe's look-ahead
        /// waits in tee), or for room to write.
        package static let reading: [Call] = [.read, .splice, .tee]
        package static let writing: [Call] = [.write, .sendfile, .splice]
    }

    /// Waits up to `timeout` seconds until the child sleeps in one of `calls`
    /// on `descriptor` (its number in the child); false if it never does.
    /// `/proc/PID/syscall` says "running" while it runs, else the call's
    /// number and arguments.
    package func waitUntilBlocked(in calls: [Call], on descriptor: Int, timeout: Double) -> Bool {
        waitFor(timeout: timeout) {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8) else { return false }
            let fields = text.split(separator: " ").map { field in
                field.hasPrefix("0x") ? Int(field.dropFirst(2), radix: 16) : Int(field)
            }
            guard let number = fields.first ?? nil else { return false }
            let arguments = fields.dropFirst().map { $0 ?? -1 }
            return calls.contains { $0.number == number && $0.descriptors(arguments).contains(descriptor) }
        }
    }

    /// Kills the whole process group (GNU time and the program it runs).
    package func killAll() { _ = kill(-pid, SIGKILL) }

    deinit {
        guard !reaped else { return }
        killAll()
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        if let statsPath { try? FileManager.default.removeItem(atPath: statsPath) }
    }
}

/// Runs a program to its end: standard input from bytes (fed on a thread) or
/// a file, standard output captured or to a file, standard error captured,
/// extra descriptors inherited under chosen numbers (as libxl passes
/// `--in N --out M`). A run past `timeout` is killed and recorded as an issue.
package enum Spawn {
    package static func run(
        _ path: String, _ arguments: [String], stdin: [UInt8]? = nil,
        stdinFile: String? = nil, stdoutFile: String? = nil,
        inherit: [(source: Int32, target: Int32)] = [],
        environment: [String: String] = [:], measure: Bool = false, timeout: Double = 60,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunResult {
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        var descriptors: [(Int32, Int32)] = []

        var feed: [Int32]?
        if let stdinFile {
            let fd = try openFile(stdinFile, O_RDONLY)
            opened.append(fd)
            descriptors.append((fd, 0))
        } else {
            let fds = try pipeOrThrow()
            feed = fds
            descriptors.append((fds[0], 0))
        }
        var outPipe: [Int32]?
        if let stdoutFile {
            let fd = try openFile(stdoutFile, O_WRONLY | O_CREAT | O_TRUNC)
            opened.append(fd)
            descriptors.append((fd, 1))
        } else {
            let fds = try pipeOrThrow()
            outPipe = fds
            descriptors.append((fds[1], 1))
        }
        let errPipe = try pipeOrThrow()
        descriptors.append((errPipe[1], 2))
        descriptors += inherit.map { ($0.source, $0.target) }

        let child: Child
        do {
            child = try Child(path, arguments, descriptors: descriptors, environment: environment, measure: measure)
        } catch {
            for fd in [feed, outPipe, errPipe].compactMap({ $0 }).flatMap({ $0 }) { close(fd) }
            throw error
        }
        // Our copies of the child's ends go, so end of file is seen.
        if let feed { close(feed[0]) }
        if let outPipe { close(outPipe[1]) }
        close(errPipe[1])

        if let feed {
            let bytes = stdin ?? []
            Thread {
                writeAll(feed[1], bytes[...])
                close(feed[1])
            }.start()
        }
        let out = outPipe.map { Drain($0[0]) }
        let err = Drain(errPipe[0])

        var result: RunResult
        if let exit = child.wait(timeout: timeout) {
            result = exit
        } else {
            Issue.record("\(path) \(arguments) still running after \(timeout)s", sourceLocation: sourceLocation)
            child.killAll()
            result = child.wait(timeout: 10) ?? RunResult(status: nil, signal: SIGKILL, seconds: timeout)
            result.timedOut = true
        }
        result.stdout = out?.finish() ?? []
        result.stderr = err.finish()
        return result
    }

    /// Held while a pipe is made and while a child is spawned: Glibc's Swift
    /// module has no pipe2, so a pipe is close-on-exec only a moment after
    /// it is made, and no child may be spawned in that moment (it would keep
    /// a write end open and its reader from ever seeing end of file). A test
    /// that makes its own pipes or sockets holds it the same way.
    package static let lock = NSLock()

    /// A pipe, both ends close-on-exec; [-1, -1] on failure.
    package static func pipePair() -> [Int32] {
        lock.lock()
        defer { lock.unlock() }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return [-1, -1] }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return fds
    }

    private static func pipeOrThrow() throws -> [Int32] {
        let fds = pipePair()
        guard fds[0] >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE) }
        return fds
    }
}

/// Waits up to `timeout` seconds until `condition` holds, looking every
/// millisecond; false if it never does. What a test waits for is an event,
/// and the timeout only the bound the behaviour promises.
package func waitFor(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { return false }
        usleep(1000)
    }
    return true
}

/// Opens `path` close-on-exec (created with mode 0644 when O_CREAT is given).
package func openFile(_ path: String, _ flags: Int32) throws -> Int32 {
    let fd = open(path, flags | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    return fd
}

/// Writes all of `bytes`, retrying short writes and EINTR; stops at an error
/// (the reader went away).
package func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count, let base = raw.baseAddress {
            let n = write(fd, base + done, raw.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}

/// Reads a descriptor to end of file on a background thread, then closes it.
package final class Drain: @unchecked Sendable {
    private let fd: Int32
    private var bytes: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    package init(_ fd: Int32) {
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

    package func finish() -> [UInt8] {
        done.wait()
        return bytes
    }
}
