import Foundation
import TestSupport
import Testing
import XenMigrationCLI

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Command line: as libxl and users run it")
struct CommandLineTests {
    @Test("libxl's invocation: inherited descriptors, output read from a pipe while it is written")
    func libxlInvocation() throws {
        let v = vector("hvm64-libxl-longopts")
        let input = open(v.file("input.legacy").path, O_RDONLY | O_CLOEXEC)
        #expect(input >= 0)
        let fds = Spawn.pipePair()
        #expect(fds[0] >= 0)
        let reader = Drain(fds[0])
        let result = try Spawn.run(
            Paths.converter,
            ["--in", "5", "--out", "6", "--width", "64", "--guest", "hvm", "--format", "libxl"],
            inherit: [(input, 5), (fds[1], 6)])
        close(fds[1])
        close(input)
        let streamed = reader.finish()
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(streamed == v.bytes("expected.out"))
    }

    @Test(
        "option forms: --opt=value, -oVALUE, unique prefixes, clustered flags",
        arguments: [
            ["--in=IN", "--out=OUT", "--width=64", "--guest-type=hvm", "--format=libxl", "--verbose"],
            ["-iIN", "-oOUT", "-w64", "-ghvm", "-flibxl", "-v"],
            ["--i", "IN", "--ou", "OUT", "--wid", "64", "--guest", "hvm", "--form", "libxl", "--verb"],
            ["-v", "-i", "IN", "-o", "OUT", "-w", "64", "-g", "hvm", "-f", "libxl", "extra-positional"],
        ])
    func optionForms(_ template: [String]) throws {
        let v = vector("hvm64-libxl")
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let args = template.map {
            $0.replacingOccurrences(of: "IN", with: v.file("input.legacy").path).replacingOccurrences(
                of: "OUT", with: out)
        }
        let result = try Spawn.run(Paths.converter, args)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(readFile(out) == v.bytes("expected.out"))
        #expect(result.stdoutText == v.text("expected.stdout"))
    }

    @Test("clustered short flags: -vx")
    func clustered() throws {
        let v = vector("hvm64-libxl-toolstack-xl")
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let result = try Spawn.run(
            Paths.converter,
            [
                "-vx", "-i", v.file("input.legacy").path, "-o", out,
                "-w", "64", "-g", "hvm", "-f", "libxl",
            ])
        #expect(result.status == 0)
        #expect(readFile(out) == v.bytes("expected.out"))
        #expect(result.stdoutText == v.text("expected.stdout"))
    }

    @Test(
        "usage errors exit 2 with a message; a missing required option prints usage and exits 1",
        arguments: [
            (["-i", "x", "-o", "y", "-w", "16", "-g", "hvm"], Int32(2), "16"),
            (["-i", "x", "-o", "y", "-w", "64", "-g", "kvm"], Int32(2), "kvm"),
            (["-i", "x", "-o", "y", "-w", "64", "-g", "hvm", "--bogus"], Int32(2), "no such option: --bogus"),
            (["-i", "x", "-o", "y", "-w", "64", "-g", "hvm", "-z"], Int32(2), "no such option: -z"),
            (["-i", "x", "-o", "y", "-w", "64", "-g", "hvm", "--s"], Int32(2), "ambiguous option: --s"),
            (["-i", "x", "-o", "y", "-w", "64", "-g", "hvm", "-f", "xen"], Int32(2), "xen"),
            (["-i", "x", "-o", "y", "-w", "64", "-g", "hvm", "--stream-version", "4"], Int32(2), "4"),
            (["-i", "x", "-o", "y", "-w"], Int32(2), "requires an argument"),
            (["-i", "x", "-o", "y", "-w", "64"], Int32(1), "Usage"),
            (["-o", "y", "-w", "64", "-g", "pv"], Int32(1), "Usage"),
            (["-i", "x", "-w", "64", "-g", "pv"], Int32(1), "Usage"),
        ] as [([String], Int32, String)])
    func usageErrors(_ args: [String], _ status: Int32, _ message: String) throws {
        let result = try Spawn.run(Paths.converter, args)
        #expect(result.status == status)
        #expect(result.stderrText.localizedCaseInsensitiveContains(message), "\(result.stderrText)")
        #expect(result.stdout.isEmpty)
    }

    @Test("--version and --help")
    func versionAndHelp() throws {
        let version = try Spawn.run(Paths.converter, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdoutText == "convert-legacy-stream \(ToolVersion.current)\n")
        let help = try Spawn.run(Paths.converter, ["-h"])
        #expect(help.status == 0)
        for option in [
            "--in", "--out", "--width", "--guest-type", "--format", "--verbose", "--xl", "--skip-qemu",
            "--syslog", "--stream-version", "--auto", "--progress", "--report", "--dry-run",
        ] {
            #expect(help.stdoutText.contains(option), "help lacks \(option)")
        }
        let verifyHelp = try Spawn.run(Paths.verifier, ["--help"])
        #expect(verifyHelp.status == 0)
        #expect(verifyHelp.stdoutText.contains("--quiet"))
    }

    @Test("a file that cannot be opened exits 1 (converter) and 2 (verifier, as Xen's does)")
    func unopenable() throws {
        let missing = "/nonexistent/legacy.img"
        let convert = try Spawn.run(Paths.converter, ["-i", missing, "-o", "/dev/null", "-w", "64", "-g", "hvm"])
        #expect(convert.status == 1)
        #expect(convert.stderrText.contains("Unable to open file '\(missing)'"))
        let badFD = try Spawn.run(Paths.converter, ["-i", "77", "-o", "/dev/null", "-w", "64", "-g", "hvm"])
        #expect(badFD.status == 1)
        #expect(badFD.stderrText.contains("Unable to open fd 77"))
        let verify = try Spawn.run(Paths.verifier, ["-i", missing])
        #expect(verify.status == 2)
    }

    @Test("- means standard input and standard output")
    func dashMeansStdio() throws {
        let v = vector("pv64-libxl")
        let input = try #require(v.bytes("input.legacy"))
        let result = try Spawn.run(
            Paths.converter, ["-i", "-", "-o", "-", "-w", "64", "-g", "pv", "-f", "libxl"],
            stdin: input)
        #expect(result.status == 0)
        #expect(result.stdout == v.bytes("expected.out"))
        // The verifier reads standard input by default.
        let check = try Spawn.run(Paths.verifier, ["-f", "libxl"], stdin: result.stdout)
        #expect(check.status == 0)
    }

    @Test("verify-stream-v2 -q prints nothing, even on error")
    func quietVerifier() throws {
        let bad = Vector(kind: "verify", name: "pv64-libxc-bad-marker")
        let result = try Spawn.run(Paths.verifier, ["-q", "-v", "-i", bad.file("stream").path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty && result.stderr.isEmpty)
    }
}
