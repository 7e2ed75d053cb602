import ArgumentParser

// The application methods: spdk_get_version, rpc_get_methods, save_config,
// spdk_kill_instance.

struct SpdkGetVersion: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "spdk_get_version", abstract: "Show the SPDK version the target is compatible with.")

    func call() -> RPCCall { RPCCall("spdk_get_version", output: .json) }
}

struct RpcGetMethods: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc_get_methods", abstract: "List the methods the server implements.")

    @Flag(name: [.customShort("c"), .customLong("current")], help: "Only the methods callable in the current state.")
    var current = false
    @Flag(name: [.customShort("i"), .customLong("include-aliases")], help: "Include deprecated aliases.")
    var includeAliases = false

    func call() -> RPCCall {
        var p = RPCParams()
        p.addIfTrue("current", current)
        p.addIfTrue("include_aliases", includeAliases)
        return RPCCall("rpc_get_methods", p, output: .dict)
    }
}

/// rpc.py assembles the configuration from framework_get_subsystems and
/// framework_get_config; our server has save_config, which answers the
/// same document in one call, so this sends that.
struct SaveConfig: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "save_config", abstract: "Print the running configuration as a JSON config file.")

    @Option(
        name: [.customShort("i"), .customLong("indent")], parsing: .unconditional,
        help: "Indentation; a negative value prints it on one line.")
    var indent = 2

    func call() -> RPCCall { RPCCall("save_config", output: .config(indent: indent)) }
}

struct SpdkKillInstance: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "spdk_kill_instance", abstract: "Send a signal to the target (SIGINT, SIGTERM, SIGQUIT, SIGKILL).")

    @Argument(help: "The signal, e.g. SIGTERM.")
    var sigName: String

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("sig_name", .string(sigName))
        return RPCCall("spdk_kill_instance", p, closeMeansSuccess: true)
    }
}
