import XenHost
import XenMigration

/// A command of this package, declared once: its options (an enum whose
/// cases carry their names, value and help), the settings they make, and
/// its run. Parsing, `--help`, the completion scripts and the exit statuses
/// all come from here.
package protocol ToolCommand {
    associatedtype Option: CommandOption
    /// The program name, as in messages and `--version`.
    static var name: String { get }
    /// The one-line usage, printed after a usage error and atop the help.
    static var usage: String { get }
    /// The help's paragraph before the options table.
    static var about: String { get }
    /// The help's paragraph after it.
    static var exitStatusText: String { get }
    /// The exit status for each kind of failure (what `exitStatusText` says).
    static func exitStatus(_ kind: ToolFailure.Kind) -> Int32
    init()
    /// `-v`, `--syslog` and `--no-sandbox`, which the parser sets.
    var common: CommonSettings { get set }
    /// Takes one of the command's own options, in command-line order
    /// (repeated options: the last wins). `--help`, `--version` and the
    /// common options never reach it.
    mutating func take(_ given: OptParseCompat<Option>.Given) throws(ToolFailure)
    /// Once every option is taken: what is missing or does not fit together.
    func validate() throws(ToolFailure)
    /// Where the run's messages go (made once, before the run).
    func makeConsole() -> Console
    func execute(_ console: Console) throws(ToolFailure)
}

/// What both commands take: `-v`, `--syslog` and `--no-sandbox`.
package struct CommonSettings: Sendable {
    package var verbose = false
    package var syslog = false
    package var noSandbox = false

    /// Takes `option` if it is one of these; false for a command's own.
    mutating func take<Option: CommandOption>(_ option: Option) -> Bool {
        switch option {
        case .verbose: verbose = true
        case .syslog: syslog = true
        case .noSandbox: noSandbox = true
        default: return false
        }
        return true
    }

    /// Where the messages of the program `name` go.
    func console(for name: String, quiet: Bool = false) -> Console {
        Console(verbose: verbose, quiet: quiet, syslogIdent: syslog ? name : nil)
    }
}

extension ToolCommand {
    /// Takes one option from the command line: the settings every command
    /// shares, else the command's own.
    mutating func apply(_ given: OptParseCompat<Option>.Given) throws(ToolFailure) {
        if common.take(given.option) { return }
        try take(given)
    }

    /// All of `--help`.
    package static var helpText: String {
        usage + "\n\n" + about + "\n\nOptions:\n" + HelpTable.render(Option.self) + "\n" + exitStatusText + "\n"
    }
}

/// Parsing shared by the commands, with optparse's behaviour: options act in
/// order (`--help` and `--version` print and exit 0 where they stand), usage
/// errors exit 2 (a missing required option 1, as Xen's converter).
package enum CLIParsing {
    /// What a command line asks for: a run, or text to print and exit 0.
    enum Invocation<C: ToolCommand> {
        case run(C)
        case print(String)
    }

    static func parse<C: ToolCommand>(_ type: C.Type, _ arguments: [String]) throws(ToolFailure) -> Invocation<C> {
        let scanned = OptParseCompat<C.Option>.scan(arguments)
        var command = C()
        for given in scanned.options {
            if given.option == .help { return .print(C.helpText) }
            if given.option == .version { return .print("\(C.name) \(ToolVersion.current)\n") }
            try command.apply(given)
        }
        if let error = scanned.error { throw error }
        try command.validate()
        return .run(command)
    }

    /// The options of a command line, read as the tool reads them but
    /// printing nothing and checking nothing required: for callers that turn
    /// a command line (a conformance vector's `args`) into options, so that
    /// they and the tool cannot read it two ways. `--help`/`--version` are
    /// passed over.
    package static func read<C: ToolCommand>(_ type: C.Type, _ arguments: [String]) throws(ToolFailure) -> C {
        let scanned = OptParseCompat<C.Option>.scan(arguments)
        var command = C()
        for given in scanned.options where given.option != .help && given.option != .version {
            try command.apply(given)
        }
        if let error = scanned.error { throw error }
        return command
    }

    /// Parses `arguments` (without the program name), runs, and returns the
    /// exit status. The one place a failure becomes a message and a status.
    static func main<C: ToolCommand>(_ type: C.Type, arguments: [String]) -> Int32 {
        Host.ignoreBrokenPipes()  // a closed reader is a write error, not a death
        let command: C
        do throws(ToolFailure) {
            switch try parse(type, arguments) {
            case .print(let text):
                Console.write(text, to: .standardOutput)
                return 0
            case .run(let parsed):
                command = parsed
            }
        } catch {
            Console.write("\(C.name): \(error.message)\n\(C.usage)\n", to: .standardError)
            return C.exitStatus(error.kind)
        }
        let console = command.makeConsole()
        do throws(ToolFailure) {
            try command.execute(console)
            return 0
        } catch {
            console.error(error.message)
            return C.exitStatus(error.kind)
        }
    }
}

/// A command line's meaning, as the tools read it: tests and other callers
/// that turn a command line (a conformance vector's `args`) into library
/// options use these, so they and the tools cannot read the same arguments
/// two ways. Nothing is printed; a usage error is thrown.
package enum ToolArguments {
    /// What `convert-legacy-stream` would convert with, given `arguments`
    /// (without the program name). `-i`/`-o` and the other tool-only options
    /// are accepted and ignored; required ones need not be there.
    package static func conversionOptions(_ arguments: [String]) throws(ToolFailure) -> ConversionOptions {
        try CLIParsing.read(ConvertCommand.self, arguments).conversionOptions
    }

    /// The stream format `verify-stream-v2` would verify, given `arguments`.
    package static func verifyFormat(_ arguments: [String]) throws(ToolFailure) -> VerifyFormat {
        try CLIParsing.read(VerifyCommand.self, arguments).format
    }
}
