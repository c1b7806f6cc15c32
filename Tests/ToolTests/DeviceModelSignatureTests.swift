import Foundation
import TestSupport
import Testing

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
            let result = try Spawn.run(
                Paths.converter, ["-i", "-", "-o", "-", "-w", "64", "-g", "hvm", "-f", format], stdin: input)
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
        let fromPipe = try Spawn.run(
            Paths.converter, ["-i", "-", "-o", "-", "-w", "64", "-g", "hvm", "-f", "libxl"], stdin: input)
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
        let result = try Spawn.run(
            Paths.converter, ["-i", "-", "-o", "/dev/null", "-w", "64", "-g", "hvm", "-f", "libxl"], stdin: input)
        #expect(result.status == 2)
        #expect(result.stderrText.hasPrefix("Script Error: "))
    }
}
