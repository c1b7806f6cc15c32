import XenMigration

// The library options a command line asks for, read by the tools' own
// parser: tests and other callers that turn a command line (a conformance
// vector's `args`) into library options use these, so they and the tools
// cannot read the same arguments two ways. Nothing is printed; a usage
// error is thrown.

/// A command line's meaning, as the tools read it.
public enum ToolArguments {
    /// What `convert-legacy-stream` would convert with, given `arguments`
    /// (without the program name). `-i`/`-o` and the other tool-only options
    /// are accepted and ignored; the required ones need not be there.
    public static func conversionOptions(_ arguments: [String]) throws -> ConversionOptions {
        let lenient = ["-i", "-", "-o", "-", "--auto"] + arguments
        guard case .run(let command) = try CLIParsing.command(ConvertCommand.self, lenient) else {
            throw UsageError("not a conversion: \(arguments)")
        }
        return command.conversionOptions(given: arguments)
    }

    /// The stream format `verify-stream-v2` would verify, given `arguments`.
    public static func verifyFormat(_ arguments: [String]) throws -> VerifyFormat {
        guard case .run(let command) = try CLIParsing.command(VerifyCommand.self, arguments) else {
            throw UsageError("not a verification: \(arguments)")
        }
        return command.format
    }
}

extension ConvertCommand {
    /// The options this parsed command line asks the converter for.
    var conversionOptions: ConversionOptions {
        ConversionOptions(
            width: width?.width, guest: guestType?.guest, format: format,
            streamVersion: streamVersion == 3 ? .v3 : .v2,
            xlHeader: xl ? true : (auto ? nil : false), skipQemu: skipQemu)
    }

    /// As `conversionOptions`, for a command line that was completed with
    /// `--auto` only to pass validation: `--auto` counts only if given.
    fileprivate func conversionOptions(given arguments: [String]) -> ConversionOptions {
        var command = self
        command.auto = arguments.contains("--auto")
        return command.conversionOptions
    }
}

extension UsageError: CustomStringConvertible {
    public var description: String { message }
}
