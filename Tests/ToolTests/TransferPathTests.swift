import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every way the bytes can travel (file or pipe in, file or pipe out,
/// inherited descriptors), with the kernel's zero-copy calls and without,
/// writes the same bytes. Not timed: `bench/run.sh` measures speed.
@Suite("Transfer paths")
struct TransferPathTests {
    enum Path: String, CaseIterable, CustomTestStringConvertible {
        case fileToFile, fileToPipe, pipeToPipe, pipeToFile, descriptors
        var testDescription: String { rawValue }
    }

    /// An HVM image of a few MiB (full 1024-page batches and a short one),
    /// made by the project's generator, with its expected libxl stream.
    static let fixture: (input: String, expected: [UInt8])? = {
        guard let dir = try? Paths.temporaryDirectory() else { return nil }
        let input = dir.appendingPathComponent("hvm.legacy").path
        let expected = dir.appendingPathComponent("hvm.libxl").path
        guard
            let made = try? Spawn.run(
                Paths.generator,
                [
                    "--guest", "hvm", "--pages", "2500", "--batch", "1024",
                    "--vcpus", "2", "-o", input, "--expected", expected,
                    "--format", "libxl",
                ]),
            made.status == 0,
            let bytes = try? Data(contentsOf: URL(fileURLWithPath: expected))
        else { return nil }
        return (input, [UInt8](bytes))
    }()

    @Test(
        "same bytes on every path, zero-copy on and off",
        arguments: Path.allCases, [false, true])
    func path(_ path: Path, plainCopy: Bool) throws {
        let fixture = try #require(TransferPathTests.fixture)
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let common = ["-w", "64", "-g", "hvm", "-f", "libxl"]
        let env = plainCopy ? ["XEN_STREAM_NO_ZEROCOPY": "1"] : [:]
        let input = try Data(contentsOf: URL(fileURLWithPath: fixture.input))
        let written: [UInt8]?
        switch path {
        case .fileToFile:
            let r = try Spawn.run(Paths.converter, ["-i", fixture.input, "-o", out] + common, environment: env)
            #expect(r.status == 0, "\(r.stderrText)")
            written = try? [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        case .fileToPipe:
            let r = try Spawn.run(Paths.converter, ["-i", fixture.input, "-o", "-"] + common, environment: env)
            #expect(r.status == 0, "\(r.stderrText)")
            written = r.stdout
        case .pipeToPipe:
            let r = try Spawn.run(
                Paths.converter, ["-i", "-", "-o", "-"] + common, stdin: [UInt8](input), environment: env)
            #expect(r.status == 0, "\(r.stderrText)")
            written = r.stdout
        case .pipeToFile:
            let r = try Spawn.run(
                Paths.converter, ["-i", "-", "-o", out] + common, stdin: [UInt8](input), environment: env)
            #expect(r.status == 0, "\(r.stderrText)")
            written = try? [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        case .descriptors:
            let inFD = open(fixture.input, O_RDONLY | O_CLOEXEC)
            let outFD = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            defer {
                close(inFD)
                close(outFD)
            }
            // Numbers well above what the test process has open, so the
            // two dup2s cannot overwrite each other's source.
            let r = try Spawn.run(
                Paths.converter, ["--in", "200", "--out", "201"] + common,
                inherit: [(inFD, 200), (outFD, 201)], environment: env)
            #expect(r.status == 0, "\(r.stderrText)")
            written = try? [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        }
        // Compare without dumping megabytes into the log on failure.
        #expect(written?.count == fixture.expected.count)
        #expect(
            written == fixture.expected, "first difference at \(firstDifference(written ?? [], fixture.expected) ?? -1)"
        )
    }
}
