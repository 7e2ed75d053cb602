import Synchronization

/// The registered clusters of one target, by name (`bdev_rbd_register_cluster`,
/// `bdev_rbd_unregister_cluster`, `bdev_rbd_get_clusters_info`).
public final class RBDClusterRegistry: Sendable {
    private let clusters = Mutex<[String: RBDCluster]>([:])

    public init() {}

    /// Connects and registers. Connecting happens outside the lock, since it
    /// may take up to `client_mount_timeout`.
    ///
    /// - Throws: a message naming the cluster: a duplicate name, or why
    ///   connecting failed.
    @discardableResult
    public func register(name: String, options: RBDClusterOptions) throws(RBDError) -> RBDCluster {
        guard !name.isEmpty else { throw .cluster(name: name, message: "the name must not be empty") }
        guard cluster(named: name) == nil else { throw .cluster(name: name, message: "already registered") }
        let cluster = try RBDCluster(name: name, options: options)
        let added = clusters.withLock { all -> Bool in
            guard all[name] == nil else { return false }
            all[name] = cluster
            return true
        }
        guard added else {
            cluster.shutdown()
            throw .cluster(name: name, message: "already registered")
        }
        return cluster
    }

    /// Disconnects and forgets a cluster no device uses.
    public func unregister(name: String) throws(RBDError) {
        let result: Result<RBDCluster, RBDError> = clusters.withLock { all in
            guard let c = all[name] else { return .failure(.cluster(name: name, message: "not registered")) }
            guard c.userCount == 0 else {
                return .failure(
                    .cluster(name: name, message: "still used by \(c.userCount) bdev(s); delete them first"))
            }
            all[name] = nil
            return .success(c)
        }
        switch result {
        case .success(let c): c.shutdown()
        case .failure(let e): throw e
        }
    }

    public func cluster(named name: String) -> RBDCluster? { clusters.withLock { $0[name] } }

    /// Every registered cluster, by name.
    public var all: [RBDCluster] { clusters.withLock { $0.values.sorted { $0.name < $1.name } } }

    /// Disconnects every cluster (target shutdown, after the devices closed).
    public func shutdownAll() {
        let all = clusters.withLock { all in
            defer { all = [:] }
            return Array(all.values)
        }
        for c in all { c.shutdown() }
    }
}
