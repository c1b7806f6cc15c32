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
    /// are accepted and ignored; required ones need not be there.
    public static func conversionOptions(_ arguments: [String]) throws -> ConversionOptions {
        try CLIParsing.read(ConvertCommand.self, arguments).conversionOptions
    }

    /// The stream format `verify-stream-v2` would verify, given `arguments`.
    public static func verifyFormat(_ arguments: [String]) throws -> VerifyFormat {
        try CLIParsing.read(VerifyCommand.self, arguments).format
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
}

extension UsageError: CustomStringConvertible {
    public var description: String { message }
}
