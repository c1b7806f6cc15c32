import Foundation
import Testing
import XenMigration
import XenMigrationCLI

#if canImport(Glibc)
import Glibc
#endif

private func vector(_ name: String) -> Vector { Vector(kind: "convert", name: name) }

private func readFile(_ path: String) -> [UInt8]? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { [UInt8]($0) }
}

private func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

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
        let result = try Spawn.run(Paths.converter,
                                   ["--in", "5", "--out", "6", "--width", "64", "--guest", "hvm", "--format", "libxl"],
                                   inherit: [(input, 5), (fds[1], 6)])
        close(fds[1])
        close(input)
        let streamed = reader.finish()
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(streamed == v.bytes("expected.out"))
    }

    @Test("option forms: --opt=value, -oVALUE, unique prefixes, clustered flags",
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
            $0.replacingOccurrences(of: "IN", with: v.file("input.legacy").path).replacingOccurrences(of: "OUT", with: out)
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
        let result = try Spawn.run(Paths.converter, ["-vx", "-i", v.file("input.legacy").path, "-o", out,
                                                     "-w", "64", "-g", "hvm", "-f", "libxl"])
        #expect(result.status == 0)
        #expect(readFile(out) == v.bytes("expected.out"))
        #expect(result.stdoutText == v.text("expected.stdout"))
    }

    @Test("usage errors exit 2 with a message; a missing required option prints usage and exits 1",
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
        for option in ["--in", "--out", "--width", "--guest-type", "--format", "--verbose", "--xl", "--skip-qemu",
                       "--syslog", "--stream-version", "--auto", "--progress", "--report", "--dry-run"] {
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
        let result = try Spawn.run(Paths.converter, ["-i", "-", "-o", "-", "-w", "64", "-g", "pv", "-f", "libxl"],
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

@Suite("Auto-detection")
struct AutoDetectionTests {
    static let successful = Vector.all("convert").filter { $0.expectedStatus == 0 }

    private func replacing(_ args: [String], _ replace: [String: String], dropping: Set<String> = []) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if dropping.contains(a) {
                i += 1
                continue
            }
            if let r = replace[a], i + 1 < args.count {
                if !r.isEmpty { out += [a, r] }
                i += 2
                continue
            }
            out.append(a)
            i += 1
        }
        return out
    }

    @Test("-w auto -g auto gives the same bytes", arguments: successful)
    func widthAndGuestAuto(_ v: Vector) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let args = replacing(v.args, ["-w": "auto", "-g": "auto", "--width": "auto", "--guest": "auto"])
        let result = try Spawn.run(Paths.converter, ["-i", v.file("input.legacy").path, "-o", out] + args)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(readFile(out) == v.bytes("expected.out"))
        if args.contains("-v") {
            #expect(result.stdoutText.contains("Detected: "))
        }
    }

    @Test("--auto in place of -w, -g and -x gives the same bytes", arguments: successful)
    func fullAuto(_ v: Vector) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let args = replacing(v.args, ["-w": "", "-g": "", "--width": "", "--guest": ""], dropping: ["-x"]) + ["--auto"]
        let result = try Spawn.run(Paths.converter, ["-i", v.file("input.legacy").path, "-o", out] + args)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(readFile(out) == v.bytes("expected.out"))
        if args.contains("-v") {
            // The reference's lines, each detection line added before them.
            let lines = result.stdoutText.split(separator: "\n").filter { !$0.hasPrefix("Detected: ") }
            #expect(lines.map { $0 + "\n" }.joined() == v.text("expected.stdout"))
        }
    }

    @Test("detection reads ahead from a pipe without losing a byte")
    func detectionFromPipe() throws {
        let v = vector("pv32-libxl-toolstack-xl")
        let input = try #require(v.bytes("input.legacy"))
        let result = try Spawn.run(Paths.converter, ["--auto", "-f", "libxl", "-i", "-", "-o", "-"], stdin: input)
        #expect(result.status == 0)
        #expect(result.stdout == v.bytes("expected.out"))
    }

    @Test("bytes that fit neither reading: exit 1 saying what was seen")
    func undetectable() throws {
        let junk: [UInt8] = [0x38, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x10, 0, 0x7f, 1, 2, 3, 4]
        let result = try Spawn.run(Paths.converter, ["--auto", "-i", "-", "-o", "/dev/null"], stdin: junk)
        #expect(result.status == 1)
        #expect(result.stderrText.contains("00 10 00 7f"), "\(result.stderrText)")
    }

    @Test("the detector follows the libxc spec's table")
    func detectorTable() throws {
        func detect(_ bytes: [UInt8]) throws -> LegacyDetection.Result {
            try LegacyDetection.detect(prefix: bytes, width: nil, guest: nil)
        }
        let pv64: [UInt8] = [0x38, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xff, count: 8)
        #expect(try detect(pv64) == .init(width: .bits64, guest: .pv))
        let hvm64: [UInt8] = [0x38, 0, 0, 0, 0, 0, 0, 0, 0xf9, 0xff, 0xff, 0xff, 0, 0, 0, 0]
        #expect(try detect(hvm64) == .init(width: .bits64, guest: .hvm))
        let pv32: [UInt8] = [0x38, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0c, 0x0b, 0, 0, 0x76, 0x63, 0x70, 0x75]
        #expect(try detect(pv32) == .init(width: .bits32, guest: .pv))
        let hvm32: [UInt8] = [0x38, 0, 0, 0, 0x20, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        #expect(try detect(hvm32) == .init(width: .bits32, guest: .hvm))
        #expect(throws: StreamError.self) { try detect([1, 2, 3]) }
    }
}

