/// Rewrites a command line the way Python's optparse reads it into the one
/// form swift-argument-parser reads: `--long=value` and `--flag`.
///
/// optparse accepts `--in=X`, `--in X`, `-iX`, `-i X`, clustered flags
/// (`-vx`) and any unique prefix of a long option (libxl passes `--guest`
/// for `--guest-type`). Xen's tools are driven that way, so ours are too.
public struct OptParseCompat: Sendable {
    struct Spec: Sendable {
        var long: String
        var short: Character?
        var takesValue: Bool
    }

    struct UsageError: Error {
        var message: String
    }

    var specs: [Spec]

    private func long(matching given: String) throws(UsageError) -> Spec {
        if let exact = specs.first(where: { $0.long == given }) { return exact }
        let candidates = specs.filter { $0.long.hasPrefix(given) }
        switch candidates.count {
        case 1: return candidates[0]
        case 0: throw UsageError(message: "no such option: --\(given)")
        default:
            let names = candidates.map { "--" + $0.long }.joined(separator: ", ")
            throw UsageError(message: "ambiguous option: --\(given) (\(names)?)")
        }
    }

    func normalize(_ arguments: [String]) throws(UsageError) -> [String] {
        var out: [String] = []
        var positional: [String] = []
        var index = 0
        func nextValue(for name: String) throws(UsageError) -> String {
            index += 1
            guard index < arguments.count else {
                throw UsageError(message: "\(name) option requires an argument")
            }
            return arguments[index]
        }
        while index < arguments.count {
            let arg = arguments[index]
            if arg == "--" {
                positional.append(contentsOf: arguments[(index + 1)...])
                break
            } else if arg.hasPrefix("--") {
                let body = arg.dropFirst(2)
                let name: String
                var inline: String?
                if let eq = body.firstIndex(of: "=") {
                    name = String(body[..<eq])
                    inline = String(body[body.index(after: eq)...])
                } else {
                    name = String(body)
                }
                let spec = try long(matching: name)
                if spec.takesValue {
                    let value: String
                    if let inline { value = inline } else { value = try nextValue(for: "--" + spec.long) }
                    out.append("--\(spec.long)=\(value)")
                } else {
                    if inline != nil { throw UsageError(message: "--\(spec.long) option does not take a value") }
                    out.append("--" + spec.long)
                }
            } else if arg.hasPrefix("-") && arg.count > 1 {
                var rest = Substring(arg.dropFirst())
                while let letter = rest.first {
                    rest = rest.dropFirst()
                    guard let spec = specs.first(where: { $0.short == letter }) else {
                        throw UsageError(message: "no such option: -\(letter)")
                    }
                    if spec.takesValue {
                        let value: String
                        if rest.isEmpty { value = try nextValue(for: "-\(letter)") } else { value = String(rest) }
                        out.append("--\(spec.long)=\(value)")
                        break
                    }
                    out.append("--" + spec.long)
                }
            } else {
                positional.append(arg)
            }
            index += 1
        }
        // optparse leaves positional arguments to the program; ours ignore them.
        return out + (positional.isEmpty ? [] : ["--"] + positional)
    }
}
