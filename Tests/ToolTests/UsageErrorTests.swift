import Foundation
import TestSupport
import Testing
import XenMigration
import XenMigrationCLI

private let convertUsage = "Usage: convert-legacy-stream [options] -i INPUT -o OUTPUT -w WIDTH -g GUEST\n"
private let verifyUsage = "Usage: verify-stream-v2 [options]\n"

/// A usage error: exactly one line naming what is wrong, then the usage
/// line, on standard error; nothing on standard output.
private func expectUsageError(
    _ tool: String, _ args: [String], _ line: String, status: Int32,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let result = try Spawn.run(tool, args)
    let name = tool == Paths.verifier ? "verify-stream-v2" : "convert-legacy-stream"
    let usage = tool == Paths.verifier ? verifyUsage : convertUsage
    #expect(result.stderrText == "\(name): \(line)\n" + usage, sourceLocation: sourceLocation)
    #expect(result.status == status, sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
}

@Suite("Usage errors: one line, the usage line, and the exit status")
struct UsageErrorTests {
    @Test(
        "missing required options exit 1, as Xen's converter",
        arguments: [
            ([], "missing -i/--in, -o/--out, -w/--width and -g/--guest-type (or --auto)"),
            (["-i", "in.img", "-w", "64", "-g", "hvm"], "missing -o/--out"),
            (["-o", "out.img", "-w", "64", "-g", "hvm"], "missing -i/--in"),
            (["-i", "in.img", "-o", "out.img", "-g", "pv"], "missing -w/--width (or --auto)"),
            (["-i", "in.img", "-o", "out.img", "-w", "32"], "missing -g/--guest-type (or --auto)"),
            (["--auto", "-o", "out.img"], "missing -i/--in"),
            (["--dry-run", "-i", "in.img"], "missing -w/--width and -g/--guest-type (or --auto)"),
        ] as [([String], String)])
    func missing(_ args: [String], _ line: String) throws {
        try expectUsageError(Paths.converter, args, line, status: 1)
    }

    @Test(
        "invalid values, unknown options and missing arguments exit 2 (optparse's status)",
        arguments: [
            (
                ["-i", "x", "-o", "y", "-w", "48", "-g", "hvm"],
                "invalid value '48' for -w/--width: expected 32, 64 or auto"
            ),
            (
                ["-i", "x", "-o", "y", "-w", "64", "-g", "kvm"],
                "invalid value 'kvm' for -g/--guest-type: expected pv, hvm or auto"
            ),
            (
                ["-i", "x", "-o", "y", "-w", "64", "-g", "hvm", "-f", "xen"],
                "invalid value 'xen' for -f/--format: expected libxc or libxl"
            ),
            (["--format=libxlx", "-i", "x"], "invalid value 'libxlx' for -f/--format: expected libxc or libxl"),
            (["--stream-version", "4"], "invalid value '4' for --stream-version: expected 2 or 3"),
            (["-i", "x", "-o", "y", "--bogus"], "no such option: --bogus"),
            (["-z"], "no such option: -z"),
            (["-vz"], "no such option: -z"),
            (["--s"], "ambiguous option: --s (--skip-qemu, --stream-version, --syslog?)"),  // sorted, as optparse
            (["-i", "x", "-w"], "-w option requires an argument"),
            (["--report"], "--report option requires an argument"),
            (["--xl=yes"], "--xl option does not take a value"),
            // The first error stops the reading, as in optparse.
            (["-w", "48", "--bogus"], "invalid value '48' for -w/--width: expected 32, 64 or auto"),
            (["--bogus", "--help"], "no such option: --bogus"),
            // The report and the stream cannot share standard output.
            (["--auto", "-i", "x", "-o", "-", "--report", "-"], "--report - and -o - both write to standard output"),
            (["--auto", "-i", "x", "-o", "1", "--report=-"], "--report - and -o 1 both write to standard output"),
        ] as [([String], String)])
    func converterErrors(_ args: [String], _ line: String) throws {
        try expectUsageError(Paths.converter, args, line, status: 2)
    }

    @Test(
        "the verifier's usage errors exit 2",
        arguments: [
            (["-f", "libxd"], "invalid value 'libxd' for -f/--format: expected libxc, libxl or xl"),
            (["-i", "x", "--format", "v2"], "invalid value 'v2' for -f/--format: expected libxc, libxl or xl"),
            (["--bogus"], "no such option: --bogus"),
            (["-x"], "no such option: -x"),
            (["-f"], "-f option requires an argument"),
            (["--quiet=1"], "--quiet option does not take a value"),
        ] as [([String], String)])
    func verifierErrors(_ args: [String], _ line: String) throws {
        try expectUsageError(Paths.verifier, args, line, status: 2)
    }