@Suite("Safe output files")
struct SafeOutputTests {
    @Test("a failed conversion onto an existing file leaves it unchanged, with no stray temporary file")
    func failedConversionKeepsTarget() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("restore.img").path
        let original = [UInt8]("precious earlier contents\n".utf8)
        try writeFile(out, original)
        let bad = vector("err-truncated-body")
        let result = try Spawn.run(Paths.converter, ["-i", bad.file("input.legacy").path, "-o", out] + bad.args)
        #expect(result.status == 1)
        #expect(readFile(out) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["restore.img"])
    }

    @Test("a successful conversion replaces the file and keeps its mode")
    func successReplaces() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("restore.img").path
        try writeFile(out, [1, 2, 3])
        chmod(out, 0o640)
        let v = vector("pv64-libxc")
        let result = try Spawn.run(Paths.converter, ["-i", v.file("input.legacy").path, "-o", out] + v.args)
        #expect(result.status == 0)
        #expect(readFile(out) == v.bytes("expected.out"))
        var st = stat()
        stat(out, &st)
        #expect(st.st_mode & 0o777 == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["restore.img"])
    }

    @Test("input and output the same file: refused")
    func sameFile() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("image").path
        let v = vector("pv64-libxc")
        let input = try #require(v.bytes("input.legacy"))
        try writeFile(path, input)
        let result = try Spawn.run(Paths.converter, ["-i", path, "-o", dir.appendingPathComponent(".").path + "/image",
                                                     "-w", "64", "-g", "pv"])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("input"))
        #expect(readFile(path) == input)
    }

    @Test("SIGTERM mid-conversion: stops within a second, nonzero, no file left behind", arguments: [false, true])
    func sigterm(targetExists: Bool) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("restore.img").path
        if targetExists { try writeFile(out, [9, 9, 9]) }
        let v = vector("hvm64-libxc")
        let input = try #require(v.bytes("input.legacy"))
        let tool = try RunningTool(Paths.converter, ["-i", "-", "-o", out, "-w", "64", "-g", "hvm"])
        tool.feed(input[0..<(input.count / 2)])
        usleep(200_000)
        // Still waiting for the rest of its input: the conversion is under way.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == (targetExists ? 2 : 1))
        tool.kill(SIGTERM)
        let result = tool.wait(timeout: 1.0)
        #expect(result != nil, "still running a second after SIGTERM")
        #expect(result?.status != 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(left == (targetExists ? ["restore.img"] : []))
        if targetExists { #expect(readFile(out) == [9, 9, 9]) }
    }
}

@Suite("Report, dry run and progress")
struct ReportTests {
    @Test("--report writes JSON whose byte counts equal the real sizes", arguments: ["pv32-xsave-vcpus70", "hvm64-libxl-toolstack-xl"])
    func report(_ name: String) throws {
        let v = vector(name)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let json = dir.appendingPathComponent("report.json").path
        let result = try Spawn.run(Paths.converter, ["-i", v.file("input.legacy").path, "-o", out, "--report", json] + v.args)
        #expect(result.status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: json))
        let report = try JSONDecoder().decode(ConversionReport.self, from: data)
        let input = try #require(v.bytes("input.legacy"))
        let output = try #require(readFile(out))
        #expect(report.bytesRead == UInt64(input.count))
        #expect(report.bytesWritten == UInt64(output.count))
        #expect(report.seconds >= 0)
        #expect(report.recordsWritten["END"] == 1)
        #expect((report.recordsWritten["PAGE_DATA"] ?? 0) > 0)
        #expect(report.p2mSize == 0x38)
        if name.hasPrefix("pv32-xsave") {
            #expect(report.guestType == .pv)
            #expect(report.toolstackWidth == 32)
            #expect(report.vcpusOnline.count == 56)
            #expect(report.recordsWritten["X86_PV_VCPU_XSAVE"] == 56)
        } else {
            #expect(report.guestType == .hvm)
            #expect(report.hvmParams.count == 14)
            #expect(report.deviceModelBytes > 0)
            #expect(report.recordsWritten["libxl EMULATOR_XENSTORE_DATA"] == 1)
        }
    }

