/// Reads a command line the way Python's optparse does, into the options
/// given, in order.
///
/// optparse accepts `--in=X`, `--in X`, `-iX`, `-i X`, clustered flags
/// (`-vx`) and any unique prefix of a long option (libxl passes `--guest`
/// for `--guest-type`). Xen's tools are driven that way, so ours are too.
package enum OptParseCompat<Option: CommandOption> {
    /// One option as given; `value` is set for options that take one.
    package struct Given: Sendable, Equatable {
        package var option: Option
        package var value: String?

        /// The value, which must be one of `Words`' words.
        func choice<Words: OptionWords>(_ type: Words.Type) throws(ToolFailure) -> Words {
            guard let match = Words.all.first(where: { $0.word == value }) else {
                throw ToolFailure.invalid(value ?? "", for: option.name, expected: Words.all.map(\.word))
            }
            return match
        }

        /// The value of an option that takes one.
        var text: String { value ?? "" }
    }

    /// The option a long name given as `--given` means: the exact name, or
    /// the one option it is a prefix of. optparse lists the candidates of an
    /// ambiguous prefix sorted.
    package static func option(long given: String) throws(ToolFailure) -> Option {
        if let exact = Option.allCases.first(where: { $0.long == given }) { return exact }
        let candidates = Option.allCases.filter { !$0.spec.exactOnly && $0.long.hasPrefix(given) }
        switch candidates.count {
        case 1: return candidates[0]
        case 0: throw .usage("no such option: --\(given)")
        default:
            let names = candidates.map { "--" + $0.long }.sorted().joined(separator: ", ")
            throw .usage("ambiguous option: --\(given) (\(names)?)")
        }
    }

    static func option(short letter: Character) throws(ToolFailure) -> Option {
        guard let option = Option.allCases.first(where: { $0.spec.short == letter }) else {
            throw .usage("no such option: -\(letter)")
        }
        return option
    }

    /// The options up to the first usage error, and that error. optparse
    /// acts on each option as it reads it, so `--help` before a bad option
    /// still prints the help: the caller does the same with this list.
    /// Arguments that are not options are left out (our tools ignore them).
    static func scan(_ arguments: [String]) -> (options: [Given], error: ToolFailure?) {
        var out: [Given] = []
        var index = 0
        func nextValue(for name: String) throws(ToolFailure) -> String {
            index += 1
            guard index < arguments.count else { throw .usage("\(name) option requires an argument") }
            return arguments[index]
        }
        do throws(ToolFailure) {
            while index < arguments.count {
                let arg = arguments[index]
                if arg == "--" {
                    break
                } else if arg.hasPrefix("--") {
                    let body = arg.dropFirst(2)
                    var name = String(body)
                    var inline: String?
                    if let eq = body.firstIndex(of: "=") {
                        name = String(body[..<eq])
                        inline = String(body[body.index(after: eq)...])
                    }
                    let option = try option(long: name)
                    if option.spec.value != .none {
                        var value = inline ?? ""
                        if inline == nil { value = try nextValue(for: "--" + option.long) }
                        out.append(Given(option: option, value: value))
                    } else {
                        if inline != nil { throw .usage("--\(option.long) option does not take a value") }
                        out.append(Given(option: option, value: nil))
                    }
                } else if arg.hasPrefix("-") && arg.count > 1 {
                    var rest = Substring(arg.dropFirst())
                    while let letter = rest.first {
                        rest = rest.dropFirst()
                        let option = try option(short: letter)
                        if option.spec.value != .none {
                            let value = rest.isEmpty ? try nextValue(for: "-\(letter)") : String(rest)
                            out.append(Given(option: option, value: value))
                            break
                        }
                        out.append(Given(option: option, value: nil))
                    }
                }
                index += 1
            }
        } catch {
            return (out, error)
        }
        return (out, nil)
    }
}
