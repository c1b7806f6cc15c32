import XenMigration

/// Why a run of a tool ends without success: the one line it prints, and
/// what kind of failure it is. Each command maps the kind to its exit
/// status in one place (`ToolCommand.exitStatus`), as its help's "Exit
/// status" paragraph does; Xen's converter and verifier give the same
/// kind different numbers, so the number is not stored here.
package struct ToolFailure: Error, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// An unknown option, an invalid value, options that cannot go
        /// together: the message is followed by the usage line.
        case usage
        /// A required option not given (Xen's converter exits 1 for it,
        /// not optparse's 2); also followed by the usage line.
        case missingOption
        /// An input, output or side file that cannot be opened or read
        /// before the stream, or a sandbox that cannot be set up.
        case setUp
        /// The stream is bad or truncated, or reading or writing it failed.
        case stream
        /// A stream feature that is not converted.
        case unsupported
        /// The converted stream or a side file cannot be made final.
        case output
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }

    package static func usage(_ message: String) -> ToolFailure { ToolFailure(.usage, message) }

    /// A stream error, as the tools print it: a feature that is not
    /// converted is a "Script Error" (Xen's wording), anything else a
    /// "Stream Error".
    package static func stream(_ error: StreamError) -> ToolFailure {
        error.kind == .unsupported
            ? ToolFailure(.unsupported, "Script Error: \(error)") : ToolFailure(.stream, "Stream Error: \(error)")
    }

    /// `invalid value '48' for -w/--width: expected 32, 64 or auto`.
    static func invalid(_ value: String, for name: String, expected: [String]) -> ToolFailure {
        usage("invalid value '\(value)' for \(name): expected \(listed(expected))")
    }

    /// "a", "a or b", "a, b or c" (or with "and").
    static func listed(_ items: [String], _ conjunction: String = "or") -> String {
        guard let last = items.last else { return "" }
        return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}
