import ArgumentParser

// rpc.py's bdev_rbd_* subcommands, with its argument names and order.

/// `key=value` arguments (`--config-param`, `--config`) as a params object;
/// the first "=" splits, as rpc.py's `split('=', 1)`.
func keyValueObject(_ pairs: [String], option: String) throws -> OrderedJSON {
    var members: [OrderedJSON.Member] = []
    for pair in pairs {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw ValidationError("argument \(option): \"\(pair)\" is not key=value")
        }
        let key = String(pair[..<eq])
        let value = String(pair[pair.index(after: eq)...])
        members.append(OrderedJSON.Member(key, OrderedJSON.string(value)))
    }
    return .object(members)
}

struct BdevRbdRegisterCluster: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bdev_rbd_register_cluster",
        abstract: "Connect to a Ceph cluster that RBD bdevs can share; prints its name.")

    @Argument(help: ArgumentHelp("Name of the cluster connection.", valueName: "name"))
    var name: String
    @Option(help: "Ceph user name (admin, not client.admin).")
    var user: String?
    @Option(
        name: .customLong("config-param"), help: ArgumentHelp("A Ceph option (repeatable).", valueName: "key=value"))
    var configParam: [String] = []
    @Option(name: .customLong("config-file"), help: "A ceph.conf to read.")
    var configFile: String?
    @Option(name: .customLong("key-file"), help: "A keyring file.")
    var keyFile: String?
    @Option(name: .customLong("core-mask"), help: "CPUs for librados' threads (0x3 or [0,1]).")
    var coreMask: String?

    func validate() throws { _ = try keyValueObject(configParam, option: "--config-param") }

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("name", .string(name))
        p.addIfTrue("user_id", user)
        if !configParam.isEmpty, let o = try? keyValueObject(configParam, option: "--config-param") {
            p.add("config_param", o)
        }
        p.addIfTrue("config_file", configFile)
        p.addIfTrue("key_file", keyFile)
        p.addIfTrue("core_mask", coreMask)
        return RPCCall("bdev_rbd_register_cluster", p, output: .json)
    }
}

struct BdevRbdUnregisterCluster: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bdev_rbd_unregister_cluster", abstract: "Disconnect a cluster no RBD bdev uses.")
    @Argument(help: ArgumentHelp("Name of the cluster connection.", valueName: "name")) var name: String

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("name", .string(name))
        return RPCCall("bdev_rbd_unregister_cluster", p)
    }
}

struct BdevRbdGetClustersInfo: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bdev_rbd_get_clusters_info", abstract: "Show the registered clusters, or the one named.")
    @Option(name: [.customShort("b"), .customLong("name")], help: "Only this cluster.") var name: String?

    func call() -> RPCCall {
        var p = RPCParams()
        p.addIfTrue("name", name)
        return RPCCall("bdev_rbd_get_clusters_info", p, output: .dict)
    }
}

struct BdevRbdCreate: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bdev_rbd_create", abstract: "Create a bdev on a Ceph RBD image; prints its name.")

    @Option(name: [.customShort("b"), .customLong("name")], help: "Name of the bdev (default: CephN).")
    var name: String?
    @Option(help: "Ceph user name (admin, not client.admin), without --cluster-name.")
    var user: String?
    @Option(help: ArgumentHelp("A Ceph option (repeatable), without --cluster-name.", valueName: "key=value"))
    var config: [String] = []
    @Argument(help: ArgumentHelp("RBD pool.", valueName: "pool_name")) var poolName: String
    @Argument(help: ArgumentHelp("RBD image.", valueName: "rbd_name")) var rbdName: String
    @Argument(help: ArgumentHelp("Block size in bytes.", valueName: "block_size")) var blockSize: Int
    @Option(name: [.customShort("c"), .customLong("cluster-name")], help: "A registered cluster to use.")
    var clusterName: String?
    @Option(name: [.customShort("u"), .customLong("uuid")], help: "UUID of the bdev.") var uuid: String?
    @Flag(name: .customLong("readonly"), help: "Open the image read-only.") var readOnly = false

    func validate() throws { _ = try keyValueObject(config, option: "--config") }

    func call() -> RPCCall {
        var p = RPCParams()
        p.addIfTrue("name", name)
        p.addIfTrue("user_id", user)
        if !config.isEmpty, let o = try? keyValueObject(config, option: "--config") { p.add("config", o) }
        p.add("pool_name", .string(poolName))
        p.add("rbd_name", .string(rbdName))
        p.add("block_size", .int(blockSize))
        p.addIfTrue("cluster_name", clusterName)
        p.addIfTrue("uuid", uuid)
        p.addIfTrue("read_only", readOnly)
        return RPCCall("bdev_rbd_create", p, output: .json)
    }
}

struct BdevRbdDelete: BdevDelete {
    static let configuration = CommandConfiguration(commandName: "bdev_rbd_delete", abstract: "Delete an RBD bdev.")
    @Argument(help: ArgumentHelp("Name of the bdev.", valueName: "name")) var name: String
}
