import ArgumentParser

// The target-wide nvmf methods: transports, creating, deleting and listing
// subsystems, statistics.

/// The NQN rpc.py lets `discovery` stand for in the listener methods.
let discoveryNQN = "nqn.2014-08.org.nvmexpress.discovery"

/// rpc.py passes every option of nvmf_create_transport through (its flags
/// always, as true or false, its other options when given), so the server
/// sees exactly what was asked, including the options of other transports.
struct NvmfCreateTransport: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_create_transport", abstract: "Create an NVMe-oF transport.")

    @Option(name: [.customShort("t"), .customLong("trtype")], help: "Transport type (RDMA).")
    var trtype: String
    @Option(name: [.customShort("g"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?
    @Option(name: [.customShort("q"), .customLong("max-queue-depth")], help: "Deepest I/O queue.")
    var maxQueueDepth: Int?
    @Option(name: [.customShort("m"), .customLong("max-io-qpairs-per-ctrlr")], help: "I/O queues per controller.")
    var maxIOQPairsPerCtrlr: Int?
    @Option(name: [.customShort("c"), .customLong("in-capsule-data-size")], help: "In-capsule data size (bytes).")
    var inCapsuleDataSize: Int?
    @Option(name: [.customShort("i"), .customLong("max-io-size")], help: "Largest I/O (bytes).")
    var maxIOSize: Int?
    @Option(name: [.customShort("u"), .customLong("io-unit-size")], help: "I/O unit size (bytes).")
    var ioUnitSize: Int?
    @Option(name: [.customShort("a"), .customLong("max-aq-depth")], help: "Deepest admin queue.")
    var maxAQDepth: Int?
    @Option(name: [.customShort("n"), .customLong("num-shared-buffers")], help: "Data buffers in the pool.")
    var numSharedBuffers: Int?
    @Option(name: [.customShort("b"), .customLong("buf-cache-size")], help: "Buffers each poll group keeps.")
    var bufCacheSize: Int?
    @Flag(name: [.customShort("z"), .customLong("zcopy")], help: "Zero-copy (not supported here).")
    var zcopy = false
    @Option(name: [.customShort("d"), .customLong("num-cqe")], help: "CQ entries when SRQ is off.")
    var numCQE: Int?
    @Option(name: [.customShort("s"), .customLong("max-srq-depth")], help: "Receive buffers per shared queue.")
    var maxSRQDepth: Int?
    @Flag(name: [.customShort("r"), .customLong("no-srq")], help: "One receive queue per queue pair.")
    var noSRQ = false
    /// argparse `store_false`: the option turns the parameter off.
    @Flag(name: [.customShort("o"), .customLong("c2h-success")], help: "Disable C2H success (TCP only).")
    var disableC2HSuccess = false
    @Flag(name: [.customShort("f"), .customLong("dif-insert-or-strip")], help: "DIF insert/strip (TCP only).")
    var difInsertOrStrip = false
    @Option(name: [.customShort("y"), .customLong("sock-priority")], help: "Socket priority (TCP only).")
    var sockPriority: Int?
    @Option(name: [.customShort("l"), .customLong("acceptor-backlog")], help: "rdma_listen backlog.")
    var acceptorBacklog: Int?
    @Option(name: [.customShort("x"), .customLong("abort-timeout-sec")], help: "Abort timeout (s).")
    var abortTimeoutSec: Int?
    @Flag(name: [.customShort("w"), .customLong("no-wr-batching")], help: "Post each work request at once.")
    var noWRBatching = false
    @Option(name: [.customShort("e"), .customLong("control-msg-num")], help: "Control messages (TCP only).")
    var controlMsgNum: Int?
    @Flag(name: [.customShort("M"), .customLong("disable-mappable-bar0")], help: "VFIO-USER only.")
    var disableMappableBar0 = false
    @Flag(name: [.customShort("I"), .customLong("disable-adaptive-irq")], help: "VFIO-USER only.")
    var disableAdaptiveIRQ = false
    @Flag(name: [.customShort("S"), .customLong("disable-shadow-doorbells")], help: "VFIO-USER only.")
    var disableShadowDoorbells = false
    @Option(name: .customLong("acceptor-poll-rate"), help: "Acceptor polling interval (µs).")
    var acceptorPollRate: Int?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("trtype", .string(trtype))
        p.addIfGiven("tgt_name", tgtName)
        p.addIfGiven("max_queue_depth", maxQueueDepth)
        p.addIfGiven("max_io_qpairs_per_ctrlr", maxIOQPairsPerCtrlr)
        p.addIfGiven("in_capsule_data_size", inCapsuleDataSize)
        p.addIfGiven("max_io_size", maxIOSize)
        p.addIfGiven("io_unit_size", ioUnitSize)
        p.addIfGiven("max_aq_depth", maxAQDepth)
        p.addIfGiven("num_shared_buffers", numSharedBuffers)
        p.addIfGiven("buf_cache_size", bufCacheSize)
        p.add("zcopy", .bool(zcopy))
        p.addIfGiven("num_cqe", numCQE)
        p.addIfGiven("max_srq_depth", maxSRQDepth)
        p.add("no_srq", .bool(noSRQ))
        p.add("c2h_success", .bool(!disableC2HSuccess))
        p.add("dif_insert_or_strip", .bool(difInsertOrStrip))
        p.addIfGiven("sock_priority", sockPriority)
        p.addIfGiven("acceptor_backlog", acceptorBacklog)
        p.addIfGiven("abort_timeout_sec", abortTimeoutSec)
        p.add("no_wr_batching", .bool(noWRBatching))
        p.addIfGiven("control_msg_num", controlMsgNum)
        p.add("disable_mappable_bar0", .bool(disableMappableBar0))
        p.add("disable_adaptive_irq", .bool(disableAdaptiveIRQ))
        p.add("disable_shadow_doorbells", .bool(disableShadowDoorbells))
        p.addIfGiven("acceptor_poll_rate", acceptorPollRate)
        return RPCCall("nvmf_create_transport", p)
    }
}

struct NvmfGetTransports: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_get_transports", abstract: "Show the transports and their settings.")

    @Option(name: .customLong("trtype"), help: "Only this transport type.")
    var trtype: String?
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.addIfTrue("tgt_name", tgtName)
        p.addIfTrue("trtype", trtype)
        return RPCCall("nvmf_get_transports", p, output: .dict)
    }
}

