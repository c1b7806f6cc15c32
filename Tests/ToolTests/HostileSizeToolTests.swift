import Foundation
import TestSupport
import Testing
import XenMigration

#if canImport(Glibc)
    import Glibc
#endif

/// Hostile sizes through the built tools, measured: the expected status,
/// one message, and never more than 64 MiB whatever the input declares.
@Suite("Hostile sizes and counts through the tools")
struct HostileSizeToolTests {
    @Test("convert-legacy-stream: the expected status, one message, under 64 MiB", arguments: hostileCases)
    func tool(_ hostile: HostileCase) throws {
        let image = try #require(hostileImages[hostile.name])
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try image.write(to: input)
        let (exit, stderr) = try runTool(Paths.converter, ["-i", input, "-o", "/dev/null"] + hostile.arguments)
        let ran = try #require(exit)
        #expect(ran.signal == nil)
        #expect(ran.status == hostile.status, "\(stderr)")
        #expect(withinMemoryLimit(ran), "peak RSS \(ran.maxRSSKiB ?? 0) KiB")
        if hostile.status != 0 {
            #expect(
                stderr.hasPrefix("Stream Error: ") && stderr.contains(hostile.message(inputLength: image.count)),
                "\(stderr)")
            #expect(stderr.split(separator: "\n").count == 1, "\(stderr)")
        }
    }

    @Test("the verifier: absurd record lengths and counts are errors, under 64 MiB")
    func verifierRecords() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        for (name, format, bytes) in hostileStreams {
            let outcome = verify(bytes, format)
            #expect(outcome.error != nil, "\(name) verified")
            if outcome.error == nil { continue }
            try Data(bytes).write(to: URL(fileURLWithPath: input))
            let (exit, stderr) = try runTool(Paths.verifier, ["-i", input, "-f", format.rawValue])
            let ran = try #require(exit)
            #expect(ran.signal == nil && ran.status == 1, "\(name): \(stderr)")
            #expect(stderr.hasPrefix("Stream Error: "), "\(name): \(stderr)")
            #expect(withinMemoryLimit(ran), "\(name): peak RSS \(ran.maxRSSKiB ?? 0) KiB")
        }
    }

    @Test("large blobs stream through: 3 x 96 MiB converted and verified through a pipe, each tool under 64 MiB")
    func largeBlobsStream() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        let size = 96 << 20
        let image = Build.hvm(
            xl: (UInt32(size), size), contextLength: UInt32(size),
            deviceModel: { Build.deviceModel0002(&$0, length: UInt32(size), bytes: size) })
        try image.write(to: input)

        // convert-legacy-stream ... -o - | verify-stream-v2 -f xl
        let inFD = try openFile(input, O_RDONLY)
        defer { close(inFD) }
        let null = try openFile("/dev/null", O_RDWR)
        defer { close(null) }
        let pipe = Spawn.pipePair()
        let errConvert = Spawn.pipePair()
        let errVerify = Spawn.pipePair()
        let converter = try Child(
            Paths.converter, ["-i", "-", "-o", "-", "-w", "64", "-g", "hvm", "-f", "libxl", "-x"],
            descriptors: [(inFD, 0), (pipe[1], 1), (errConvert[1], 2)], measure: true)
        let verifier = try Child(
            Paths.verifier, ["-f", "xl"], descriptors: [(pipe[0], 0), (null, 1), (errVerify[1], 2)],
            measure: true)
        for fd in [pipe[0], pipe[1], errConvert[1], errVerify[1]] { close(fd) }
        let convertErrors = Drain(errConvert[0])
        let verifyErrors = Drain(errVerify[0])
        let converted = try #require(converter.wait(timeout: 60))
        let verified = try #require(verifier.wait(timeout: 60))
        let messages = String(decoding: convertErrors.finish() + verifyErrors.finish(), as: UTF8.self)
        #expect(converted.status == 0 && verified.status == 0, "\(messages)")
        #expect(withinMemoryLimit(converted), "converter peak RSS \(converted.maxRSSKiB ?? 0) KiB")
        if Child.canMeasure {
            // The measurement itself works: a running Swift tool is several MiB.
            #expect((converted.maxRSSKiB ?? 0) > 4096)
        }
        #expect(withinMemoryLimit(verified), "verifier peak RSS \(verified.maxRSSKiB ?? 0) KiB")
    }

    @Test("large PV p2m frame list (2^32 pfns, 64 MiB of frames) streams through under 64 MiB")
    func largeP2M() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try Build.pv(p2m: 1 << 32).write(to: input)
        let (exit, stderr) = try runTool(
            Paths.converter, ["-i", input, "-o", "/dev/null", "-w", "64", "-g", "pv"],
            timeout: 60)
        let ran = try #require(exit)
        #expect(ran.status == 0, "\(stderr)")
        #expect(withinMemoryLimit(ran), "peak RSS \(ran.maxRSSKiB ?? 0) KiB")
    }

    @Test("an xend-era device model record running to end of input streams through a spool under 64 MiB")
    func spooledDeviceModel() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        let image = Build.hvm(deviceModel: {
            $0.text("QemuDeviceModelRecord")
            $0.zeros(80 << 20)
        })
        try image.write(to: input)
        let (exit, stderr) = try runTool(
            Paths.converter,
            [
                "-i", input, "-o", "/dev/null", "-w", "64", "-g", "hvm",
                "-f", "libxl",
            ], timeout: 60)
        let ran = try #require(exit)
        #expect(ran.status == 0, "\(stderr)")
        #expect(withinMemoryLimit(ran), "peak RSS \(ran.maxRSSKiB ?? 0) KiB")
    }
}
