import Glibc
import NVMfConfig
import Target

// spdk_get_version, rpc_get_methods, spdk_kill_instance, nvmf_get_stats.

extension RPCMethods {
    /// The SPDK release whose RPC names and shapes this server follows.
    static let spdkVersion = (major: 24, minor: 1, patch: 0)

    func registerInformationMethods() {
        register("spdk_get_version") { _, _ throws(RPCError) in
            let v = RPCMethods.spdkVersion
            return .object([
                "version": .string("SPDK v\(v.major).\(v.minor < 10 ? "0" : "")\(v.minor) compatible (swift nvmf-tgt)"),
                "fields": .object([
                    "major": .int(v.major), "minor": .int(v.minor), "patch": .int(v.patch), "suffix": .string(""),
                ]),
            ])
        }
        register("rpc_get_methods") { m, p throws(RPCError) in
            _ = try m.optionalBool(&p, "current")
            _ = try m.optionalBool(&p, "include_aliases")
            return .array(m.names.map { .string($0) })
        }
        register("spdk_kill_instance") { m, p throws(RPCError) in
            let name = try m.required(&p, "sig_name")
            let signals: [String: Int32] = [
                "SIGINT": SIGINT, "SIGTERM": SIGTERM, "SIGKILL": SIGKILL, "SIGQUIT": SIGQUIT, "INT": SIGINT,
                "TERM": SIGTERM, "KILL": SIGKILL, "QUIT": SIGQUIT, "2": SIGINT, "15": SIGTERM, "9": SIGKILL,
                "3": SIGQUIT,
            ]
            guard let sig = signals[name.uppercased()] else {
                throw .invalidParams(
                    "\(p.path).sig_name: unknown signal \"\(name)\" (SIGINT, SIGTERM, SIGQUIT or SIGKILL)")
            }
            m.onKill(sig)
            return .bool(true)
        }
        register("nvmf_get_stats") { m, p throws(RPCError) in
            try m.targetName(&p)
            let collector = PollGroupStatisticsCollector()
            try m.waitForPollGroups { done throws(TargetError) in
                m.target.postToEveryPollGroup(.collectStatistics(collector), onComplete: done)
            }
            let groups: [JSONValue] = collector.statistics.map { s in
                .object([
                    "name": .string(s.name), "admin_qpairs": .int(s.adminQueuePairs), "io_qpairs": .int(s.ioQueuePairs),
                    "current_admin_qpairs": .int(s.currentAdminQueuePairs),
                    "current_io_qpairs": .int(s.currentIOQueuePairs), "pending_bdev_io": .int(s.pendingBackendIO),
                    "completed_nvme_io": .int(s.completedIO),
                    "transports": .array([.object(["trtype": .string("RDMA")])]),
                ])
            }
            return .object(["tick_rate": .int(1_000_000_000), "poll_groups": .array(groups)])
        }
    }
}
