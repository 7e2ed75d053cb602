import Backends
import RBDBackend

/// `bdev_rbd_create`'s parameters (SPDK's names in the comments).
public struct RBDDeviceConfig: Equatable, Sendable {
    /// `name`; `nil`: the first free "CephN", as SPDK names them.
    public var name: String?
    /// `pool_name`, `rbd_name`.
    public var poolName: String
    public var imageName: String
    /// `block_size`: the namespace's logical block size.
    public var blockSize: Int
    /// `cluster_name`: a registered cluster; `nil`: a connection of the
    /// device's own from `user_id` and `config`.
    public var clusterName: String?
    public var userID: String?
    public var config: [RBDConfigEntry]?
    public var uuid: DeviceUUID?
    /// `read_only` (SPDK ≥ 24.09): the image is opened read-only.
    public var readOnly: Bool

    public init(
        name: String?, poolName: String, imageName: String, blockSize: Int, clusterName: String?, userID: String?,
        config: [RBDConfigEntry]?, uuid: DeviceUUID?, readOnly: Bool
    ) {
        self.name = name
        self.poolName = poolName
        self.imageName = imageName
        self.blockSize = blockSize
        self.clusterName = clusterName
        self.userID = userID
        self.config = config
        self.uuid = uuid
        self.readOnly = readOnly
    }
}

extension ConfigCall {
    /// `bdev_rbd_register_cluster {name, user_id, config_param, config_file, key_file, core_mask}`.
    static func rbdRegisterCluster(_ p: inout Params) throws(ConfigError) -> ConfigCall {
        let name = try p.requiredString("name")
        var options = RBDClusterOptions()
        options.userID = try p.string("user_id")
        options.configParams = try configEntries(&p, "config_param") ?? []
        options.configFile = try p.string("config_file")
        options.keyFile = try p.string("key_file")
        if let mask = try p.string("core_mask") {
            options.coreMask = try cpuMask(mask, path: "\(p.path).core_mask")
        }
        return .bdevRbdRegisterCluster(name: name, options: options)
    }

    /// `bdev_rbd_create {name, pool_name, rbd_name, block_size, user_id, config, cluster_name, uuid, read_only}`.
    static func rbdCreate(_ p: inout Params) throws(ConfigError) -> ConfigCall {
        let name = try p.string("name")
        if let name, name.isEmpty { throw ConfigError(path: "\(p.path).name", message: "must not be empty") }
        let pool = try p.requiredString("pool_name")
        let image = try p.requiredString("rbd_name")
        let blockSize = try p.requiredInteger("block_size", in: 512...65536)
        guard blockSize & (blockSize - 1) == 0 else {
            throw ConfigError(path: "\(p.path).block_size", message: "must be a power of two, not \(blockSize)")
        }
        let cluster = try p.string("cluster_name")
        let user = try p.string("user_id")
        let config = try configEntries(&p, "config")
        // SPDK ignores user_id and config beside cluster_name; a setting
        // that would be ignored is refused instead.
        if cluster != nil, user != nil || config != nil {
            throw ConfigError(
                path: "\(p.path).\(user != nil ? "user_id" : "config")",
                message: "applies only without cluster_name (set it on bdev_rbd_register_cluster)")
        }
        let uuid = try uuidField(&p, "uuid")
        let readOnly = try p.bool("read_only") ?? false
        return .bdevRbdCreate(
            RBDDeviceConfig(
                name: name, poolName: pool, imageName: image, blockSize: blockSize, clusterName: cluster, userID: user,
                config: config, uuid: uuid, readOnly: readOnly))
    }

    /// A `{"option": "value"}` object, in key order (Ceph applies each
    /// option on its own, so the order does not change the result).
    static func configEntries(_ p: inout Params, _ key: String) throws(ConfigError) -> [RBDConfigEntry]? {
        guard let o = try p.object(key) else { return nil }
        var entries: [RBDConfigEntry] = []
        for k in o.fields.keys.sorted() {
            guard case .string(let v) = o.fields[k]! else {
                throw ConfigError(path: "\(o.path).\(k)", message: "must be a string, as Ceph options are given")
            }
            guard !k.isEmpty else { throw ConfigError(path: o.path, message: "an option name must not be empty") }
            entries.append(RBDConfigEntry(k, v))
        }
        return entries
    }

    /// SPDK's cpumask syntax: "0x3" (hex) or "[0,2-3]" (a list), CPUs 0-63.
    static func cpuMask(_ text: String, path: String) throws(ConfigError) -> UInt64 {
        let bad = ConfigError(path: path, message: "\"\(text)\" is not a CPU mask (\"0x3\" or \"[0,2-3]\", CPUs 0-63)")
        var mask: UInt64 = 0
        if text.hasPrefix("[") && text.hasSuffix("]") {
            for part in text.dropFirst().dropLast().split(separator: ",") {
                let ends = part.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count == 1 || ends.count == 2,
                    let lo = Int(ends[0].trimmingSpaces), let hi = Int((ends.last ?? ends[0]).trimmingSpaces),
                    lo >= 0, lo <= hi, hi < 64
                else { throw bad }
                for cpu in lo...hi { mask |= 1 << UInt64(cpu) }
            }
        } else {
            let hex = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
            guard let m = UInt64(hex, radix: 16) else { throw bad }
            mask = m
        }
        guard mask != 0 else { throw ConfigError(path: path, message: "\"\(text)\" names no CPU") }
        return mask
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        drop { $0 == " " }.reversed().drop { $0 == " " }.reversed().reduce(into: Substring()) { $0.append($1) }
    }
}

extension AppliedConfiguration {
    /// `bdev_rbd_register_cluster`: connects (blocking, bounded by
    /// `client_mount_timeout`) and registers.
    mutating func applyRegisterCluster(name: String, options: RBDClusterOptions, path: String) throws(ConfigError) {
        do { try rbdClusters.register(name: name, options: options) } catch {
            throw ConfigError(path: path, message: error.description)
        }
    }

    /// The device `bdev_rbd_create` describes, on its registered cluster or
    /// on a connection of its own.
    func makeRBDDevice(_ c: RBDDeviceConfig, name: String) throws(BlockDeviceError) -> RBDBlockDevice {
        let cluster: RBDCluster
        let owns: Bool
        if let clusterName = c.clusterName {
            guard let registered = rbdClusters.cluster(named: clusterName) else {
                throw .setup("no cluster \"\(clusterName)\" registered (bdev_rbd_register_cluster first)")
            }
            cluster = registered
            owns = false
        } else {
            var options = RBDClusterOptions(userID: c.userID, configParams: c.config ?? [])
            // SPDK reads the default ceph.conf only when no config is given.
            options.searchDefaultFile = c.config == nil
            do { cluster = try RBDCluster(name: name, options: options) } catch {
                throw .setup(error.description)
            }
            owns = true
        }
        do {
            return try RBDBlockDevice(
                name: name, cluster: cluster, ownsCluster: owns, poolName: c.poolName, imageName: c.imageName,
                blockSize: c.blockSize, readOnly: c.readOnly, uuid: c.uuid, privateConfig: owns ? (c.config ?? []) : nil
            )
        } catch {
            if owns { cluster.shutdown() }
            throw error
        }
    }
}
