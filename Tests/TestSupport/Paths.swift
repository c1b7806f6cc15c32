import Foundation

/// Paths the tests need: the package root, the fixtures, the built tools.
package enum Paths {
    /// Found from this file's own path (Tests/TestSupport/Paths.swift), so
    /// the fixtures need no bundling and every test target finds them.
    package static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Xen's reference tools' conformance vectors: `convert/NAME/`, `verify/NAME/`.
    package static let conformance: URL = packageRoot.appendingPathComponent("Tests/Fixtures/conformance")

    /// Inputs that once crashed a fuzz target: `convert/`, `verify/`, `io/`
    /// (see fuzz/README.md).
    package static let regressions: URL = packageRoot.appendingPathComponent("Tests/Fixtures/regression")

    /// The fuzz seed corpus (fuzz/make-corpus.py).
    package static let fuzzCorpus: URL = packageRoot.appendingPathComponent("fuzz/corpus")

    /// The directory of the running test binary: swift test builds the
    /// command-line tools beside it.
    package static let binDir: URL = {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On Linux the test binary may sit inside a .xctest bundle directory.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("convert-legacy-stream").path),
            dir.path != "/"
        {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()

    package static var converter: String { binDir.appendingPathComponent("convert-legacy-stream").path }
    /// The verifier is a link to the converter (one multi-call program).
    package static var verifier: String { VerifierLink.path }
    package static var generator: String { binDir.appendingPathComponent("generate-legacy-stream").path }

    package static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("xen-legacy-stream-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
