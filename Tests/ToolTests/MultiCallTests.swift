import Foundation
import TestSupport
import Testing
import XenMigrationCLI

#if canImport(Glibc)
    import Glibc
#endif

private func make(_ target: String, _ variables: [String: String], timeout: Double = 120) throws -> RunResult {
    var all = ["DESTDIR": "", "BINDIR": Paths.binDir.path]
    for (k, v) in variables { all[k] = v }
    let assignments = all.keys.sorted().map { "\($0)=\(all[$0] ?? "")" }
    return try Spawn.run("/usr/bin/make", ["-s", "-C", Paths.packageRoot.path, target] + assignments, timeout: timeout)
}

private func lstatMode(_ path: String) -> mode_t? {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
}

/// Device and inode of what a path finally names.
private func identity(_ path: String) -> [UInt64]? {
    var st = stat()
    return stat(path, &st) == 0 ? [UInt64(st.st_dev), UInt64(st.st_ino)] : nil
}

private func size(_ path: String) -> Int? {
    var st = stat()
    return lstat(path, &st) == 0 ? Int(st.st_size) : nil
}

@Suite("One program, two names")
struct MultiCallTests {
    @Test("the name after the last / picks the verifier; any other name is the converter")
    func dispatch() {
        for name in [
            "verify-stream-v2", "/usr/lib/xen/bin/verify-stream-v2", "./verify-stream-v2", "a//verify-stream-v2",
        ] {
            #expect(MultiCall.isVerifier(name), "\(name)")
        }
        for name in [
            "convert-legacy-stream", "", "/", "verify-stream-v2.py", "xen-verify-stream-v2",
            "verify-stream-v3", "/opt/verify-stream-v2/convert-legacy-stream", "VERIFY-STREAM-V2",
        ] {
            #expect(!MultiCall.isVerifier(name), "\(name)")
        }
    }

