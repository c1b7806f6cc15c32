import Foundation
import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration
import XendConfig

/// What the library writes for a bare legacy stream.
private func libraryOutput(_ bytes: [UInt8], _ options: ConversionOptions) throws -> [UInt8] {
    let sink = MemorySink()
    _ = try LegacyConverter(options: options, reader: StreamReader(MemorySource(bytes)), writer: StreamWriter(sink))
        .run()
    return sink.bytes
}

/// The config in an `xl save` header's optional data (u32 length, text).
private func embeddedConfig(_ stream: [UInt8]) throws -> [UInt8] {
    let at = XL.magic.count + 16
    try #require(stream.count >= at + 4)
    let n = Int(stream[at]) | Int(stream[at + 1]) << 8 | Int(stream[at + 2]) << 16 | Int(stream[at + 3]) << 24
    try #require(stream.count >= at + 4 + n)
    return Array(stream[(at + 4)..<(at + 4 + n)])
}

private func read(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

private func be32(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
}

/// An xend image front with `config` (its length field `length`, if given).
private func xendFront(_ config: String, length: UInt32? = nil) -> [UInt8] {
    Xend.magic + be32(length ?? UInt32(config.utf8.count)) + Array(config.utf8)
}

@Suite("convert-legacy-stream on xm save images")
struct XendConvertToolTests {
    static let widths: [ToolstackWidth] = [.bits32, .bits64]

    @Test(
        "--auto -f libxl: xl header with the translation + the legacy part's stream; xl verifies it; -f libxc bare",
        arguments: XendPreset.allCases, widths)
    func presets(preset: XendPreset, width: ToolstackWidth) throws {
        let image = XendImage.preset(preset, width: width, seed: 9, pages: 16)
        let xl = try XLConfig(try XendDomainConfig(parsing: image.config, baseOffset: 20))
        let legacy = image.legacy.legacyBytes()
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("guest.xm-save")
        try Data(image.bytes()).write(to: input)

        let out = dir.appendingPathComponent("guest.xl-save")
        let run = try Spawn.run(Paths.converter, ["--auto", "-f", "libxl", "-i", input.path, "-o", out.path])
        #expect(run.status == 0, "\(run.stderrText)")
        let expected =
            try Xend.xlSaveHeader(config: xl.text)
            + libraryOutput(legacy, ConversionOptions(width: width, guest: preset.guest, format: .libxl))
        let written = try read(out)
        #expect(written == expected)
        let check = try Spawn.run(Paths.verifier, ["-f", "xl", "-i", out.path])
        #expect(check.status == 0, "\(check.stderrText)")
        let config = try embeddedConfig(written)
        #expect(config == xl.text)
        #expect(try XLConfigGrammar.parse(config)["name"] != nil)

        let bare = try Spawn.run(Paths.converter, ["--auto", "-f", "libxc", "-i", input.path, "-o", "-"])
        #expect(bare.status == 0, "\(bare.stderrText)")
        #expect(bare.stdout == (try libraryOutput(legacy, ConversionOptions(width: width, guest: preset.guest))))
    }

    @Test("-g that disagrees, and -x: exit 1, one line, no output file")
    func disagreeing() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in")
        try Data(XendImage.preset(.hvmWindows, pages: 8).bytes()).write(to: input)
        let out = dir.appendingPathComponent("out")
        for (args, fragment) in [
            (["-w", "64", "-g", "pv"], "HVM"), (["--auto", "-g", "pv"], "-g hvm"),
            (["--auto", "-x"], "drop `-x`"),
        ] {
            let run = try Spawn.run(Paths.converter, args + ["-f", "libxl", "-i", input.path, "-o", out.path])
            #expect(run.status == 1, "\(args)")
            #expect(
                run.stderrText.split(separator: "\n").count == 1 && run.stderrText.contains(fragment),
                "\(run.stderrText)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["in"])
    }

    @Test("--config-out with and without --dry-run, --config FILE, -v, the report's source")
    func options() throws {
        let image = XendImage.preset(.pvKernel, width: .bits64, seed: 2, pages: 8)
        let xl = try XLConfig(try XendDomainConfig(parsing: image.config, baseOffset: 20))
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in")
        try Data(image.bytes()).write(to: input)
        let cfg = dir.appendingPathComponent("guest.cfg")
        let out = dir.appendingPathComponent("out")

        let dry = try Spawn.run(Paths.converter, ["--auto", "--dry-run", "-i", input.path, "--config-out", cfg.path])
        #expect(dry.status == 0, "\(dry.stderrText)")
        #expect(try read(cfg) == xl.text)
        try FileManager.default.removeItem(at: cfg)

        let verbose = try Spawn.run(
            Paths.converter,
            [
                "--auto", "-f", "libxl", "-v", "-i", input.path, "-o", out.path,
                "--config-out", cfg.path, "--report", "-",
            ])
        #expect(verbose.status == 0, "\(verbose.stderrText)")
        #expect(try read(cfg) == xl.text)
        let lines = verbose.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count > 2 && lines[1] == xl.summary)
        #expect(lines[1].contains("\"debian-web\": PV, 2 vcpus, 1024 MiB, 2 disks, 1 vif"), "\(lines[1])")
        #expect(lines.filter { $0.hasPrefix("  Not translated: ") }.count == xl.untranslated.count)
        let detected = try #require(lines.firstIndex { $0.hasPrefix("Detected: 64-bit") })
        #expect(detected == 2 + xl.untranslated.count, "the summary comes before the stream's lines")
        #expect(verbose.stdoutText.contains("\"source\" : \"xend\""))
        #expect(verbose.stdoutText.contains("\"xlConfig\" : \"# Translated"))

        // --config: the file's bytes in the header instead.
        let mine = dir.appendingPathComponent("mine.cfg")
        let text = Array("name = \"mine\"\ntype = \"pv\"\nmemory = 1024\n".utf8)
        try Data(text).write(to: mine)
        let replaced = try Spawn.run(
            Paths.converter,
            [
                "--auto", "-f", "libxl", "-i", input.path, "-o", "-",
                "--config", mine.path,
            ])
        #expect(replaced.status == 0, "\(replaced.stderrText)")
        #expect(try embeddedConfig(replaced.stdout) == text)
        // Over 1 MiB: refused, nothing written.
        try Data(repeating: 0x23, count: (1 << 20) + 1).write(to: mine)
        try? FileManager.default.removeItem(at: out)
        let big = try Spawn.run(
            Paths.converter,
            [
                "--auto", "-f", "libxl", "-i", input.path, "-o", out.path,
                "--config", mine.path,
            ])
        #expect(big.status == 1 && big.stderrText.contains("1 MiB"), "\(big.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out.path))

        // A bare legacy input has no config: --config-out fails and writes nothing.
        let legacy = dir.appendingPathComponent("legacy")
        try Data(image.legacy.legacyBytes()).write(to: legacy)
        try FileManager.default.removeItem(at: cfg)
        let none = try Spawn.run(
            Paths.converter, ["--auto", "-i", legacy.path, "-o", out.path, "--config-out", cfg.path])
        #expect(none.status == 1 && none.stderrText.contains("No domain config"), "\(none.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: cfg.path) && !FileManager.default.fileExists(atPath: out.path))
    }

    @Test("an xl save file: --config-out writes the config in its header")
    func xlHeaderConfig() throws {
        let v = Vector(kind: "convert", name: "hvm64-libxl-toolstack-xl")
        let input = try #require(v.bytes("input.legacy"))
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfg = dir.appendingPathComponent("cfg")
        let run = try Spawn.run(
            Paths.converter,
            [
                "--auto", "--dry-run", "-i", v.file("input.legacy").path,
                "--config-out", cfg.path,
            ])
        #expect(run.status == 0, "\(run.stderrText)")
        // This vector's optional data is the config itself, without a length
        // in front (its first word, "name", is no length that fits): kept whole.
        let optional = Array(input[(XL.magic.count + 16)..<(XL.magic.count + 16 + 47)])
        #expect(input[XL.magic.count + 12] == 47 && optional.starts(with: Array("name = ".utf8)))
        #expect(try read(cfg) == optional)
    }

    @Test("bad xend fronts: exit 1, one line naming the problem and its offset, no output file")
    func badInput() throws {
        let good = "(domain (name web) (memory 256) (vcpus 1) (image (linux (kernel /k))))"
        let legacy = XendImage.preset(.pvKernel, pages: 8).legacy.legacyBytes()
        let deep = String(repeating: "(", count: 70) + String(repeating: ")", count: 70)
        let cases: [(String, [UInt8], String, UInt64)] = [
            ("negative length", xendFront(good, length: 0xffff_fff0), "is negative", 16),
            ("oversized length", xendFront(good, length: 2 << 20), "over the 1048576-byte limit", 16),
            ("truncated config", Array(xendFront(good, length: 500).prefix(60)), "xend config needs 500 bytes", 60),
            ("unbalanced", xendFront("(domain (name web)") + legacy, "unbalanced '('", 20),
            ("unterminated string", xendFront("(domain (name 'web))") + legacy, "unterminated string", 34),
            ("bad escape", xendFront("(domain (name 'w\\qb'))") + legacy, "bad escape", 36),
            ("nesting", xendFront(deep) + legacy, "nested deeper than 64", 84),
            ("not domain", xendFront("(config (name web))") + legacy, "not (domain ...)", 20),
            ("memory", xendFront(good.replacingOccurrences(of: "256", with: "lots")) + legacy, "memory", 0),
            ("vcpus", xendFront(good.replacingOccurrences(of: "(vcpus 1)", with: "(vcpus two)")) + legacy, "vcpus", 0),
            ("name", xendFront(good.replacingOccurrences(of: "web", with: "1234")) + legacy, "all digits", 34),
        ]
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out")
        for (name, bytes, fragment, offset) in cases {
            let run = try Spawn.run(
                Paths.converter, ["--auto", "-f", "libxl", "-i", "-", "-o", out.path], stdin: bytes)
            #expect(run.status == 1, "\(name): \(run.stderrText)")
            let lines = run.stderrText.split(separator: "\n")
            #expect(lines.count == 1 && run.stderrText.contains(fragment), "\(name): \(run.stderrText)")
            if offset > 0 { #expect(run.stderrText.contains("offset \(offset)"), "\(name): \(run.stderrText)") }
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(name)")
        }
    }

    @Test("a caller's pipe: a PV xend image with a trailer after it leaves the trailer unread")
    func caller() throws {
        let image = XendImage.preset(.pvPygrub, width: .bits32, seed: 6, pages: 8)
        let xl = try XLConfig(try XendDomainConfig(parsing: image.config, baseOffset: 20))
        let run = try runAsCaller(Paths.converter, input: image.bytes() + callerTrailer, via: .pipe) { input, output in
            ["--in", input, "--out", output, "--auto", "--format", "libxl"]
        }
        #expect(run.status == 0, "\(run.stderr)")
        let expected =
            try Xend.xlSaveHeader(config: xl.text)
            + libraryOutput(image.legacy.legacyBytes(), ConversionOptions(width: .bits32, guest: .pv, format: .libxl))
        #expect(run.output == expected)
        #expect(run.leftover == callerTrailer)
    }

    @Test("examples/xm-save-pv.save is docs/xend.md's generated image and converts with --auto -f libxl")
    func example() throws {
        let example = Paths.packageRoot.appendingPathComponent("examples/xm-save-pv.save")
        let bytes = try read(example)
        #expect(bytes == XendImage.preset(.pvKernel, width: .bits64, seed: 1, pages: 8).bytes())
        let run = try Spawn.run(Paths.converter, ["--auto", "-f", "libxl", "-i", example.path, "-o", "-"])
        #expect(run.status == 0, "\(run.stderrText)")
        let check = try Spawn.run(Paths.verifier, ["-f", "xl"], stdin: run.stdout)
        #expect(check.status == 0, "\(check.stderrText)")
        #expect(try XLConfigGrammar.parse(try embeddedConfig(run.stdout))["type"]?.text == "pv")
    }
}
