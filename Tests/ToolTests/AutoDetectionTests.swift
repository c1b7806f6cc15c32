import Foundation
import TestSupport
import Testing

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
            // Bytes: a physmap name is printed raw.
            let lines = result.stdout.split(separator: 0x0a).filter { !$0.starts(with: "Detected: ".utf8) }
            #expect(lines.flatMap { Array($0) + [0x0a] } == v.bytes("expected.stdout"))
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
}