    @Test("run under another name (as LIBXL_CONVERT_HELPER may name it), it is the converter")
    func otherName() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let renamed = dir.appendingPathComponent("xen-convert-helper").path
        #expect(symlink(Paths.converter, renamed) == 0)
        let version = try Spawn.run(renamed, ["--version"])
        #expect(version.stdoutText == "convert-legacy-stream \(ToolVersion.current)\n")
        let v = Vector(kind: "convert", name: "pv64-libxl")
        let converted = try Spawn.run(
            renamed, ["-i", v.file("input.legacy").path, "-o", "-"] + v.args.filter { $0 != "-v" })
        #expect(converted.status == 0)
        #expect(converted.stdout == v.bytes("expected.out"))
    }

    @Test("the test build's verify-stream-v2 is a link to the program, as make leaves it")
    func buildLink() throws {
        #expect(lstatMode(Paths.verifier) == S_IFLNK)
        #expect(identity(Paths.verifier) == identity(Paths.converter))
    }

    @Test("install-only: one program in lib/xen/bin, verify-stream-v2 a link to it; bin links; both names work")
    func installLayout() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("usr")
        let result = try make("install-only", ["PREFIX": prefix.path])
        #expect(result.status == 0, "make: \(result.stderrText)")

        let libexec = prefix.appendingPathComponent("lib/xen/bin")
        let program = libexec.appendingPathComponent("convert-legacy-stream").path
        let link = libexec.appendingPathComponent("verify-stream-v2").path
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: libexec.path).sorted()
                == ["convert-legacy-stream", "verify-stream-v2"])
        #expect(lstatMode(program) == S_IFREG)
        #expect(lstatMode(link) == S_IFLNK)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == "convert-legacy-stream")
        let inode = try #require(identity(program))
        for path in [
            link, prefix.appendingPathComponent("bin/convert-legacy-stream").path,
            prefix.appendingPathComponent("bin/verify-stream-v2").path,
        ] {
            #expect(identity(path) == inode, "\(path) is not the program")
        }

        for name in ["convert-legacy-stream", "verify-stream-v2"] {
            for path in [libexec.appendingPathComponent(name).path, prefix.appendingPathComponent("bin/\(name)").path] {
                let version = try Spawn.run(path, ["--version"])
                #expect(version.stdoutText == "\(name) \(ToolVersion.current)\n", "\(path)")
            }
        }
        let v = Vector(kind: "verify", name: "hvm64-libxl-toolstack-xl")
        let verified = try Spawn.run(
            prefix.appendingPathComponent("bin/verify-stream-v2").path,
            ["-i", v.file("stream").path, "-v"] + v.args)
        #expect(verified.status == 0, "\(verified.stderrText)")
        #expect(verified.stdoutText == v.text("expected.stdout"))
    }

    @Test("bindir = LIBEXEC_BIN: the program and its link, no links to themselves; uninstall empties it")
    func sameDirectory() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("opt/bin")
        let variables = ["PREFIX": dir.appendingPathComponent("opt").path, "LIBEXEC_BIN": bin.path, "bindir": bin.path]
        let result = try make("install-only", variables)
        #expect(result.status == 0, "make: \(result.stderrText)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: bin.path).sorted()
                == ["convert-legacy-stream", "verify-stream-v2"])
        #expect(lstatMode(bin.appendingPathComponent("convert-legacy-stream").path) == S_IFREG)
        let verify = try Spawn.run(bin.appendingPathComponent("verify-stream-v2").path, ["--version"])
        #expect(verify.stdoutText == "verify-stream-v2 \(ToolVersion.current)\n")
        #expect(try make("uninstall", variables).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bin.path) == [])
    }

    /// The release build as users make it (static Swift runtime), in its own
    /// scratch directory inside .build: `swift test` holds .build's lock, and
    /// a second one keeps later runs incremental. The first run builds for
    /// about a minute and a half on 2 cores, beside the other tests.
    @Test(
        "make install-strip: no linker warnings; both tools together at most 16 MiB; only libc, libm, libstdc++, libgcc_s"
    )
    func strippedSize() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stage = dir.appendingPathComponent("stage")
        let scratch = Paths.packageRoot.appendingPathComponent(".build/install-check").path
        let result = try make(
            "install-strip",
            [
                "DESTDIR": stage.path, "PREFIX": "/usr", "SCRATCH_PATH": scratch,
                "BINDIR": "\(scratch)/release",
            ], timeout: 1200)
        #expect(result.status == 0, "make: \(result.stderrText)")
        let output = result.stdoutText + result.stderrText
        #expect(!output.lowercased().contains("warning"), "\(output)")

        var total = 0
        for sub in ["usr/lib/xen/bin", "usr/bin"] {
            for name in ["convert-legacy-stream", "verify-stream-v2"] {
                let path = stage.appendingPathComponent("\(sub)/\(name)").path
                let mode = try #require(lstatMode(path), "\(path) not installed")
                if mode == S_IFREG { total += size(path) ?? 0 }
            }
        }
        let program = stage.appendingPathComponent("usr/lib/xen/bin/convert-legacy-stream").path
        #expect(total == size(program), "more than one program installed")
        #expect(total > 1 << 20 && total <= 16 << 20, "installed tools: \(total) bytes")
        #expect(total < size("\(scratch)/release/convert-legacy-stream") ?? 0, "not stripped")

        let elf = try Spawn.run("/usr/bin/readelf", ["-d", program])
        let needed = elf.stdoutText.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            line.split(separator: "[").last.map { String($0.dropLast()) }
        }
        // docs/installing.md's list (the dynamic loader's name depends on the architecture).
        #expect(
            Set(needed.filter { !$0.hasPrefix("ld-linux") }) == [
                "libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1",
            ])
        let version = try Spawn.run(stage.appendingPathComponent("usr/bin/verify-stream-v2").path, ["--version"])
        #expect(version.stdoutText == "verify-stream-v2 \(ToolVersion.current)\n")
    }
}
