import CXenPlatform
import SystemPackage
import XenHost

/// The tools' confinement: once every file and descriptor a run needs is
/// open, and before the first byte of the stream is read, the process sets
/// no_new_privs and installs a seccomp filter that allows only the system
/// calls the rest of the run makes (the list, with a reason for each, is in
/// Sources/CXenPlatform/sandbox.c). Everything else fails with EPERM: no
/// file can be opened, no socket made, no program run. The stream is
/// hostile and the tool runs as root in dom0; this bounds what a bug could
/// be turned into. The library never confines itself: in-process callers
/// (the tests, the fuzzers) stay as they are.
enum Sandbox {
    /// Set (to anything but empty or 0) in the environment, it turns the
    /// sandbox off, as `--no-sandbox` does, for callers that cannot add an option.
    static let disableVariable = "XEN_STREAM_NO_SANDBOX"

    /// Whether the environment turns the sandbox off.
    static var disabledByEnvironment: Bool {
        guard let value = Host.environment(disableVariable) else { return false }
        return !value.isEmpty && value != "0"
    }

    /// Confines the process, unless turned off. Where the kernel has no
    /// seccomp filters, says so once on `console` and the run goes on
    /// unconfined; any other failure ends the run.
    static func confine(disabled: Bool, console: Console) throws(ToolFailure) {
        // What would open a file later is done first.
        Host.loadTimeZone()
        guard !disabled && !disabledByEnvironment else { return }
        guard cxen_sandbox_available() != 0 else {
            console.note("Sandbox unavailable: no seccomp filter for this architecture; running unconfined")
            return
        }
        var step: Int32 = 0
        let result = cxen_sandbox_confine(&step)
        guard result != 0 else {
            runProbeIfAsked()
            return
        }
        let error = Errno(rawValue: result)
        let what = step == CXEN_SANDBOX_STEP_NO_NEW_PRIVS ? "no_new_privs" : "the seccomp filter"
        if error == .invalidArgument || error == .noFunction {
            console.note("Sandbox unavailable: the kernel refuses \(what) (\(error)); running unconfined")
            return
        }
        throw ToolFailure(
            .setUp,
            "Cannot confine the process: \(what): \(error) "
                + "(--no-sandbox or \(disableVariable)=1 runs without the sandbox)")
    }

    /// Test-only, and only in debug builds: with XEN_STREAM_SANDBOX_PROBE
    /// naming probes (`openat,socket,...`), the confined tool attempts each,
    /// prints `probe NAME: ERRNO` (0: allowed) on standard error and exits 0.
    /// Release builds have no such path.
    private static func runProbeIfAsked() {
        #if DEBUG
            guard let list = Host.environment("XEN_STREAM_SANDBOX_PROBE") else { return }
            let probes: [String: Int32] = [
                "openat": CXEN_PROBE_OPENAT, "socket": CXEN_PROBE_SOCKET,
                "execve": CXEN_PROBE_EXECVE, "fork": CXEN_PROBE_FORK,
                "exec-memory": CXEN_PROBE_EXECUTABLE_MEMORY, "x32": CXEN_PROBE_FOREIGN_ABI,
            ]
            for name in list.split(separator: ",").map(String.init) {
                let result = probes[name].map { cxen_sandbox_probe($0) } ?? -1
                Console.write("probe \(name): \(result)\n", to: .standardError)
            }
            Host.exit(0)
        #endif
    }
}
