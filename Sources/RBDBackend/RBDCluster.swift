import CRBD
import Glibc
import Synchronization

/// How to reach a Ceph cluster: SPDK's `bdev_rbd_register_cluster`
/// parameters (and `bdev_rbd_create`'s `user_id` and `config` when it makes
/// a private connection).
public struct RBDClusterOptions: Equatable, Sendable {
    /// The client id without "client." (librados' default: admin).
    public var userID: String?
    /// Options set one by one after the configuration file, in order; they
    /// win over the file and over this target's defaults.
    public var configParams: [RBDConfigEntry]
    /// A ceph.conf to read. `nil`: librados' search ($CEPH_CONF,
    /// /etc/ceph/ceph.conf, ...), and a missing file is not an error.
    public var configFile: String?
    /// A keyring file (sets `keyring`).
    public var keyFile: String?
    /// CPUs (bit N = CPU N, 0-63) librados' threads run on, so they stay off
    /// the poll groups' CPUs (SPDK's `core_mask`); `nil`: the process's.
    public var coreMask: UInt64?
    /// Without `configFile`, read the file librados finds by itself
    /// (SPDK's private connections with a `config` do not).
    public var searchDefaultFile = true

    public init(
        userID: String? = nil, configParams: [RBDConfigEntry] = [], configFile: String? = nil, keyFile: String? = nil,
        coreMask: UInt64? = nil
    ) {
        self.userID = userID
        self.configParams = configParams
        self.configFile = configFile
        self.keyFile = keyFile
        self.coreMask = coreMask
    }
}

/// One `key = value` of a Ceph configuration.
public struct RBDConfigEntry: Equatable, Sendable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// A connected librados client (`rados_t`), shared by every RBD device
/// created on it (SPDK's registered cluster). Each connection costs a dozen
/// librados threads and a session with every OSD, which is why devices share
/// one.
///
/// Control path only: connecting and opening images block (bounded by the
/// timeouts below).
public final class RBDCluster: @unchecked Sendable {
    /// The name devices refer to (`cluster_name`); for a device's private
    /// connection, the device's name.
    public let name: String
    public let options: RBDClusterOptions
    /// The client's address as the cluster sees it: what a peer gateway
    /// blocklists to fence this one (`ceph osd blocklist add`).
    public let clientAddress: String
    /// librbd's cache is on (`rbd_cache`): completed writes may be volatile,
    /// so namespaces report a volatile write cache and forward Flush.
    public let cacheEnabled: Bool
    let handle: crbd_rados_t
    private let users = Mutex(0)
    private let isShutDown = Mutex(false)

    /// This target's defaults where librados' own would wait forever or write
    /// back behind the host's back. A value in `configParams` wins; so does a
    /// configuration file's value that differs from librados' default.
    ///
    /// - `client_mount_timeout` 10 s (librados: 300): a monitor that cannot be
    ///   reached fails `bdev_rbd_register_cluster` in bounded time.
    /// - `rados_mon_op_timeout` 10 s (librados: 0, forever): the first OSD map
    ///   and monitor commands.
    /// - `rados_osd_op_timeout` 20 s (librados: 0, forever): an I/O the cluster
    ///   cannot serve fails with ETIMEDOUT, and the host gets a retryable path
    ///   error before its own 30 s command timeout resets the controller.
    /// - `rbd_cache` false: a write completes when the OSDs have it, as with
    ///   krbd, so no volatile cache has to be reported and flushed. Pass
    ///   `rbd_cache=true` in `config_param` to have the cache, reported as VWC.
    static let defaults: [(key: String, librados: String, ours: String)] = [
        ("client_mount_timeout", "300", "10"),
        ("rados_mon_op_timeout", "0", "10"),
        ("rados_osd_op_timeout", "0", "20"),
    ]

