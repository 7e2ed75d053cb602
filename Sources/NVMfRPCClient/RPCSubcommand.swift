import ArgumentParser

/// A subcommand: rpc.py's arguments for one method, turned into a call.
///
/// The mapping is kept apart from sending so that it can be tested (and
/// `--dry-run` shown) without a server.
public protocol RPCSubcommand: ParsableCommand {
    /// The request this invocation sends and how its result is printed.
    func call() throws -> RPCCall
}

/// argparse's `choices=`: the value must be one of `choices`.
func validateChoice<T: Equatable & CustomStringConvertible>(_ value: T?, _ choices: [T], option: String) throws {
    if let value, !choices.contains(value) {
        throw ValidationError(
            "argument \(option): invalid choice: \(value) (choose from \(choices.map(\.description).joined(separator: ", ")))"
        )
    }
}
