/// Reads a command line the way Python's optparse does, into the options
/// given, in order, under their long names.
///
/// optparse accepts `--in=X`, `--in X`, `-iX`, `-i X`, clustered flags
/// (`-vx`) and any unique prefix of a long option (libxl passes `--guest`
/// for `--guest-type`). Xen's tools are driven that way, so ours are too.
struct OptParseCompat: Sendable {
    struct Spec: Sendable {
        var long: String
        var short: Character?
        var takesValue: Bool
        /// Recognised only when spelled in full: an option that Xen's tool
        /// lacks must not make a prefix that was unique there ambiguous.
        var exactOnly = false

        /// How messages name it: `-w/--width`, or `--report`.
        var name: String { short.map { "-\($0)/--\(long)" } ?? "--\(long)" }
    }

    /// One option as given; `value` is set for options that take one.
    struct Given: Sendable, Equatable {
        var long: String
        var name: String
        var value: String?
    }

    var specs: [Spec]

    private func long(matching given: String) throws(UsageError) -> Spec {
        if let exact = specs.first(where: { $0.long == given }) { return exact }
        let candidates = specs.filter { !$0.exactOnly && $0.long.hasPrefix(given) }
        switch candidates.count {
        case 1: return candidates[0]
        case 0: throw UsageError("no such option: --\(given)")
        default:
            let names = candidates.map { "--" + $0.long }.joined(separator: ", ")
            throw UsageError("ambiguous option: --\(given) (\(names)?)")
        }
    }

    /// The options up to the first usage error, and that error. optparse
    /// acts on each option as it reads it, so `--help` before a bad option
    /// still prints the help: the caller does the same with this list.
    /// Arguments that are not options are left out (our tools ignore them).
    func scan(_ arguments: [String]) -> (options: [Given], error: UsageError?) {
        var out: [Given] = []
        var index = 0
        func nextValue(for name: String) throws(UsageError) -> String {
            index += 1
            guard index < arguments.count else { throw UsageError("\(name) option requires an argument") }
            return arguments[index]
        }
        do throws(UsageError) {
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
                    let spec = try long(matching: name)
                    if spec.takesValue {
                        var value = inline ?? ""
                        if inline == nil { value = try nextValue(for: "--" + spec.long) }
                        out.append(Given(long: spec.long, name: spec.name, value: value))
                    } else {
                        if inline != nil { throw UsageError("--\(spec.long) option does not take a value") }
                        out.append(Given(long: spec.long, name: spec.name, value: nil))
                    }
                } else if arg.hasPrefix("-") && arg.count > 1 {
                    var rest = Substring(arg.dropFirst())
                    while let letter = rest.first {
                        rest = rest.dropFirst()
                        guard let spec = specs.first(where: { $0.short == letter }) else {
                            throw UsageError("no such option: -\(letter)")
                        }
                        if spec.takesValue {
                            let value = rest.isEmpty ? try nextValue(for: "-\(letter)") : String(rest)
                            out.append(Given(long: spec.long, name: spec.name, value: value))
                            break
                        }
                        out.append(Given(long: spec.long, name: spec.name, value: nil))
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

/// A usage error: one line saying what is wrong, and the exit status
/// (optparse's 2, or 1 for a missing required option, as Xen's converter).
struct UsageError: Error, Equatable {
    var message: String
    var status: Int32

    init(_ message: String, status: Int32 = 2) {
        self.message = message
        self.status = status
    }

    /// `invalid value '48' for -w/--width: expected 32, 64 or auto`.
    static func invalid(_ option: OptParseCompat.Given, expected: [String]) -> UsageError {
        UsageError("invalid value '\(option.value ?? "")' for \(option.name): expected \(listed(expected))")
    }

    /// "a", "a or b", "a, b or c" (or with "and").
    static func listed(_ items: [String], _ conjunction: String = "or") -> String {
        guard let last = items.last else { return "" }
        return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}

extension OptParseCompat.Given {
    /// The value, which must be one of `choices` (pairs of spelling and meaning).
    func choice<T>(_ choices: KeyValuePairs<String, T>) throws(UsageError) -> T {
        guard let match = choices.first(where: { $0.key == value }) else {
            throw UsageError.invalid(self, expected: choices.map(\.key))
        }
        return match.value
    }
}
