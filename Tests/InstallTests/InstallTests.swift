import Foundation
import TestSupport
import Testing
import XenMigrationCLI

#if canImport(Glibc)
    import Glibc
#endif

/// `make install-only` from the debug build into a temporary prefix: the
/// same recipe `make install` runs after its release build.
private enum Install {
    static let tools = ["convert-legacy-stream", "verify-stream-v2"]
    static let make = "/usr/bin/make"
    static var makeAvailable: Bool { FileManager.default.isExecutableFile(atPath: make) }

    /// Runs a Makefile target in the package root. DESTDIR is always given
    /// so that one set by an outer `make check` cannot leak in.
    static func run(_ target: String, _ variables: [String: String]) throws -> RunResult {
        var all = ["DESTDIR": "", "BINDIR": Paths.binDir.path]
        for (k, v) in variables { all[k] = v }
        let assignments = all.keys.sorted().map { "\($0)=\(all[$0] ?? "")" }
        return try Spawn.run(make, ["-s", "-C", Paths.packageRoot.path, target] + assignments, timeout: 120)
    }

    /// The files an install puts under a root (PREFIX, or DESTDIR+PREFIX).
    static func files(under root: URL) -> [String] {
        var paths: [String] = []
        for tool in tools {
            paths += [
                "lib/xen/bin/\(tool)", "bin/\(tool)", "share/man/man1/\(tool).1",
                "share/bash-completion/completions/\(tool)", "share/zsh/site-functions/_\(tool)",
                "share/fish/vendor_completions.d/\(tool).fish",
            ]
        }
        return paths.map { root.appendingPathComponent($0).path }
    }
}

private func bytes(_ path: String) -> [UInt8]? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { [UInt8]($0) }
}

private func mode(_ path: String) -> mode_t? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return st.st_mode
}

private func exists(_ path: String) -> Bool { mode(path) != nil }

@Suite("make install", .enabled(if: Install.makeAvailable, "needs /usr/bin/make"))
struct InstallTests {
    @Test("install-only: programs in lib/xen/bin, links in bin, man pages, completions; uninstall removes them")
    func installIntoPrefix() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("usr/local")

        let installed = try Install.run("install-only", ["PREFIX": prefix.path])
        #expect(installed.status == 0, "make: \(installed.stderrText)")