struct NvmfCreateSubsystem: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_create_subsystem", abstract: "Create an NVMe-oF subsystem.")

    @Argument(help: ArgumentHelp("Subsystem NQN.", valueName: "nqn"))
    var nqn: String
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?
    @Option(
        name: [.customShort("s"), .customLong("serial-number")], help: "Serial number (up to 20 ASCII characters).")
    var serialNumber: String?
    @Option(name: [.customShort("d"), .customLong("model-number")], help: "Model number (up to 40 ASCII characters).")
    var modelNumber: String?
    @Flag(name: [.customShort("a"), .customLong("allow-any-host")], help: "Let any host connect.")
    var allowAnyHost = false
    @Option(name: [.customShort("m"), .customLong("max-namespaces")], help: "Most namespaces (0: default).")
    var maxNamespaces: Int?
    @Flag(name: [.customShort("r"), .customLong("ana-reporting")], help: "Report ANA groups and states (multipath).")
    var anaReporting = false
    /// rpc.py spells these two with underscores; `--min_cntlid` still works
    /// because underscores in option names are read as dashes.
    @Option(name: [.customShort("i"), .customLong("min-cntlid")], help: "Lowest controller ID.")
    var minCntlid: Int?
    @Option(name: [.customShort("I"), .customLong("max-cntlid")], help: "Highest controller ID.")
    var maxCntlid: Int?
    @Option(name: .customLong("max-discard-size"), help: "Largest discard (KiB).")
    var maxDiscardSize: Int?
    @Option(name: .customLong("max-write-zeroes-size"), help: "Largest write-zeroes (KiB).")
    var maxWriteZeroesSize: Int?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(nqn))
        p.addIfTrue("serial_number", serialNumber)
        p.addIfTrue("model_number", modelNumber)
        p.addIfTrue("allow_any_host", allowAnyHost)
        p.addIfGiven("max_namespaces", maxNamespaces)
        p.addIfTrue("tgt_name", tgtName)
        p.addIfTrue("ana_reporting", anaReporting)
        p.addIfGiven("min_cntlid", minCntlid)
        p.addIfGiven("max_cntlid", maxCntlid)
        p.addIfGiven("max_discard_size_kib", maxDiscardSize)
        p.addIfGiven("max_write_zeroes_size_kib", maxWriteZeroesSize)
        return RPCCall("nvmf_create_subsystem", p)
    }
}

struct NvmfDeleteSubsystem: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_delete_subsystem", abstract: "Delete an NVMe-oF subsystem.")

    @Argument(help: ArgumentHelp("NQN of the subsystem to delete.", valueName: "subsystem_nqn"))
    var subsystemNQN: String
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("nqn", .string(subsystemNQN))
        p.addIfTrue("tgt_name", tgtName)
        return RPCCall("nvmf_delete_subsystem", p)
    }
}

struct NvmfGetSubsystems: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_get_subsystems", abstract: "List the subsystems (with the discovery subsystem).")

    @Argument(help: ArgumentHelp("Only this subsystem (optional).", valueName: "nqn"))
    var nqn: String?
    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.addIfTrue("tgt_name", tgtName)
        p.addIfTrue("nqn", nqn)
        return RPCCall("nvmf_get_subsystems", p, output: .dict)
    }
}

struct NvmfGetStats: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf_get_stats", abstract: "Show the poll groups' statistics.")

    @Option(name: [.customShort("t"), .customLong("tgt-name")], help: "The parent NVMe-oF target (optional).")
    var tgtName: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.addIfTrue("tgt_name", tgtName)
        return RPCCall("nvmf_get_stats", p, output: .dict)
    }
}
