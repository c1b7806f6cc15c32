/// A command of this package: optparse-style options, then its own run.
protocol ToolCommand {
    /// The program name, as in messages and `--version`.
    static var name: String { get }
    /// The one-line usage, printed after a usage error and atop the help.
    static var usage: String { get }
    /// The rest of `--help`, after the usage line.
    static var help: String { get }
    static var compat: OptParseCompat { get }
    init()
    /// Takes one option, in command-line order (repeated options: the last wins).
    mutating func take(_ option: OptParseCompat.Given) throws(UsageError)
    /// Once every option is taken: what is missing or does not fit together.
    func validate() throws(UsageError)
    func execute() -> Int32
}

/// Parsing shared by the commands, with optparse's behaviour: options act in
/// order (`--help` and `--version` print and exit 0 where they stand), usage
/// errors exit 2 (a missing required option 1, as Xen's converter).
enum CLIParsing {
    /// The command, or the exit status when parsing ended the run.
    static func parse<C: ToolCommand>(_ type: C.Type, _ arguments: [String]) -> Result<C, Exit> {
        let scanned = C.compat.scan(arguments)
        var command = C()
        do throws(UsageError) {
            for option in scanned.options {
                switch option.long {
                case "help":
                    Console.write(C.usage + "\n\n" + C.help, to: .standardOutput)
                    return .failure(Exit(status: 0))
                case "version":
                    Console.write("\(C.name) \(ToolVersion.current)\n", to: .standardOutput)
                    return .failure(Exit(status: 0))
                default:
                    try command.take(option)
                }
            }
            if let error = scanned.error { throw error }
            try command.validate()
        } catch {
            Console.write("\(C.name): \(error.message)\n\(C.usage)\n", to: .standardError)
            return .failure(Exit(status: error.status))
        }
        return .success(command)
    }

    struct Exit: Error { var status: Int32 }

    /// The options of a command line, read as the tool reads them but
    /// printing nothing and checking nothing required: for callers that turn
    /// a command line (a conformance vector's `args`) into options, so that
    /// they and the tool cannot read it two ways. `--help`/`--version` are
    /// passed over.
    static func read<C: ToolCommand>(_ type: C.Type, _ arguments: [String]) throws(UsageError) -> C {
        let scanned = C.compat.scan(arguments)
        var command = C()
        for option in scanned.options where option.long != "help" && option.long != "version" {
            try command.take(option)
        }
        if let error = scanned.error { throw error }
        return command
    }

    /// Parses `arguments` (without the program name), runs, and returns the exit status.
    static func main<C: ToolCommand>(_ type: C.Type, arguments: [String]) -> Int32 {
        signal(SIGPIPE, SIG_IGN)  // a closed reader is a write error, not a death
        switch parse(type, arguments) {
        case .success(let command): return command.execute()
        case .failure(let exit): return exit.status
        }
    }
}
