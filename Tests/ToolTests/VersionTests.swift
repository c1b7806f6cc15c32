import Foundation
import TestSupport
import Testing
import XenMigrationCLI

private func packageText(_ path: String) throws -> String {
    try String(contentsOf: Paths.packageRoot.appendingPathComponent(path), encoding: .utf8)
}

/// The version is written once, in Sources/XenMigrationCLI/Version.swift;
/// these keep everything that shows it in step with that.
@Suite("Version and licence")
struct VersionTests {
    @Test(
        "--version prints the name and the package version, for both names",
        arguments: [
            ("convert-legacy-stream", Paths.converter), ("verify-stream-v2", Paths.verifier),
        ])
    func version(_ name: String, _ path: String) throws {
        let result = try Spawn.run(path, ["--version"])
        #expect(result.status == 0)
        #expect(result.stdoutText == "\(name) \(ToolVersion.current)\n")
        #expect(result.stderr.isEmpty)
        // Semantic versioning: MAJOR.MINOR.PATCH.
        let parts = ToolVersion.current.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) })
    }

    @Test("the Makefile reads the same version (it substitutes it into the installed man pages)")
    func makefile() throws {
        let result = try Spawn.run("/usr/bin/make", ["-s", "-C", Paths.packageRoot.path, "version"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText == ToolVersion.current + "\n")
        for tool in ["convert-legacy-stream", "verify-stream-v2"] {
            let header = try packageText("man/\(tool).1").split(separator: "\n").first { $0.hasPrefix(".TH ") }
            #expect(header?.contains("\"xen-legacy-stream @VERSION@\"") == true, "man/\(tool).1: \(header ?? "no .TH")")
        }
    }

    @Test("CHANGELOG.md's latest release, the README and docs/ name the version")
    func documents() throws {
        let changelog = try packageText("CHANGELOG.md")
        // Changes not yet released sit under "## Unreleased", above the latest release.
        let latest = changelog.split(separator: "\n").first { $0.hasPrefix("## ") && $0 != "## Unreleased" }
        #expect(latest?.hasPrefix("## \(ToolVersion.current) ") == true, "\(latest ?? "no release heading")")
        let readme = try packageText("README.md")
        #expect(readme.contains("convert-legacy-stream \(ToolVersion.current)"))
        #expect(readme.contains("verify-stream-v2 \(ToolVersion.current)"))
        // Every version the README and the pages in docs/ state is this one.
        let stated = try NSRegularExpression(
            pattern: #"(?:convert-legacy-stream|verify-stream-v2|[Vv]ersion|xen-legacy-stream_) ?(\d+\.\d+\.\d+)"#)
        let docs = Paths.packageRoot.appendingPathComponent("docs")
        let pages = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
        #expect(pages.count >= 5)
        var total = 0
        for (name, text) in try [("README.md", readme)] + pages.map({ ("docs/\($0)", try packageText("docs/\($0)")) }) {
            let matches = stated.matches(in: text, range: NSRange(text.startIndex..., in: text))
            total += matches.count
            for match in matches {
                let version = Range(match.range(at: 1), in: text).map { String(text[$0]) }
                #expect(version == ToolVersion.current, "\(name)")
            }
        }
        #expect(total >= 3)
    }

    @Test("the Debian changelog's first entry and the README's package name are for the version")
    func debianPackage() throws {
        // packaging/build-deb.sh refuses to build otherwise; this says so before a release.
        let first = try packageText("packaging/debian/changelog").split(separator: "\n").first
        #expect(first?.hasPrefix("xen-legacy-stream (\(ToolVersion.current)-") == true, "\(first ?? "empty")")
        let readme = try packageText("README.md")
        let named = try NSRegularExpression(pattern: #"xen-legacy-stream_([0-9.]+)-"#)
        let matches = named.matches(in: readme, range: NSRange(readme.startIndex..., in: readme))
        #expect(matches.count >= 2)
        for match in matches {
            #expect(Range(match.range(at: 1), in: readme).map { String(readme[$0]) } == ToolVersion.current)
        }
    }

    @Test("LICENSE is the Apache License 2.0 text")
    func licence() throws {
        let text = try packageText("LICENSE")
        #expect(
            text.hasPrefix(
                "\n                                 Apache License\n                           Version 2.0, January 2004\n"
            ))
        #expect(text.contains("END OF TERMS AND CONDITIONS"))
        #expect(text.utf8.count == 11358)
        #expect(try packageText("README.md").contains("Apache License 2.0"))
    }
}
