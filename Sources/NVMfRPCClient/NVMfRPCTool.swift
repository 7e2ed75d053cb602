import ArgumentParser
import Glibc
import NVMfConfig

/// The top-level command: only a table of the methods. Global options are
/// read before ArgumentParser sees the arguments (`GlobalOptions`).
struct NVMfRPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf-rpc",
        abstract: "JSON-RPC client for nvmf-tgt, with SPDK rpc.py's method names and arguments.",
        usage: "nvmf-rpc [options] <method> [arguments]",
        discussion: GlobalOptions.help,
        subcommands: [
            SpdkGetVersion.self, RpcGetMethods.self, SaveConfig.self, SpdkKillInstance.self,
            BdevMallocCreate.self, BdevMallocDelete.self, BdevAioCreate.self, BdevAioDelete.self,
            BdevNullCreate.self, BdevNullDelete.self, BdevGetBdevs.self,
            BdevRbdRegisterCluster.self, BdevRbdUnregisterCluster.self, BdevRbdGetClustersInfo.self, BdevRbdCreate.self,
            BdevRbdDelete.self,
            NvmfCreateTransport.self, NvmfGetTransports.self, NvmfCreateSubsystem.self, NvmfDeleteSubsystem.self,
            NvmfGetSubsystems.self, NvmfSubsystemAddListener.self, NvmfSubsystemRemoveListener.self,
            NvmfSubsystemListenerSetAnaState.self,
            NvmfSubsystemAddNs.self, NvmfSubsystemRemoveNs.self, NvmfSubsystemAddHost.self,
            NvmfSubsystemRemoveHost.self, NvmfSubsystemAllowAnyHost.self, NvmfSubsystemGetControllers.self,
            NvmfSubsystemGetQpairs.self, NvmfSubsystemGetListeners.self, NvmfGetStats.self,
        ])
}

/// Where the tool's text goes; tests capture it.
public struct Console {
    public var out: (String) -> Void
    public var err: (String) -> Void
    /// The next line of standard input (script mode), nil at its end.
    public var readLine: () -> String?
    public var stdinIsTerminal: Bool

    public init(
        out: @escaping (String) -> Void, err: @escaping (String) -> Void, readLine: @escaping () -> String? = { nil },
        stdinIsTerminal: Bool = true
    ) {
        self.out = out
        self.err = err
        self.readLine = readLine
        self.stdinIsTerminal = stdinIsTerminal
    }

    /// The process's stdout, stderr and stdin.
    public static var standard: Console {
        Console(
            out: { print($0) }, err: { fputs($0 + "\n", stderr) }, readLine: { Swift.readLine(strippingNewline: true) },
            stdinIsTerminal: isatty(0) != 0)
    }
}

/// The rpc.py-compatible client: parses, sends, prints, and says how it went.
public enum NVMfRPCTool {
    /// Why the tool stops; the exit status follows argparse and rpc.py.
    enum Failure: Error {
        /// Bad arguments (exit 2, as argparse), with the text to show.
        case usage(String)
        /// The server answered with an error (exit 1): rpc.py's report, on stdout.
        case rpcError(String)
        /// No usable answer (exit 1).
        case transport(RPCClientError)
    }

    /// The call `arguments` (a method and its arguments, no global options) ask for.
    public static func call(for arguments: [String]) throws -> RPCCall {
        var command = try NVMfRPCCommand.parseAsRoot(dashedOptionNames(arguments))
        guard let rpc = command as? any RPCSubcommand else {
            // `-h` and `help <method>` parse into ArgumentParser's help
            // command, whose run() throws the help request for that method.
            if !(command is NVMfRPCCommand) { try command.run() }
            throw CleanExit.helpRequest(NVMfRPCCommand.self)
        }
        return try rpc.call()
    }

    /// Runs the tool on the process's arguments (without the program name); returns the exit status.
    public static func main(_ arguments: [String], console: Console = .standard) -> Int32 {
        let globals: GlobalOptions
        let rest: [String]
        do { (globals, rest) = try GlobalOptions.parse(dashedOptionNames(arguments)) } catch {
            console.err("nvmf-rpc: error: \(error)")
            return 2
        }
        if rest.isEmpty {
            // rpc.py: no method and a terminal for input is a usage error;
            // otherwise standard input is a script.
            guard !console.stdinIsTerminal else {
                console.err(NVMfRPCCommand.helpMessage())
                return 1
            }
            return runScript(globals, console: console)
        }
        let call: RPCCall
        switch parse(rest) {
        case .success(let c): call = c
        case .failure(let exit): return report(exit, console: console)
        }
        if globals.dryRun {
            console.out(dryRunText(call))
            return 0
        }
        do throws(Failure) {
            let client = try connect(globals)
            defer { client.close() }
            try perform(call, on: client, verbose: globals.verbose != "ERROR", console: console)
            return 0
        } catch {
            return report(error, console: console)
        }
    }

    /// Parses, turning help and errors into what is printed and the status.
    enum ParseExit: Error {
        case text(String, stderr: Bool, status: Int32)
    }

    static func parse(_ arguments: [String]) -> Result<RPCCall, ParseExit> {
        do {
            return .success(try call(for: arguments))
        } catch {
            let message = NVMfRPCCommand.fullMessage(for: error)
            if NVMfRPCCommand.exitCode(for: error) == .success {
                return .failure(.text(message, stderr: false, status: 0))
            }
            // argparse exits with 2 on a usage error; ArgumentParser would use 64.
            return .failure(.text(message, stderr: true, status: 2))
        }
    }

