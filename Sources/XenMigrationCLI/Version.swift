/// The package's version: the one place it is written. `--version` prints
/// it; the Makefile reads it from this line (keep it a single string
/// literal) for the installed man pages; the tests hold CHANGELOG.md and
/// the README to it.
package enum ToolVersion {
    package static let current = "1.0.0"
}
