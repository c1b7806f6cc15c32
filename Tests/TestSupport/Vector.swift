import Foundation
import Testing
import XenMigration
import XenMigrationCLI

/// One conformance vector: a directory of `Tests/Fixtures/conformance/{convert,verify}`
/// (its README says what each file holds).
package struct Vector: CustomTestStringConvertible, Sendable {
    package let kind: String
    package let name: String
    package var testDescription: String { "\(kind)/\(name)" }
    package var directory: URL { Paths.conformance.appendingPathComponent(kind).appendingPathComponent(name) }

    package init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }

    package func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
    package func text(_ name: String) -> String? { try? String(contentsOf: file(name), encoding: .utf8) }
    package func bytes(_ name: String) -> [UInt8]? { (try? Data(contentsOf: file(name))).map { [UInt8]($0) } }
    /// The one-line `args` file, split as a shell would (no quoting is used).
    package var args: [String] {
        (text("args") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
    }
    package var expectedStatus: Int32 {
        Int32((text("expected.rc") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -99
    }
    /// The input: `input.legacy` (convert) or `stream` (verify).
    package var input: [UInt8]? { bytes(kind == "convert" ? "input.legacy" : "stream") }

    package static func all(_ kind: String) -> [Vector] {
        let dir = Paths.conformance.appendingPathComponent(kind)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { Vector(kind: kind, name: $0) }
    }
}

/// The converter options `args` ask for, read by convert-legacy-stream's own
/// parser (so a test and the tool cannot read them differently).
package func conversionOptions(_ args: [String]) throws -> ConversionOptions {
    try parsedOptions.value(args) { try ToolArguments.conversionOptions(args) }
}

/// The stream format `args` ask verify-stream-v2 for, read by its own parser.
package func verifyFormat(_ args: [String]) throws -> VerifyFormat {
    try parsedFormats.value(args) { try ToolArguments.verifyFormat(args) }
}

// Each command line is parsed once: swift-argument-parser takes milliseconds
// a parse in a debug build, and the mutation tests ask thousands of times for
// the same few command lines.
private let parsedOptions = Memo<ConversionOptions>()
private let parsedFormats = Memo<VerifyFormat>()

private final class Memo<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[String]: Value] = [:]

    func value(_ key: [String], _ make: () throws -> Value) rethrows -> Value {
        if let known = lock.withLock({ values[key] }) { return known }
        let made = try make()
        lock.withLock { values[key] = made }
        return made
    }
}

/// The verifier format for what a conversion with `options` writes.
package func verifyFormat(of options: ConversionOptions) -> VerifyFormat {
    VerifyFormat(converted: options.format, xlHeader: options.xlHeader == true)
}

/// A vector's input and arguments.
package func loadVector(
    _ kind: String, _ name: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> (input: [UInt8], args: [String]) {
    let vector = Vector(kind: kind, name: name)
    let input = try #require(vector.input, sourceLocation: sourceLocation)
    return (input, vector.args)
}

/// A vector's input as thinned into the fuzz seed corpus (its first byte,
/// the fuzz mode, dropped).
package func thinnedVector(
    _ kind: String, _ name: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> [UInt8] {
    let dir = Paths.fuzzCorpus.appendingPathComponent(kind)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    let file = try #require(
        files.first { $0.hasPrefix(name + "-") && $0.count == name.count + 9 },
        "no seed for \(name) in \(dir.path)", sourceLocation: sourceLocation)
    return Array(try Data(contentsOf: dir.appendingPathComponent(file)).dropFirst())
}

/// The first line of a tool's standard error.
package func firstLine(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
}

/// First differing offset of two byte arrays (for failure messages).
package func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    for i in 0..<min(a.count, b.count) where a[i] != b[i] { return i }
    return a.count == b.count ? nil : min(a.count, b.count)
}
