import XenMigration

// The library options a command line asks for, read by the tools' own
// parsers: tests and other callers that turn a command line (a conformance
// vector's `args`) into library options use these, so they and the tools
// cannot read the same arguments two ways. Nothing is printed; a usage
// error is thrown.

extension ConvertCommand {
    /// What `convert-legacy-stream` would convert with, given `arguments`
    /// (without the program name). `-i`/`-o` and the other tool-only options
    /// are accepted and ignored.
    public static func conversionOptions(arguments: [String]) throws -> ConversionOptions {
        try parse(compat.normalize(arguments)).conversionOptions
    }

    /// The options this parsed command line asks the converter for.
    public var conversionOptions: ConversionOptions {
        ConversionOptions(
            width: width?.width, guest: guestType?.guest, format: format,
            streamVersion: streamVersion == .v3 ? .v3 : .v2,
            xlHeader: xl ? true : (auto ? nil : false), skipQemu: skipQemu)
    }
}

extension VerifyCommand {
    /// The stream format `verify-stream-v2` would verify, given `arguments`.
    public static func verifyFormat(arguments: [String]) throws -> VerifyFormat {
        try parse(compat.normalize(arguments)).format
    }
}
