import CXenPlatform

/// The program's arguments as the kernel passed them (captured in
/// CXenPlatform before main), so that they do not depend on /proc being
/// mounted, as `CommandLine.arguments` does on Linux.
package enum ProcessArguments {
    package static var current: [String] {
        let count = cxen_argc()
        guard count > 0 else { return CommandLine.arguments }
        return (0..<count).map { index in cxen_argv(index).map { String(cString: $0) } ?? "" }
    }
}