        for tool in Install.tools {
            let program = prefix.appendingPathComponent("lib/xen/bin/\(tool)").path
            let link = prefix.appendingPathComponent("bin/\(tool)").path
            let programMode = try #require(mode(program), "\(program) missing")
            if tool == "convert-legacy-stream" {
                #expect(programMode & S_IFMT == S_IFREG)
                #expect(programMode & 0o777 == 0o755)
                #expect(bytes(program) == bytes(Paths.converter), "\(tool) is not the built program")
            } else {
                // One multi-call program: the verifier is a link to it (MultiCallTests check more).
                #expect(programMode & S_IFMT == S_IFLNK)
                #expect(
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: program)) == "convert-legacy-stream")
            }

            // A relative link, so a staged tree can be moved into place.
            #expect(mode(link).map { $0 & S_IFMT } == S_IFLNK)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == "../lib/xen/bin/\(tool)")
            #expect(
                URL(fileURLWithPath: link).resolvingSymlinksInPath().path
                    == URL(fileURLWithPath: program).resolvingSymlinksInPath().path)

            let page = prefix.appendingPathComponent("share/man/man1/\(tool).1").path
            // The source's @VERSION@ becomes the version.
            let source = try String(
                contentsOf: Paths.packageRoot.appendingPathComponent("man/\(tool).1"), encoding: .utf8)
            #expect(bytes(page) == Array(source.replacingOccurrences(of: "@VERSION@", with: ToolVersion.current).utf8))
            #expect(mode(page).map { $0 & 0o777 } == 0o644)
        }
        for path in Install.files(under: prefix) {
            #expect(exists(path), "\(path) not installed")
        }

        // The installed programs work when run through their links.
        let bin = prefix.appendingPathComponent("bin")
        let version = try Spawn.run(bin.appendingPathComponent("convert-legacy-stream").path, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdoutText == "convert-legacy-stream \(ToolVersion.current)\n")

        let vector = Vector(kind: "convert", name: "hvm64-libxl-toolstack-xl")
        let out = dir.appendingPathComponent("converted").path
        let converted = try Spawn.run(
            bin.appendingPathComponent("convert-legacy-stream").path,
            ["-i", vector.file("input.legacy").path, "-o", out] + vector.args)
        #expect(converted.status == 0, "\(converted.stderrText)")
        #expect(bytes(out) == vector.bytes("expected.out"))
        #expect(converted.stdoutText == vector.text("expected.stdout"))
        let verified = try Spawn.run(bin.appendingPathComponent("verify-stream-v2").path, ["-f", "xl", "-i", out])
        #expect(verified.status == 0, "\(verified.stderrText)")

        let removed = try Install.run("uninstall", ["PREFIX": prefix.path])
        #expect(removed.status == 0, "make: \(removed.stderrText)")
        for path in Install.files(under: prefix) {
            #expect(!exists(path), "\(path) left after uninstall")
        }
        // Shared directories stay: Xen's own tools live there too.
        #expect(exists(prefix.appendingPathComponent("lib/xen/bin").path))
    }

    @Test("DESTDIR staging with Xen's LIBEXEC_BIN elsewhere: the link is relative to the final layout")
    func stagedInstall() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stage = dir.appendingPathComponent("stage")
        let result = try Install.run(
            "install-only",
            [
                "DESTDIR": stage.path + "/", "PREFIX": "/usr",
                "LIBEXEC_BIN": "/usr/libexec/xen/bin",
            ])
        #expect(result.status == 0, "make: \(result.stderrText)")
        let link = stage.appendingPathComponent("usr/bin/convert-legacy-stream").path
        #expect(
            (try? FileManager.default.destinationOfSymbolicLink(atPath: link))
                == "../libexec/xen/bin/convert-legacy-stream")
        #expect(exists(stage.appendingPathComponent("usr/libexec/xen/bin/verify-stream-v2").path))
        #expect(!exists(stage.appendingPathComponent("usr/lib/xen").path))
        // Nothing escaped the stage.
        let top = try FileManager.default.contentsOfDirectory(atPath: stage.path)
        #expect(top == ["usr"])

        let version = try Spawn.run(link, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdoutText == "convert-legacy-stream \(ToolVersion.current)\n")
    }

    @Test("install-only without built programs fails and installs nothing")
    func missingPrograms() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("prefix")
        let result = try Install.run(
            "install-only",
            [
                "PREFIX": prefix.path,
                "BINDIR": dir.appendingPathComponent("nothing-built").path,
            ])
        #expect(result.status != 0)
        #expect(result.stderrText.contains("convert-legacy-stream: not built"))
        #expect(!exists(prefix.path))
    }

    /// Every option a tool's parser accepts, from its declaration.
    private static func options(of tool: String) -> [(long: String, short: Character?)] {
        tool == MultiCall.verifierName
            ? VerifyCommand.Option.allCases.map { ($0.long, $0.spec.short) }
            : ConvertCommand.Option.allCases.map { ($0.long, $0.spec.short) }
    }

    @Test("man pages cover every option", arguments: Install.tools)
    func manPagesCoverOptions(_ tool: String) throws {
        let page = try String(
            contentsOf: Paths.packageRoot.appendingPathComponent("man/\(tool).1"), encoding: .utf8)
        for option in Self.options(of: tool) {
            let troffLong = "\\-\\-" + option.long.replacingOccurrences(of: "-", with: "\\-")
            let inPage = page.contains(troffLong)
            #expect(inPage, "man page lacks --\(option.long)")
            if let short = option.short {
                let shortInPage = page.contains("\\-\(short)")
                #expect(shortInPage, "man page lacks -\(short)")
            }
        }
    }

    /// The committed script, and what the option declarations make.
    private static func completion(_ shell: Completions.Shell, _ tool: String) throws -> (
        committed: String, made: String
    ) {
        let path = Paths.packageRoot.appendingPathComponent(shell.path(for: tool))
        let made =
            tool == MultiCall.verifierName
            ? Completions.script(shell, for: VerifyCommand.self) : Completions.script(shell, for: ConvertCommand.self)
        // `make completions` sets this to write the scripts afresh.
        if ProcessInfo.processInfo.environment["XEN_UPDATE_COMPLETIONS"] == "1" {
            try made.write(to: path, atomically: true, encoding: .utf8)
        }
        return (try String(contentsOf: path, encoding: .utf8), made)
    }

    @Test(
        "completion scripts are what the option declarations make (make completions rewrites them)",
        arguments: Completions.Shell.allCases, Install.tools)
    func completionsMatchDeclarations(_ shell: Completions.Shell, _ tool: String) throws {
        let script = try Self.completion(shell, tool)
        #expect(script.committed == script.made, "\(shell.path(for: tool)) is stale: run make completions")
        for option in Self.options(of: tool) {
            let named = script.committed.contains("--\(option.long)") || script.committed.contains("-l \(option.long)")
            #expect(named, "\(shell) completion lacks --\(option.long)")
        }
    }

    @Test("option summaries and choice meanings need no quoting in any shell")
    func summariesNeedNoQuoting() {
        var texts =
            ConvertCommand.Option.allCases.map(\.spec.summary) + VerifyCommand.Option.allCases.map(\.spec.summary)
        for spec in ConvertCommand.Option.allCases.map(\.spec) + VerifyCommand.Option.allCases.map(\.spec) {
            if case .choice(let choices) = spec.value { texts += choices.map(\.meaning) }
        }
        for text in texts {
            #expect(!text.contains(where: Completions.unquotable.contains), "\(text)")
        }
    }

    @Test(
        "the fish completion offers what the parser accepts",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/fish"), "needs fish"))
    func fishCompletionBehaves() throws {
        let script = Paths.packageRoot.appendingPathComponent("completions/fish/convert-legacy-stream.fish").path
        func complete(_ line: String) throws -> [String] {
            let result = try Spawn.run("/usr/bin/fish", ["-c", "source '\(script)'; complete -C '\(line)'"])
            return result.stdoutText.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        }
        #expect(try complete("convert-legacy-stream --guest-type ").sorted() == ["auto", "hvm", "pv"])
        #expect(try complete("convert-legacy-stream -f ").sorted() == ["libxc", "libxl"])
        #expect(try complete("convert-legacy-stream --stream-v") == ["--stream-version"])
    }

    @Test("the bash completion offers what the parser accepts")
    func bashCompletionBehaves() throws {
        let bash = "/bin/bash"
        guard FileManager.default.isExecutableFile(atPath: bash) else { return }
        let script = Paths.packageRoot.appendingPathComponent("completions/bash/convert-legacy-stream").path
        // COMP_WORDS as bash splits `convert-legacy-stream --guest <TAB>` and friends.
        func complete(_ words: [String]) throws -> [String] {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let program = """
                compopt() { :; }; source '\(script)'
                COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1)
                _convert_legacy_stream; printf '%s\\n' "${COMPREPLY[@]}"
                """
            let result = try Spawn.run(bash, ["-c", program])
            return result.stdoutText.split(separator: "\n").map(String.init)
        }
        #expect(try complete(["convert-legacy-stream", "--guest", ""]) == ["pv", "hvm", "auto"])
        #expect(try complete(["convert-legacy-stream", "-w", "6"]) == ["64"])
        #expect(try complete(["convert-legacy-stream", "--stream-version", "=", ""]) == ["2", "3"])
        #expect(try complete(["convert-legacy-stream", "--form=l"]) == ["--form=libxc", "--form=libxl"])
        #expect(try complete(["convert-legacy-stream", "--dr"]) == ["--dry-run"])
    }

    @Test(
        "man pages render without groff warnings",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/groff"), "needs groff"),
        arguments: Install.tools)
    func manPageRenders(_ tool: String) throws {
        let page = Paths.packageRoot.appendingPathComponent("man/\(tool).1").path
        let result = try Spawn.run("/usr/bin/groff", ["-man", "-Tutf8", "-ww", "-z", page])
        #expect(result.status == 0)
        #expect(result.stderrText == "")
    }

    @Test("completion scripts parse in each shell that is installed")
    func completionsParse() throws {
        let scripts = [("/bin/bash", "bash/"), ("/usr/bin/zsh", "zsh/_"), ("/usr/bin/fish", "fish/")]
        var checked = 0
        for (shell, stem) in scripts where FileManager.default.isExecutableFile(atPath: shell) {
            for tool in Install.tools {
                let file = "completions/\(stem)\(tool)" + (shell.hasSuffix("fish") ? ".fish" : "")
                let result = try Spawn.run(shell, ["-n", Paths.packageRoot.appendingPathComponent(file).path])
                #expect(result.status == 0, "\(shell) -n \(file): \(result.stderrText)")
                checked += 1
            }
        }
        #expect(checked >= 2, "no shell to check with")
    }
}
