import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

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
        let result = try Spawn.run(
            Paths.converter,
            [
                "-i", path, "-o", dir.appendingPathComponent(".").path + "/image",
                "-w", "64", "-g", "pv",
            ])
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
        let inPipe = Spawn.pipePair()
        let null = try openFile("/dev/null", O_WRONLY)
        defer { close(null) }
        let tool = try Child(
            Paths.converter, ["-i", "-", "-o", out, "-w", "64", "-g", "hvm"],
            descriptors: [(inPipe[0], 0), (null, 1), (null, 2)])
        close(inPipe[0])
        defer { close(inPipe[1]) }
        writeAll(inPipe[1], input[0..<(input.count / 2)])
        // Once it sleeps reading the rest of its input, the conversion is
        // under way: its temporary file is there.
        #expect(tool.waitUntilBlocked(in: Child.Call.reading, on: 0, timeout: 20))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == (targetExists ? 2 : 1))
        tool.send(SIGTERM)
        let result = tool.wait(timeout: 1.0)
        #expect(result != nil, "still running a second after SIGTERM")
        #expect(result?.status != 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(left == (targetExists ? ["restore.img"] : []))
        if targetExists { #expect(readFile(out) == [9, 9, 9]) }
    }
}
