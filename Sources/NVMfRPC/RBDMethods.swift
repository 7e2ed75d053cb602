import NVMfConfig
import RBDBackend

// bdev_rbd_register_cluster, bdev_rbd_unregister_cluster and
// bdev_rbd_get_clusters_info (bdev_rbd_create and bdev_rbd_delete are with
// the other bdev methods). Registering connects, which blocks this RPC
// thread for at most client_mount_timeout; the poll groups are unaffected.

extension RPCMethods {
    func registerRBDMethods() {
        register("bdev_rbd_register_cluster") { m, p throws(RPCError) in
            guard case .cluster(let name) = try m.applyConfigCall("bdev_rbd_register_cluster", &p) else {
                throw .internalError("bdev_rbd_register_cluster registered nothing")
            }
            return .string(name)
        }
        register("bdev_rbd_unregister_cluster") { m, p throws(RPCError) in
            let name = try m.required(&p, "name")
            do throws(RBDError) { try m.state.rbdClusters.unregister(name: name) } catch {
                throw .invalidParams("\(p.path).name: \(error.description)")
            }
            return .bool(true)
        }
        register("bdev_rbd_get_clusters_info") { m, p throws(RPCError) in
            let name = try m.optionalString(&p, "name")
            let clusters = m.state.rbdClusters.all.filter { name == nil || $0.name == name }
            if let name, clusters.isEmpty {
                throw .invalidParams("\(p.path).name: no cluster \"\(name)\" registered")
            }
            let infos = clusters.map { c -> JSONValue in
                var o = Self.clusterParams(c)
                o["client_address"] = .string(c.clientAddress)
                o["bdev_count"] = .int(c.userCount)
                o["rbd_cache"] = .bool(c.cacheEnabled)
                return .object(o)
            }
            // SPDK answers one cluster's info as an object, all of them as an array.
            return name == nil ? .array(infos) : infos[0]
        }
    }
}
