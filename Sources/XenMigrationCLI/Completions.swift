/// The shell completion scripts in `completions/`, made from a command's
/// option declarations: the options, their short names, the prefixes the
/// parser accepts, which take a file and which a word. A test holds the
/// committed scripts to this; `make completions` rewrites them.
package enum Completions {
    package enum Shell: String, CaseIterable, Sendable {
        case bash, zsh, fish

        /// The script's path in the source tree.
        package func path(for tool: String) -> String {
            switch self {
            case .bash: "completions/bash/\(tool)"
            case .zsh: "completions/zsh/_\(tool)"
            case .fish: "completions/fish/\(tool).fish"
            }
        }
    }

    package static func script<C: ToolCommand>(_ shell: Shell, for command: C.Type) -> String {
        switch shell {
        case .bash: bash(command)
        case .zsh: zsh(command)
        case .fish: fish(command)
        }
    }

    private static func generatedNote<C: ToolCommand>(_: C.Type) -> String {
        "# Made by `make completions` from \(C.name)'s option declarations; do not edit.\n"
    }

    /// Every spelling the parser takes for `option` before its value: the
    /// short name and each prefix of the long one that means only it.
    static func spellings<O: CommandOption>(_ option: O) -> [String] {
        var out = option.spec.short.map { ["-\($0)"] } ?? []
        for length in 1...option.long.count {
            let prefix = String(option.long.prefix(length))
            if (try? OptParseCompat<O>.option(long: prefix)) == option { out.append("--" + prefix) }
        }
        return out
    }

    /// The words, wrapped as the help wraps text, continued under the first.
    private static func wordList(_ words: [String]) -> String {
        let indent = String(repeating: " ", count: 16)
        return HelpTable.wrap(words.joined(separator: " "), width: HelpTable.width - indent.count)
            .joined(separator: "\n" + indent)
    }

    private static func bash<C: ToolCommand>(_ command: C.Type) -> String {
        let function = "_" + String(C.name.map { $0 == "-" ? "_" : $0 })
        var arms = ""
        let files = C.Option.allCases.filter { if case .file = $0.spec.value { true } else { false } }
        if !files.isEmpty {
            arms += "        " + files.flatMap(spellings).joined(separator: " | ") + ")\n"
            arms += "            compopt -o filenames 2>/dev/null\n"
            arms += "            COMPREPLY=($(compgen -f -- \"$cur\"))\n            ;;\n"
        }
        for option in C.Option.allCases {
            guard case .choice(let choices) = option.spec.value else { continue }
            arms += "        " + spellings(option).joined(separator: " | ") + ")\n"
            arms +=
                "            COMPREPLY=($(compgen -W '\(choices.map(\.word).joined(separator: " "))' -- \"$cur\"))\n"
            arms += "            ;;\n"
        }
        let every = C.Option.allCases.flatMap { option in
            (option.spec.short.map { ["-\($0)"] } ?? []) + ["--" + option.long]
        }
        return """
            # bash completion for \(C.name)                -*- shell-script -*-
            \(generatedNote(command))
            \(function)()
            {
                local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
                local prefix=
                # With "=" in COMP_WORDBREAKS (the default) --format=libxl arrives
                # as three words; without it, as one.
                if [[ $cur == = ]]; then
                    cur=
                elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
                    prev=${COMP_WORDS[COMP_CWORD-2]}
                elif [[ $cur == --*=* ]]; then
                    prev=${cur%%=*}
                    prefix=$prev=
                    cur=${cur#*=}
                fi

                # Long options may be abbreviated to any unique prefix (libxl
                # passes --guest for --guest-type): each prefix is listed.
                case $prev in
            \(arms)        *)
                        [[ -z $prefix ]] || return 0
                        COMPREPLY=($(compgen -W '\(wordList(every))' -- "$cur"))
                        return 0
                        ;;
                esac
                if [[ -n $prefix ]]; then
                    COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
                fi
                return 0
            } &&
                complete -F \(function) \(C.name)

            # ex: filetype=sh

            """
    }

    /// Characters the scripts' quoting does not escape, so no summary or
    /// meaning may hold them (a test checks).
    package static let unquotable: Set<Character> = ["'", "\"", "[", "]", "\\", "$", "`"]

    private static func zsh<C: ToolCommand>(_ command: C.Type) -> String {
        var specs: [String] = []
        for option in C.Option.allCases {
            let long = "--" + option.long
            let takesValue = option.spec.value != .none
            var spec: String
            if let short = option.spec.short {
                let exclusion = option == .help || option == .version ? "(- *)" : "(-\(short) \(long))"
                spec = "'\(exclusion)'{-\(short)\(takesValue ? "+" : ""),\(long)\(takesValue ? "=" : "")}'"
            } else {
                spec = "'" + (option == .help || option == .version ? "(- *)" : "") + long + (takesValue ? "=" : "")
            }
            spec += "[\(option.spec.summary)]"
            switch option.spec.value {
            case .none: break
            case .file(let metavar): spec += ":\(metavar):_files"
            case .choice(let choices):
                let words = choices.map { "\($0.word)\\:\"\($0.meaning)\"" }.joined(separator: " ")
                spec += ":\(option.long):((\(words)))"
            }
            specs.append(spec + "'")
        }
        return "#compdef \(C.name)\n" + generatedNote(command) + "\n_arguments -s -S \\\n  "
            + specs.joined(separator: " \\\n  ") + "\n"
    }

    private static func fish<C: ToolCommand>(_ command: C.Type) -> String {
        var out = "# fish completion for \(C.name)\n" + generatedNote(command) + "\nset -l c \(C.name)\n"
        out += "# Arguments that are not options are ignored: offer no files for them.\ncomplete -c $c -f\n"
        for option in C.Option.allCases {
            var line = "complete -c $c" + (option.spec.short.map { " -s \($0)" } ?? "") + " -l \(option.long)"
            switch option.spec.value {
            case .none: break
            case .file: line += " -r -F"
            case .choice(let choices):
                let words = choices.map { "\($0.word)\\t'\($0.meaning)'" }.joined(separator: " ")
                line += " -x -a \"\(words)\""
            }
            out += line + " -d '\(option.spec.summary)'\n"
        }
        return out
    }
}
