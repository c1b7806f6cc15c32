import TestSupport
import Testing

/// Runs a tool with standard input and output on /dev/null, standard error
/// captured, and its peak memory measured (under GNU time). A nil exit: it
/// ran past `timeout` and was killed (already recorded as an issue).
func runTool(
    _ path: String, _ arguments: [String], timeout: Double = 20,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> (exit: RunResult?, stderr: String) {
    let run = try Spawn.run(
        path, arguments, stdinFile: "/dev/null", stdoutFile: "/dev/null", measure: true,
        timeout: timeout, sourceLocation: sourceLocation)
    return (run.timedOut ? nil : run, run.stderrText)
}

/// The tools' memory bound.
let memoryLimitKiB = 64 * 1024

/// True when a measured run stayed under the bound (or could not be measured).
func withinMemoryLimit(_ exit: RunResult) -> Bool {
    (exit.maxRSSKiB ?? 0) < memoryLimitKiB
}
