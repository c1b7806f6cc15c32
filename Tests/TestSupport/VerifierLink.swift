import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `verify-stream-v2` beside the built converter, as `make` leaves it: a
/// link to `convert-legacy-stream`, which runs the verifier by that name.
/// `swift build` makes only the program, so the tests make the link (once
/// per run; atomically, so a stale file from an older build is replaced).
package enum VerifierLink {
    package static let path: String = {
        let link = Paths.binDir.appendingPathComponent("verify-stream-v2").path
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == "convert-legacy-stream" {
            return link
        }
        let temporary = link + ".\(getpid()).tmp"
        unlink(temporary)
        if symlink("convert-legacy-stream", temporary) != 0 || rename(temporary, link) != 0 {
            unlink(temporary)
        }
        return link
    }()
}
