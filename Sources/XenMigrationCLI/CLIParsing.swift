import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A command of this package: optparse-style options, then its own run.
public protocol ToolCommand: ParsableCommand {
    static var compat: OptParseCompat { get }
    func execute() -> Int32
}

extension ToolCommand {
    /// Parses `arguments` (without the program name), runs, and returns the exit status.
    public static func main(arguments: [String]) -> Int32 {
        signal(SIGPIPE, SIG_IGN)  // a closed reader is a write error, not a death
        do {
            return try CLIParsing.parse(Self.self, arguments, compat: compat).execute()
        } catch let exit as CLIParsing.Exit {
            return exit.status
        } catch {
            return 2
        }
    }
}

/// Shared parsing: optparse-style normalisation, then swift-argument-parser,
/// with optparse's exit statuses (help and version 0, usage errors 2).
enum CLIParsing {
    struct Exit: Error { var status: Int32 }

    static func parse<C: ParsableCommand>(_ type: C.Type, _ arguments: [String],
                                          compat: OptParseCompat) throws -> C {
        let name = C.configuration.commandName ?? "command"
        let normalized: [String]
        do {
            normalized = try compat.normalize(arguments)
        } catch {
            Console.write("Usage: \(C.configuration.usage ?? name)\n\n\(name): error: \(error.message)\n",
                          to: .standardError)
            throw Exit(status: 2)
        }
        do {
            let parsed = try C.parseAsRoot(normalized)
            guard let command = parsed as? C else {
                // Only --help parses to another command (argument-parser's help).
                Console.write(C.helpMessage() + "\n", to: .standardOutput)
                throw Exit(status: 0)
            }
            return command
        } catch let exit as Exit {
            throw exit
        } catch {
            let message = C.fullMessage(for: error)
            if C.exitCode(for: error) == .success {
                Console.write(message + "\n", to: .standardOutput)
                throw Exit(status: 0)
            }
            Console.write("Usage: \(C.configuration.usage ?? name)\n\n\(name): error: \(message)\n",
                          to: .standardError)
            throw Exit(status: 2)
        }
    }
}