    @Test("--dry-run reads and checks everything, writes nothing, and needs no -o")
    func dryRun() throws {
        let v = vector("hvm64-libxc")
        let ok = try Spawn.run(Paths.converter, ["-i", v.file("input.legacy").path, "--dry-run", "-w", "64", "-g", "hvm", "-v"])
        #expect(ok.status == 0)
        #expect(ok.stdoutText == v.text("expected.stdout"))
        let bad = vector("err-dup-pfn")
        let failed = try Spawn.run(Paths.converter, ["-i", bad.file("input.legacy").path, "--dry-run"] + bad.args)
        #expect(failed.status == 1)
        let report = try Spawn.run(Paths.converter, ["-i", v.file("input.legacy").path, "--dry-run", "--auto", "--report", "-"])
        #expect(report.status == 0)
        let decoded = try JSONDecoder().decode(ConversionReport.self, from: Data(report.stdout))
        #expect(decoded.detected.contains("width"))
        #expect(decoded.bytesWritten == 0)  // nothing was written (DryRunReportTests: what would be)
    }

    @Test("--progress draws a line on standard error and changes no output byte")
    func progress() throws {
        let v = vector("hvm32-batch1")
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let result = try Spawn.run(Paths.converter, ["-i", v.file("input.legacy").path, "-o", out, "--progress", "-w", "32", "-g", "hvm"])
        #expect(result.status == 0)
        #expect(readFile(out) == v.bytes("expected.out"))
        #expect(result.stderrText.contains("pages"))
        #expect(result.stderrText.contains("100.0%"))
        #expect(result.stdout.isEmpty)
    }
}

@Suite("Older device-model records")
struct DeviceModelSignatureTests {
    /// The legacy input and its expected outputs, with the device model
    /// record rewritten to an older writer's layout.
    private func rewrite(_ name: String, signature: String, lengthField: Bool) throws -> [UInt8] {
        let input = try #require(vector(name).bytes("input.legacy"))
        let sig = Array("DeviceModelRecord0002".utf8)
        // The record is the input's last: signature, length, data.
        let at = try #require((0...(input.count - sig.count)).last { Array(input[$0..<($0 + sig.count)]) == sig })
        var out = Array(input[..<at]) + Array(signature.utf8)
        out += lengthField ? Array(input[(at + 21)...]) : Array(input[(at + 25)...])
        return out
    }

    @Test("RemusDeviceModelState: copied as it came (libxc), EMULATOR_CONTEXT (libxl), verified")
    func remus() throws {
        for (name, format) in [("hvm64-libxc", "libxc"), ("hvm64-libxl", "libxl")] {
            let input = try rewrite(name, signature: "RemusDeviceModelState", lengthField: true)
            let result = try Spawn.run(Paths.converter, ["-i", "-", "-o", "-", "-w", "64", "-g", "hvm", "-f", format], stdin: input)
            #expect(result.status == 0, "\(result.stderrText)")
            var expected = try #require(vector(name).bytes("expected.out"))
            if format == "libxc" {
                let sig = Array("DeviceModelRecord0002".utf8)
                let at = try #require((0...(expected.count - 21)).last { Array(expected[$0..<($0 + 21)]) == sig })
                expected.replaceSubrange(at..<(at + 21), with: Array("RemusDeviceModelState".utf8))
            }
            #expect(result.stdout == expected)
            let check = try Spawn.run(Paths.verifier, ["-f", format], stdin: result.stdout)
            #expect(check.status == 0)
        }
    }

    @Test("QemuDeviceModelRecord: data to end of stream, from a file and from a pipe")
    func qemuToEnd() throws {
        let input = try rewrite("hvm64-libxl", signature: "QemuDeviceModelRecord", lengthField: false)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("in").path
        try writeFile(path, input)
        let expected = try #require(vector("hvm64-libxl").bytes("expected.out"))
        let fromFile = try Spawn.run(Paths.converter, ["-i", path, "-o", "-", "-w", "64", "-g", "hvm", "-f", "libxl"])
        #expect(fromFile.status == 0, "\(fromFile.stderrText)")
        #expect(fromFile.stdout == expected)
        let fromPipe = try Spawn.run(Paths.converter, ["-i", "-", "-o", "-", "-w", "64", "-g", "hvm", "-f", "libxl"], stdin: input)
        #expect(fromPipe.stdout == expected)
        #expect(try Spawn.run(Paths.verifier, ["-f", "libxl"], stdin: fromPipe.stdout).status == 0)
        let libxc = try Spawn.run(Paths.converter, ["-i", path, "-o", "-", "-w", "64", "-g", "hvm"])
        #expect(libxc.status == 0)
        // libxc output: the record copied as it came, signature and data to the end.
        let sig = Array("QemuDeviceModelRecord".utf8)
        let at = try #require((0...(input.count - 21)).last { Array(input[$0..<($0 + 21)]) == sig })
        #expect(Array(libxc.stdout.suffix(input.count - at)) == Array(input[at...]))
        #expect(try Spawn.run(Paths.verifier, ["-f", "libxc"], stdin: libxc.stdout).status == 0)
    }

    @Test("an unknown signature is still exit 2")
    func unknown() throws {
        let input = try rewrite("hvm64-libxl", signature: "SomethingElseEntirely", lengthField: true)
        let result = try Spawn.run(Paths.converter, ["-i", "-", "-o", "/dev/null", "-w", "64", "-g", "hvm", "-f", "libxl"], stdin: input)
        #expect(result.status == 2)
        #expect(result.stderrText.hasPrefix("Script Error: "))
    }
}