    static func report(_ exit: ParseExit, console: Console) -> Int32 {
        switch exit {
        case .text(let text, let toStderr, let status):
            if !text.isEmpty { toStderr ? console.err(text) : console.out(text) }
            return status
        }
    }

    static func report(_ failure: Failure, console: Console) -> Int32 {
        switch failure {
        case .usage(let text): console.err("nvmf-rpc: error: \(text)")
        case .rpcError(let text): console.out(text)
        case .transport(let e): console.err("nvmf-rpc: \(e)")
        }
        return failure.status
    }

    static func connect(_ globals: GlobalOptions) throws(Failure) -> RPCClient {
        if isIPAddress(globals.server) {
            throw .usage(
                "-s/--server \(globals.server): TCP addresses are not supported; give the target's Unix socket path")
        }
        do throws(RPCClientError) {
            return try RPCClient(path: globals.server, timeout: globals.timeout, connectRetries: globals.connRetries)
        } catch { throw .transport(error) }
    }

    /// Sends `call` and prints the result as rpc.py does for that method.
    static func perform(_ call: RPCCall, on client: RPCClient, verbose: Bool, console: Console) throws(Failure) {
        let id = client.nextRequestID
        var request: [OrderedJSON.Member] = [.init("jsonrpc", "2.0"), .init("method", .string(call.method))]
        request.append(.init("id", .int(id)))
        if let params = call.params, !params.isEmpty { request.append(.init("params", .object(params))) }
        // rpc.py sends its request indented too; the bytes match.
        let text = PythonJSON.dumps(.object(request))
        if verbose { console.err("INFO: Requests:\n\(text)\n") }
        let response: JSONValue
        do throws(RPCClientError) { response = try client.exchange(text) } catch {
            if case .closed = error, call.closeMeansSuccess { return }
            throw .transport(error)
        }
        if verbose { console.err("INFO: response:\n\(PythonJSON.dumps(OrderedJSON(response)))\n") }
        guard case .object(let members) = response else {
            throw .transport(.invalidResponse(path: client.path, reason: "not a JSON object"))
        }
        if let error = members["error"] {
            throw .rpcError(errorReport(call, id: id, error: error))
        }
        guard let result = members["result"] else {
            throw .transport(.invalidResponse(path: client.path, reason: "neither \"result\" nor \"error\""))
        }
        switch call.output {
        case .nothing: break
        case .json: console.out(PythonJSON.jsonText(OrderedJSON(result)))
        case .dict: console.out(PythonJSON.dictText(OrderedJSON(result)))
        case .config(let indent): console.out(PythonJSON.dumps(OrderedJSON(result), indent: indent < 0 ? nil : indent))
        }
    }

    /// rpc.py's report of an error response: the params it sent plus the
    /// method and request id, then the error object.
    static func errorReport(_ call: RPCCall, id: Int, error: JSONValue) -> String {
        let request = OrderedJSON.object(
            (call.params ?? []) + [.init("method", .string(call.method)), .init("req_id", .int(id))])
        return [
            "request:", PythonJSON.dumps(request), "Got JSON-RPC error response", "response:",
            PythonJSON.dumps(OrderedJSON(error)),
        ].joined(separator: "\n")
    }

    /// rpc.py's `--dry-run` output.
    static func dryRunText(_ call: RPCCall) -> String {
        let params: OrderedJSON = call.params.map { .object($0) } ?? .null
        return "Request:\n" + PythonJSON.dumps(["method": .string(call.method), "params": params])
    }

    /// rpc.py's script mode: every line of standard input is a method and
    /// its arguments, all sent on one connection; the first failure stops it
    /// and shows the lines run so far.
    static func runScript(_ globals: GlobalOptions, console: Console) -> Int32 {
        var client: RPCClient? = nil
        defer { client?.close() }
        var executed: [String] = []
        // A monitoring loop sends the same line over and over: parsing it
        // (ArgumentParser) cost more CPU than the call itself, about 6 ms a
        // line in the lab's TCG guest, so each distinct line is parsed once.
        var parsed: [String: RPCCall] = [:]
        while let raw = console.readLine() {
            let line = String(raw.reversed().drop(while: \.isWhitespace).reversed())
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            executed.append(line)
            if let call = parsed[line], !globals.dryRun {
                do throws(Failure) {
                    try perform(call, on: client!, verbose: globals.verbose != "ERROR", console: console)
                } catch {
                    console.out("Exception:\n" + executed.joined(separator: "\n") + " <<<")
                    return report(error, console: console)
                }
                continue
            }
            let words: [String]
            do { words = try shellWords(line) } catch {
                console.err("nvmf-rpc: error: \(line): \(error)")
                return 2
            }
            if words.first?.hasPrefix("#") ?? true { continue }
            // A line may carry global options too; as in rpc.py, the connection is already made.
            let rest: [String]
            do { (_, rest) = try GlobalOptions.parse(dashedOptionNames(words)) } catch {
                console.err("nvmf-rpc: error: \(error)")
                return 2
            }
            let call: RPCCall
            switch parse(rest) {
            case .success(let c): call = c
            case .failure(let exit): return report(exit, console: console)
            }
            if globals.dryRun {
                console.out(dryRunText(call))
                continue
            }
            do throws(Failure) {
                if client == nil { client = try connect(globals) }
                try perform(call, on: client!, verbose: globals.verbose != "ERROR", console: console)
                parsed[line] = call
            } catch {
                console.out("Exception:\n" + executed.joined(separator: "\n") + " <<<")
                return report(error, console: console)
            }
        }
        return 0
    }

    static func isIPAddress(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }
}

extension NVMfRPCTool.Failure {
    var status: Int32 {
        switch self {
        case .usage: return 2
        case .rpcError, .transport: return 1
        }
    }
}
