import XenHost

/// One program for both commands: `verify-stream-v2` is a link to
/// `convert-legacy-stream`, and the name it is run by picks the command.
/// One Swift runtime and one copy of the library instead of two halves the
/// install.
package enum MultiCall {
    /// The name that runs the verifier; every other name runs the converter.
    package static let verifierName = "verify-stream-v2"

    /// The command for a program path (`argv[0]`): the verifier for exactly
    /// `verify-stream-v2` (after the last `/`); the converter for any other
    /// name, because libxl runs the converter under whatever name
    /// `LIBXL_CONVERT_HELPER` gives it.
    package static func isVerifier(_ programPath: String) -> Bool {
        programPath.split(separator: "/").last.map(String.init) == verifierName
    }

    /// Runs the command named by `argv[0]` with the rest; returns the exit status.
    package static func main(_ argv: [String]) -> Int32 {
        let arguments = Array(argv.dropFirst())
        if let program = argv.first, isVerifier(program) {
            return CLIParsing.main(VerifyCommand.self, arguments: arguments)
        }
        return CLIParsing.main(ConvertCommand.self, arguments: arguments)
    }

    /// Runs the command named by `argv[0]` and exits with its status.
    package static func run(_ argv: [String]) -> Never {
        Host.exit(main(argv))
    }
}