    @Test("--help where it stands wins over a later error; exit 0, help on standard output")
    func helpFirst() throws {
        let result = try Spawn.run(Paths.converter, ["--help", "--bogus", "-w", "48"])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(result.stdoutText.hasPrefix(convertUsage + "\n"))
    }

    @Test("--version is recognised in full only by the verifier: --v and --ver still mean --verbose, as in Xen's")
    func verifierPrefixes() throws {
        let stream = Vector(kind: "verify", name: "pv64-libxc").file("stream").path
        let full = try Spawn.run(Paths.verifier, ["--verbose", "-i", stream])
        #expect(full.status == 0)
        #expect(!full.stdout.isEmpty)
        for prefix in ["--v", "--ver", "--verb"] {
            let result = try Spawn.run(Paths.verifier, [prefix, "-i", stream])
            #expect(result.status == 0, "\(prefix): \(result.stderrText)")
            #expect(result.stdout == full.stdout, "\(prefix) is not --verbose")
        }
        // The converter has had --version since Xen's, so there --ver is ambiguous, as there.
        try expectUsageError(Paths.converter, ["--ver"], "ambiguous option: --ver (--verbose, --version?)", status: 2)
    }
}

@Suite("Help text")
struct HelpTextTests {
    static func help(_ tool: String) throws -> String {
        let result = try Spawn.run(tool, ["--help"])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        return result.stdoutText
    }

    /// Occurrences of `needle` in `text`.
    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test("converter: usage line first, each option's values and default once, exit statuses, --report -")
    func converter() throws {
        let text = try Self.help(Paths.converter)
        #expect(text.hasPrefix(convertUsage + "\n"))
        for values in ["32|64|auto", "pv|hvm|auto", "libxc|libxl", "2|3"] {
            #expect(Self.count(values, in: text) == 1, "\(values)")
        }
        #expect(!text.contains("values:"))
        #expect(Self.count("(default: libxc)", in: text) == 1)
        #expect(Self.count("(default: 2)", in: text) == 1)
        #expect(Self.count("default", in: text) == 2)
        // --report - is stated, and what a usage error exits with.
        #expect(text.contains("--report FILE"))
        #expect(text.contains("- for\n                          standard output (not with -o -)"))
        #expect(text.contains("1 a bad or truncated\nstream, an input or output failure, or a missing required option"))
        #expect(text.contains("an unknown option or an invalid option value"))
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(line.count <= 80, "too wide: \(line)")
        }
    }

    @Test("verifier: usage line first, the format's values and each default once, exit statuses")
    func verifier() throws {
        let text = try Self.help(Paths.verifier)
        #expect(text.hasPrefix(verifyUsage + "\n"))
        #expect(Self.count("libxc|libxl|xl", in: text) == 1)
        #expect(!text.contains("values:"))
        #expect(Self.count("(default: libxc)", in: text) == 1)
        #expect(Self.count("(default: standard input)", in: text) == 1)
        #expect(Self.count("default", in: text) == 2)
        #expect(
            text.contains(
                "2 an internal error, an\ninput that cannot be opened, an unknown option or an invalid option value."))
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(line.count <= 80, "too wide: \(line)")
        }
    }
}

@Suite("Reading a command line without running it")
struct CommandLineReadingTests {
    @Test("CLIParsing.read takes the options as the tool does, in order, and throws the first usage error")
    func read() throws {
        let convert = try CLIParsing.read(
            ConvertCommand.self,
            [
                "-w", "32", "--guest", "pv", "-flibxl", "-vx",
                "--stream-version=3", "--width", "64", "positional",
            ])
        #expect(convert.width?.value == .bits64)
        #expect(convert.guestType?.value == .pv)
        #expect(convert.format == .libxl && convert.streamVersion == .v3 && convert.common.verbose && convert.xl)
        #expect(convert.input == nil)
        let verify = try CLIParsing.read(VerifyCommand.self, ["--form", "xl", "--ver"])
        #expect(verify.format == .xl && verify.common.verbose)
        #expect(throws: ToolFailure.usage("invalid value '48' for -w/--width: expected 32, 64 or auto")) {
            try CLIParsing.read(ConvertCommand.self, ["-w", "48", "--bogus"])
        }
        #expect(throws: ToolFailure.usage("no such option: --bogus")) {
            try CLIParsing.read(VerifyCommand.self, ["-f", "libxl", "--bogus"])
        }
    }

    @Test("each option's words name every value of its type, once")
    func wordsCoverEveryValue() {
        #expect(ToolstackWidth.all == ToolstackWidth.allCases)
        #expect(GuestType.all == GuestType.allCases)
        #expect(OutputFormat.all == OutputFormat.allCases)
        #expect(Libxc.StreamVersion.all == Libxc.StreamVersion.allCases)
        #expect(VerifyFormat.all == VerifyFormat.allCases)
        #expect(OrAuto<GuestType>.all == [.given(.pv), .given(.hvm), .auto])
    }
}
