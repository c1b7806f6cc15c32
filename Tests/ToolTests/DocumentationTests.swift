import Foundation
import TestSupport
import Testing
import XenMigrationCLI

/// The README and the pages in docs/: their links lead somewhere, and the
/// README's option tables name every option the tools take.
@Suite("Documentation")
struct DocumentationTests {
    static let pages: [String] = {
        let docs = Paths.packageRoot.appendingPathComponent("docs").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: docs)) ?? []
        return ["README.md", "CONTRIBUTING.md"] + names.filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
    }()

    static func text(_ page: String) throws -> String {
        try String(contentsOf: Paths.packageRoot.appendingPathComponent(page), encoding: .utf8)
    }

    /// GitHub's anchor for a heading: lower case, spaces to dashes, and
    /// only letters, digits, dashes and underscores kept.
    static func anchor(_ heading: String) -> String {
        String(
            heading.lowercased().map { $0 == " " ? "-" : $0 }
                .filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    static func anchors(_ text: String) -> Set<String> {
        Set(
            text.split(separator: "\n").filter { $0.hasPrefix("#") }.map { line in
                anchor(String(line.drop { $0 == "#" }.drop { $0 == " " }))
            })
    }

    @Test("every relative link names a file there is, and a heading in it", arguments: pages)
    func linksResolve(_ page: String) throws {
        let text = try Self.text(page)
        let links = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        let base = (page as NSString).deletingLastPathComponent
        for match in links.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let range = Range(match.range(at: 1), in: text) else { continue }
            let target = String(text[range])
            if target.hasPrefix("http://") || target.hasPrefix("https://") { continue }
            let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let file = parts[0].isEmpty ? page : (base as NSString).appendingPathComponent(parts[0])
            let path = Paths.packageRoot.appendingPathComponent(file).path
            let exists = FileManager.default.fileExists(atPath: path)
            #expect(exists, "\(page): \(target) names no file")
            if exists, parts.count == 2, file.hasSuffix(".md") {
                let headings = Self.anchors(try Self.text(file))
                #expect(headings.contains(parts[1]), "\(page): \(target) names no heading")
            }
        }
    }

    @Test("the README's option tables name every option")
    func readmeOptions() throws {
        let readme = try Self.text("README.md")
        func table(after heading: String) -> Substring {
            guard let start = readme.range(of: heading) else { return "" }
            let rest = readme[start.upperBound...]
            return rest[..<(rest.range(of: "\n#")?.lowerBound ?? rest.endIndex)]
        }
        let convert = table(after: "### convert-legacy-stream options")
        for option in ConvertCommand.Option.allCases {
            #expect(convert.contains("`--\(option.long)"), "README lacks --\(option.long)")
            if let short = option.spec.short { #expect(convert.contains("`-\(short)`"), "README lacks -\(short)") }
        }
        let verify = table(after: "### verify-stream-v2 options")
        for option in VerifyCommand.Option.allCases {
            #expect(verify.contains("`--\(option.long)"), "README lacks --\(option.long)")
            if let short = option.spec.short { #expect(verify.contains("`-\(short)`"), "README lacks -\(short)") }
        }
    }
}
