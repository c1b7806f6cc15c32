/// What follows an option's name on the command line.
package enum OptionValue: Sendable, Equatable {
    /// Nothing: the option is a switch.
    case none
    /// A file (for `-i`/`-o` also a descriptor number or `-`), named
    /// `metavar` in the help.
    case file(metavar: String)
    /// One of a fixed set of words.
    case choice([OptionChoice])
}

/// One word an option accepts, and what it means (for completion menus).
package struct OptionChoice: Sendable, Equatable {
    package var word: String
    package var meaning: String
}

/// The values an option with a fixed set of words can take: the words
/// come from here, for parsing, the help, the error message and the
/// completion scripts alike.
package protocol OptionWords: Sendable, Equatable {
    /// Each value with its word and what it means, in the order the help lists them.
    static var words: WordTable { get }
}

extension OptionWords {
    package typealias WordTable = [(value: Self, word: String, meaning: String)]

    package static var all: [Self] { words.map(\.value) }
    var word: String { Self.words.first { $0.value == self }?.word ?? "" }
    var meaning: String { Self.words.first { $0.value == self }?.meaning ?? "" }
    static var choices: OptionValue { .choice(words.map { OptionChoice(word: $0.word, meaning: $0.meaning) }) }
}

/// A value given, or `auto`: detect it from the image.
package enum OrAuto<Value: OptionWords>: OptionWords {
    case given(Value)
    case auto

    package static var words: WordTable {
        Value.words.map { (.given($0.value), $0.word, $0.meaning) } + [(.auto, "auto", "detect from the image")]
    }

    /// The value given; nil for `auto`.
    package var value: Value? {
        if case .given(let value) = self { value } else { nil }
    }
}

/// Everything about one option, declared once: the parser, `--help`, the
/// completion scripts and the tests that hold the man pages to it read this.
package struct OptionSpec: Sendable {
    /// The two options both commands describe alike.
    static let help = OptionSpec(
        "h", help: "print this help and exit", summary: "print a summary of the options and exit")
    static let syslog = OptionSpec(
        help: "send messages to syslog instead of the terminal", summary: "send messages to syslog")

    package var short: Character?
    package var value: OptionValue
    /// Its text in `--help` (wrapped to fit there).
    package var help: String
    /// A short phrase for completion menus.
    package var summary: String
    /// Recognised only when spelled in full: an option that Xen's tool
    /// lacks must not make a prefix that was unique there ambiguous.
    package var exactOnly = false

    package init(
        _ short: Character? = nil, _ value: OptionValue = .none, help: String, summary: String, exactOnly: Bool = false
    ) {
        self.short = short
        self.value = value
        self.help = help
        self.summary = summary
        self.exactOnly = exactOnly
    }
}

/// A command's options: one case each, its long name as raw value.
package protocol CommandOption: RawRepresentable<String>, CaseIterable, Hashable, Sendable
where AllCases == [Self] {
    var spec: OptionSpec { get }
    /// The options that print something and end the run where they stand.
    static var help: Self { get }
    static var version: Self { get }
    /// The options every command takes, into its `CommonSettings`.
    static var verbose: Self { get }
    static var syslog: Self { get }
    static var noSandbox: Self { get }
}

extension CommandOption {
    package var long: String { rawValue }

    /// How messages name it: `-w/--width`, or `--report`.
    package var name: String { spec.short.map { "-\($0)/--\(long)" } ?? "--\(long)" }

    /// The names and value as the help shows them: `-w, --width 32|64|auto`.
    var synopsis: String {
        var text = (spec.short.map { "-\($0), " } ?? "") + "--" + long
        switch spec.value {
        case .none: break
        case .file(let metavar): text += " " + metavar
        case .choice(let choices): text += " " + choices.map(\.word).joined(separator: "|")
        }
        return text
    }
}

/// The `Options:` table of `--help`, from the option declarations.
enum HelpTable {
    /// Where the descriptions start, and the widest line.
    static let column = 26
    static let width = 80

    static func render<O: CommandOption>(_ type: O.Type) -> String {
        var out = ""
        for option in O.allCases {
            let lines = wrap(option.spec.help, width: width - column)
            let names = "  " + option.synopsis
            let indent = String(repeating: " ", count: column)
            if names.count < column - 1, let first = lines.first {
                out += names + String(repeating: " ", count: column - names.count) + first + "\n"
                for line in lines.dropFirst() { out += indent + line + "\n" }
            } else {
                out += names + "\n"
                for line in lines { out += indent + line + "\n" }
            }
        }
        return out
    }

    /// `text` broken at spaces into lines of at most `width` characters
    /// (also the completion scripts' word lists).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
