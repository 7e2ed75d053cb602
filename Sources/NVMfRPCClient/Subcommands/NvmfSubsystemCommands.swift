import ArgumentParser

// The per-subsystem nvmf methods: listeners, namespaces, hosts, and what is
// connected.

/// `-t/-a/-f/-s` of the listener methods, sent as one `listen_address`
/// object. No address family is filled in when `-f` is absent: the server
/// defaults it (IPv4, or IPv6 for an address with colons), as SPDK's does.
struct ListenAddressOptions: ParsableArguments {
    @Option(name: [.customShort("t"), .customLong("trtype")], help: "Transport type (RDMA).")
    var trtype: String
    @Option(name: [.customShort("a"), .customLong("traddr")], help: "Transport address: an IP address.")
    var traddr: String
    @Option(name: [.customShort("p"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?
    @Option(name: [.customShort("f"), .customLong("adrfam")], help: "Address family: ipv4 or ipv6.")
    var adrfam: String?
    @Option(name: [.customShort("s"), .customLong("trsvcid")], help: "Transport service ID: the port (e.g. 4420).")
    var trsvcid: String?

    var listenAddress: OrderedJSON {
        var a = RPCParams()
        a.add("trtype", .string(trtype))
        a.add("traddr", .string(traddr))
        a.addIfTrue("trsvcid", trsvcid)
        a.addIfTrue("adrfam", adrfam)
        return a.object
    }
}

struct NvmfSubsystemAddListener: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_add_listener", abstract: "Make a subsystem reachable at an address.")

    @Argument(help: ArgumentHelp("Subsystem NQN ('discovery' for the discovery subsystem).", valueName: "nqn"))
    var nqn: String
    @OptionGroup var address: ListenAddressOptions
    @Flag(name: [.customShort("k"), .customLong("secure-channel")], help: "Secure channel (not supported here).")
    var secureChannel = false
    @Option(
        name: [.customShort("n"), .customLong("ana-state")],
        help: "ANA state of every group: optimized, non_optimized, inaccessible, persistent_loss or change.")
    var anaState: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn == "discovery" ? discoveryNQN : nqn))
        p.addIfGiven("tgt_name", address.tgtName)
        p.add("secure_channel", .bool(secureChannel))
        p.addIfGiven("ana_state", anaState)
        p.add("listen_address", address.listenAddress)
        return RPCCall("nvmf_subsystem_add_listener", p)
    }
}

struct NvmfSubsystemListenerSetAnaState: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_listener_set_ana_state",
        abstract: "Set the ANA state of a listener for one ANA group or all.")

    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn"))
    var nqn: String
    @Option(
        name: [.customShort("n"), .customLong("ana-state")],
        help: "optimized, non_optimized, inaccessible, persistent_loss or change.")
    var anaState: String
    @OptionGroup var address: ListenAddressOptions
    @Option(name: [.customShort("g"), .customLong("anagrpid")], help: "ANA group ID (default: every group).")
    var anagrpid: Int?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn))
        p.add("listen_address", address.listenAddress)
        p.add("ana_state", .string(anaState))
        p.addIfTrue("tgt_name", address.tgtName)
        p.addIfTrue("anagrpid", anagrpid)
        return RPCCall("nvmf_subsystem_listener_set_ana_state", p)
    }
}

struct NvmfSubsystemRemoveListener: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_remove_listener", abstract: "Stop a subsystem listening at an address.")

    @Argument(help: ArgumentHelp("Subsystem NQN ('discovery' for the discovery subsystem).", valueName: "nqn"))
    var nqn: String
    @OptionGroup var address: ListenAddressOptions

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn == "discovery" ? discoveryNQN : nqn))
        p.add("listen_address", address.listenAddress)
        p.addIfTrue("tgt_name", address.tgtName)
        return RPCCall("nvmf_subsystem_remove_listener", p)
    }
}

