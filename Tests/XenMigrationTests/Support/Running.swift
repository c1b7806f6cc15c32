import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A tool started in the background, with its standard input held open so
/// a test can feed it slowly, signal it, and then collect its status.
final class RunningTool {
    let pid: pid_t
    private(set) var stdinFD: Int32
    private let stdoutDrain: Drain
    private let stderrDrain: Drain

    init(_ path: String, _ arguments: [String]) throws {
        Spawn.lock.lock()
        defer { Spawn.lock.unlock() }
        let inPipe = Spawn.unlockedPipe()
        let outPipe = Spawn.unlockedPipe()
        let errPipe = Spawn.unlockedPipe()
        guard inPipe[0] >= 0, outPipe[0] >= 0, errPipe[0] >= 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, inPipe[1])
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        Spawn.ignoreSIGPIPE
        let rc = Spawn.withDefaultSignals { posix_spawn(&child, path, &actions, $0, argv, environ) }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        pid = child
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        stdinFD = inPipe[1]
        stdoutDrain = Drain(outPipe[0])
        stderrDrain = Drain(errPipe[0])
    }

    func feed(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count, let base = raw.baseAddress {
                let n = write(stdinFD, base + done, raw.count - done)
                if n <= 0 { return }
                done += n
            }
        }
    }

    func closeInput() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    /// Waits up to `timeout` seconds; nil if still running then.
    func wait(timeout: Double) -> RunResult? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) != pid {
            if Date() > deadline { return nil }
            usleep(1000)
        }
        closeInput()
        let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        return RunResult(status: signaled ? -1 : (status >> 8) & 0xff, signal: signaled ? status & 0x7f : nil,
                         stdout: stdoutDrain.finish(), stderr: stderrDrain.finish())
    }

    func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }

    deinit {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == 0 {
            _ = Glibc.kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        closeInput()
    }
}
