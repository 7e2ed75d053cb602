/// The options before the method name, as rpc.py's top-level parser has them.
///
/// They are read by hand rather than by ArgumentParser because rpc.py
/// reuses their letters in the subcommands (`-s` is the socket before the
/// method and the port after `nvmf_subsystem_add_listener`; `-t` the
/// timeout and `--trtype`): position decides, as with argparse.
public struct GlobalOptions: Equatable, Sendable {
    /// `-s/--server`: the socket path.
    public var server = "/var/tmp/spdk.sock"
    /// `-t/--timeout`: seconds to wait for each response.
    public var timeout = 60.0
    /// `-r/--conn-retries`: extra connection attempts, 0.2 s apart.
    public var connRetries = 0
    /// `-p`: rpc.py's TCP port; parsed for compatibility, meaningful only with an IP `-s`.
    public var port = 5260
    /// `-v`, `--verbose LEVEL`: INFO and DEBUG log the request and response on stderr.
    public var verbose = "ERROR"
    /// `--dry-run`: print the request instead of sending it.
    public var dryRun = false

    public init() {}

    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads the global options at the front of `arguments`; returns them and
    /// the rest (the method and its arguments).
    public static func parse(_ arguments: [String]) throws(UsageError) -> (GlobalOptions, [String]) {
        var options = GlobalOptions()
        var i = 0
        func value(_ name: String, _ inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            i += 1
            guard i < arguments.count else { throw UsageError(description: "argument \(name): expected one argument") }
            return arguments[i]
        }
        while i < arguments.count {
            let arg = arguments[i]
            // --name=value, and argparse's -svalue for the short ones.
            var name = arg
            var inline: String? = nil
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            } else if arg.count > 2, arg.hasPrefix("-"), !arg.hasPrefix("--"), "strp".contains(arg.dropFirst().first!) {
                name = String(arg.prefix(2))
                inline = String(arg.dropFirst(2))
            }
            switch name {
            case "-s", "--server":
                options.server = try value(name, inline)
            case "-t", "--timeout":
                let text = try value(name, inline)
                guard let t = Double(text), !t.isNaN else {
                    throw UsageError(description: "argument -t/--timeout: invalid float value: '\(text)'")
                }
                options.timeout = t
            case "-r", "--conn-retries":
                let text = try value(name, inline)
                guard let r = Int(text) else {
                    throw UsageError(description: "argument -r/--conn-retries: invalid int value: '\(text)'")
                }
                options.connRetries = r
            case "-p":
                let text = try value(name, inline)
                guard let p = Int(text) else {
                    throw UsageError(description: "argument -p: invalid int value: '\(text)'")
                }
                options.port = p
            case "-v":
                options.verbose = "INFO"
            case "--verbose":
                let level = try value(name, inline)
                guard ["DEBUG", "INFO", "ERROR"].contains(level) else {
                    throw UsageError(
                        description:
                            "argument --verbose: invalid choice: '\(level)' (choose from 'DEBUG', 'INFO', 'ERROR')")
                }
                options.verbose = level
            case "--dry-run":
                options.dryRun = true
            case "--go-client":
                break  // rpc.py's alternative client; ours is the only one
            default:
                return (options, Array(arguments[i...]))
            }
            i += 1
        }
        return (options, [])
    }

    /// The global options, for the top-level help.
    static let help = """
        Options before the method name:
          -s, --server <path>       RPC Unix socket path (default: /var/tmp/spdk.sock)
          -t, --timeout <seconds>   Time to wait for each response (default: 60)
          -r, --conn-retries <n>    Retry connecting n times, 0.2 s apart (default: 0)
          -v, --verbose <level>     -v or INFO/DEBUG: log requests and responses on stderr
          --dry-run                 Print the request and exit without sending it

        With no method and commands on standard input, runs them one per line
        on one connection (lines starting with # are skipped).
        """
}

/// rpc.py reads `--tgt_name` as `--tgt-name`: older SPDK spelled some long
/// options with underscores, and scripts still use them.
public func dashedOptionNames(_ arguments: [String]) -> [String] {
    arguments.map { arg in
        guard arg.hasPrefix("--"), arg.contains("_") else { return arg }
        guard let eq = arg.firstIndex(of: "=") else { return arg.replacingUnderscores() }
        return String(arg[..<eq]).replacingUnderscores() + arg[eq...]
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}

/// Splits a command line as Python's `shlex.split` does (POSIX rules):
/// blanks separate words; single quotes keep everything; in double quotes a
/// backslash escapes only `\`, `"`, `$`, `` ` `` and a newline; outside
/// quotes it escapes any character.
public func shellWords(_ line: String) throws(GlobalOptions.UsageError) -> [String] {
    var words: [String] = []
    var word = ""
    var inWord = false
    var quote: Character? = nil
    var chars = line.makeIterator()
    while let c = chars.next() {
        if let q = quote {
            if c == q {
                quote = nil
            } else if q == "\"", c == "\\" {
                guard let n = chars.next() else { throw .init(description: "no escaped character") }
                if !"\\\"$`\n".contains(n) { word.append("\\") }
                word.append(n)
            } else {
                word.append(c)
            }
        } else if c == " " || c == "\t" || c == "\n" || c == "\r" {
            if inWord { words.append(word) }
            word = ""
            inWord = false
        } else if c == "'" || c == "\"" {
            quote = c
            inWord = true
        } else if c == "\\" {
            guard let n = chars.next() else { throw .init(description: "no escaped character") }
            word.append(n)
            inWord = true
        } else {
            word.append(c)
            inWord = true
        }
    }
    guard quote == nil else { throw .init(description: "no closing quotation") }
    if inWord { words.append(word) }
    return words
}