struct NvmfSubsystemAddNs: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_add_ns", abstract: "Add a namespace backed by a bdev to a subsystem.")

    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn"))
    var nqn: String
    @Argument(help: ArgumentHelp("The bdev behind the namespace.", valueName: "bdev_name"))
    var bdevName: String
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?
    @Option(
        name: [.customShort("p"), .customLong("ptpl-file")],
        help: "File where the namespace's reservations persist through power loss.")
    var ptplFile: String?
    @Option(name: [.customShort("n"), .customLong("nsid")], help: "The NSID (default: the lowest free one).")
    var nsid: Int?
    @Option(name: [.customShort("g"), .customLong("nguid")], help: "NGUID: 16 bytes of hex.")
    var nguid: String?
    @Option(name: [.customShort("e"), .customLong("eui64")], help: "EUI-64: 8 bytes of hex.")
    var eui64: String?
    @Option(name: [.customShort("u"), .customLong("uuid")], help: "Namespace UUID.")
    var uuid: String?
    @Option(name: [.customShort("a"), .customLong("anagrpid")], help: "ANA group ID (default: the NSID).")
    var anagrpid: Int?

    func call() -> RPCCall {
        var ns = RPCParams()
        ns.add("bdev_name", .string(bdevName))
        ns.addIfTrue("ptpl_file", ptplFile)
        ns.addIfTrue("nsid", nsid)
        ns.addIfTrue("nguid", nguid)
        ns.addIfTrue("eui64", eui64)
        ns.addIfTrue("uuid", uuid)
        ns.addIfTrue("anagrpid", anagrpid)
        var p = RPCParams()
        p.add("nqn", .string(nqn))
        p.add("namespace", ns.object)
        p.addIfTrue("tgt_name", tgtName)
        // rpc.py (SPDK 24.01) does not print the NSID the server answers.
        return RPCCall("nvmf_subsystem_add_ns", p)
    }
}

struct NvmfSubsystemRemoveNs: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_remove_ns", abstract: "Remove a namespace from a subsystem.")

    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn"))
    var nqn: String
    @Argument(help: ArgumentHelp("The namespace's NSID.", valueName: "nsid"))
    var nsid: Int
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn))
        p.add("nsid", .int(nsid))
        p.addIfTrue("tgt_name", tgtName)
        return RPCCall("nvmf_subsystem_remove_ns", p)
    }
}

struct NvmfSubsystemAddHost: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_add_host", abstract: "Allow a host NQN to connect to a subsystem.")

    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn"))
    var nqn: String
    @Argument(help: ArgumentHelp("Host NQN to allow.", valueName: "host"))
    var host: String
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?
    @Option(name: .customLong("psk"), help: "TLS PSK file (not supported here).")
    var psk: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn))
        p.add("host", .string(host))
        p.addIfTrue("tgt_name", tgtName)
        p.addIfTrue("psk", psk)
        return RPCCall("nvmf_subsystem_add_host", p)
    }
}

struct NvmfSubsystemRemoveHost: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_remove_host", abstract: "Stop allowing a host NQN to connect.")

    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn"))
    var nqn: String
    @Argument(help: ArgumentHelp("Host NQN to remove.", valueName: "host"))
    var host: String
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn))
        p.add("host", .string(host))
        p.addIfTrue("tgt_name", tgtName)
        return RPCCall("nvmf_subsystem_remove_host", p)
    }
}

struct NvmfSubsystemAllowAnyHost: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_allow_any_host", abstract: "Let any host connect (-e, the default) or not (-d).")

    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn"))
    var nqn: String
    @Flag(name: [.customShort("e"), .customLong("enable")], help: "Allow any host (the default).")
    var enable = false
    @Flag(name: [.customShort("d"), .customLong("disable")], help: "Allow only the added hosts; wins over -e.")
    var disable = false
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn))
        p.add("allow_any_host", .bool(!disable))
        p.addIfTrue("tgt_name", tgtName)
        return RPCCall("nvmf_subsystem_allow_any_host", p)
    }
}

/// nvmf_subsystem_get_controllers, _get_qpairs and _get_listeners take the
/// same arguments and print the answer.
protocol SubsystemQuery: RPCSubcommand {
    var nqn: String { get }
    var tgtName: String? { get }
}

extension SubsystemQuery {
    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn))
        p.addIfTrue("tgt_name", tgtName)
        return RPCCall(Self.configuration.commandName ?? "", p, output: .dict)
    }
}

struct NvmfSubsystemGetControllers: SubsystemQuery {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_get_controllers", abstract: "List a subsystem's controllers.")
    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn")) var nqn: String
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?
}

struct NvmfSubsystemGetQpairs: SubsystemQuery {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_get_qpairs", abstract: "List a subsystem's queue pairs.")
    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn")) var nqn: String
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?
}

struct NvmfSubsystemGetListeners: SubsystemQuery {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_subsystem_get_listeners", abstract: "List a subsystem's listeners.")
    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn")) var nqn: String
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?
}