    /// Connects: `rados_create`, the configuration file, the defaults, the
    /// options, the keyring, `rados_connect`.
    ///
    /// - Throws: `RBDError` naming the cluster and the cause: librbd missing,
    ///   an unreadable configuration file, an unknown option, no monitor
    ///   reachable within `client_mount_timeout`, refused credentials.
    public init(name: String, options: RBDClusterOptions) throws(RBDError) {
        try RBDLibrary.load()
        func fail(_ m: String) -> RBDError { .cluster(name: name, message: m) }
        // librados starts its threads in create and connect; they inherit
        // this thread's affinity, which is put back afterwards.
        var saved: UInt64 = 0
        if let mask = options.coreMask {
            guard crbd_thread_affinity(&saved, mask) == 0 else {
                throw fail("core_mask 0x\(String(mask, radix: 16)): no CPU of it is available to this process")
            }
        }
        defer { if options.coreMask != nil { _ = crbd_thread_affinity(nil, saved) } }
        var handle: crbd_rados_t?
        var rc = crbd_rados_create(&handle, options.userID)
        guard rc == 0, let handle else {
            throw fail("rados_create(user_id \(options.userID ?? "admin")) failed: \(RBDLibrary.describe(rc))")
        }
        do throws(RBDError) {
            if let file = options.configFile {
                rc = crbd_rados_conf_read_file(handle, file)
                guard rc == 0 else { throw fail("config_file \(file): \(RBDLibrary.describe(rc))") }
            } else if options.searchDefaultFile {
                _ = crbd_rados_conf_read_file(handle, nil)  // like SPDK: no file is fine
            }
            let given = Set(options.configParams.map { Self.canonical($0.key) })
            for d in Self.defaults where !given.contains(d.key) {
                if let now = Self.get(handle, d.key), Double(now) == Double(d.librados) {
                    _ = crbd_rados_conf_set(handle, d.key, d.ours)
                }
            }
            if !given.contains("rbd_cache") { _ = crbd_rados_conf_set(handle, "rbd_cache", "false") }
            for entry in options.configParams {
                rc = crbd_rados_conf_set(handle, entry.key, entry.value)
                guard rc == 0 else {
                    throw fail(
                        "config_param \(entry.key)=\(entry.value): "
                            + (rc == -ENOENT ? "no such Ceph option" : RBDLibrary.describe(rc)))
                }
            }
            if let key = options.keyFile {
                guard access(key, R_OK) == 0 else {
                    throw fail("key_file \(key): \(String(cString: strerror(errno)))")
                }
                rc = crbd_rados_conf_set(handle, "keyring", key)
                guard rc == 0 else { throw fail("key_file \(key): \(RBDLibrary.describe(rc))") }
            }
            rc = crbd_rados_connect(handle)
            guard rc == 0 else {
                let monitors = Self.get(handle, "mon_host").flatMap { $0.isEmpty ? nil : $0 } ?? "none configured"
                let why: String
                switch -rc {
                case ETIMEDOUT:
                    why =
                        "no monitor answered within client_mount_timeout (\(Self.get(handle, "client_mount_timeout") ?? "?") s)"
                case EACCES, EPERM: why = "the monitors refused the credentials (user_id, key_file)"
                case ENOENT: why = "no monitor address and no keyring found (config_file, mon_host, key_file)"
                default: why = RBDLibrary.describe(rc)
                }
                throw fail("cannot connect (monitors: \(monitors)): \(why)")
            }
        } catch {
            crbd_rados_shutdown(handle)
            throw error
        }
        var address = [CChar](repeating: 0, count: 256)
        if crbd_rados_getaddrs(handle, &address, address.count) != 0 { address[0] = 0 }
        self.name = name
        self.options = options
        self.handle = handle
        self.clientAddress = String(decoding: address.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.cacheEnabled = Self.get(handle, "rbd_cache") == "true"
    }

    deinit { shutdown() }

    /// Closes the connection. Devices on it must be closed first.
    public func shutdown() {
        let first = isShutDown.withLock { done in
            defer { done = true }
            return !done
        }
        if first { crbd_rados_shutdown(handle) }
    }

    /// Devices currently using the connection.
    public var userCount: Int { users.withLock { $0 } }
    func retain() { users.withLock { $0 += 1 } }
    func release() { users.withLock { $0 -= 1 } }

    /// The current value of a Ceph option on this connection.
    public func configValue(_ key: String) -> String? { Self.get(handle, key) }

    static func get(_ handle: crbd_rados_t, _ key: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard crbd_rados_conf_get(handle, key, &buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Ceph accepts "rbd cache", "rbd-cache" and "rbd_cache" for one option.
    static func canonical(_ key: String) -> String {
        String(key.map { $0 == " " || $0 == "-" ? "_" : $0 })
    }
}
