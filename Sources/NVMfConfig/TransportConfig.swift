/// `nvmf_create_transport` parameters, with SPDK's names and defaults
/// (SPDK `nvmf_rdma_opts_init`); the daemon maps them onto the RDMA transport.
public struct TransportConfig: Equatable, Sendable {
    /// max_queue_depth: deepest I/O queue a host may create (CAP.MQES + 1).
    public var maxQueueDepth = 128
    /// max_aq_depth: deepest admin queue.
    public var maxAdminQueueDepth = 128
    /// max_io_qpairs_per_ctrlr.
    public var maxIOQPairsPerController = 127
    /// in_capsule_data_size: write data that rides in the command capsule.
    public var inCapsuleDataSize = 4096
    /// max_io_size: largest transfer (MDTS).
    public var maxIOSize = 131072
    /// io_unit_size: granule of the data buffers.
    public var ioUnitSize = 131072
    /// max_srq_depth: receive buffers per shared receive queue.
    public var maxSRQDepth = 4096
    /// no_srq: one receive queue per queue pair instead of a shared one.
    public var noSRQ = false
    /// num_shared_buffers: data buffers in the pool.
    public var numSharedBuffers = 4095
    /// buf_cache_size: buffers each poll group keeps for itself.
    public var bufCacheSize = 32
    /// acceptor_backlog: rdma_listen backlog.
    public var acceptorBacklog = 100
    /// num_cqe: completion-queue entries of each poll group's CQ when SRQ is
    /// off (with an SRQ the CQ is sized from max_srq_depth, as in SPDK); nil
    /// when the config does not set it (the transport's own default then).
    public var numCQE: Int? = nil
    /// no_wr_batching: post each work request at once instead of once per poll.
    public var noWRBatching = false
    /// min_kato: shortest keep-alive timeout in ms (0: KATO 0 keeps meaning "no timer").
    public var minKeepAliveTimeoutMS = 0

    // Ours, not SPDK's: the poll loop's tuning (nvmf-tgt's --poll-window-us,
    // --poll-idle, --pin-first-cpu, --sched-idle override them). save_config
    // writes them only when set, so a file of defaults stays SPDK's.
    /// poll_window_us: adaptive mode's polling window after the last work.
    public var pollWindowMicroseconds: Int? = nil
    /// poll_idle: "spin", "yield" or microseconds to sleep after an empty poll.
    public var pollIdle: String? = nil
    /// pin_first_cpu: poll group i on CPU N + i.
    public var pinFirstCPU: Int? = nil
    /// sched_idle: poll-group threads run SCHED_IDLE.
    public var schedulingIdle = false

    public init() {}

    init(_ p: inout Params) throws(ConfigError) {
        let trtype = try p.requiredString("trtype")
        guard trtype.lowercased() == "rdma" else {
            throw ConfigError(path: "\(p.path).trtype", message: "only RDMA is supported, not \"\(trtype)\"")
        }
        try p.targetName()
        maxQueueDepth = try p.integer("max_queue_depth", in: 2...4096) ?? maxQueueDepth
        maxAdminQueueDepth = try p.integer("max_aq_depth", in: 32...4096) ?? maxAdminQueueDepth
        maxIOQPairsPerController = try p.integer("max_io_qpairs_per_ctrlr", in: 1...65534) ?? maxIOQPairsPerController
        if let legacy = try p.integer("max_qpairs_per_ctrlr", in: 2...65535) { maxIOQPairsPerController = legacy - 1 }
        inCapsuleDataSize = try p.integer("in_capsule_data_size", in: 0...131072) ?? inCapsuleDataSize
        maxIOSize = try p.integer("max_io_size", in: 4096...(16 << 20)) ?? maxIOSize
        ioUnitSize = try p.integer("io_unit_size", in: 4096...(16 << 20)) ?? maxIOSize
        maxSRQDepth = try p.integer("max_srq_depth", in: 2...(1 << 20)) ?? maxSRQDepth
        noSRQ = try p.bool("no_srq") ?? noSRQ
        numSharedBuffers = try p.integer("num_shared_buffers", in: 2...(1 << 20)) ?? numSharedBuffers
        if let c = try p.integer("buf_cache_size", in: 0...Int(UInt32.max)) {
            bufCacheSize = c == Int(UInt32.max) ? 32 : c  // UINT32_MAX means "auto" in SPDK
        }
        acceptorBacklog = try p.integer("acceptor_backlog", in: 1...4096) ?? acceptorBacklog
        numCQE = try p.integer("num_cqe", in: 128...(1 << 20))
        noWRBatching = try p.bool("no_wr_batching") ?? noWRBatching
        // Abort never waits here (commands are not aborted: Abort answers
        // "not aborted" at once), so a timeout other than SPDK's default
        // would be a setting accepted and ignored.
        try p.ignoreIfDefault("abort_timeout_sec", default: .number(1))
        _ = try p.integer("acceptor_poll_rate", in: 0...Int(UInt32.max))
        _ = try p.integer("data_wr_pool_size", in: 0...Int(UInt32.max))
        _ = try p.integer("kas", in: 0...65535)
        minKeepAliveTimeoutMS = try p.integer("min_kato", in: 0...Int(UInt32.max)) ?? minKeepAliveTimeoutMS
        _ = try p.integer("iobuf_small_cache_size", in: 0...Int(UInt32.max))
        _ = try p.integer("iobuf_large_cache_size", in: 0...Int(UInt32.max))
        pollWindowMicroseconds = try p.integer("poll_window_us", in: 0...10_000_000)
        if let idle = try p.string("poll_idle") {
            guard idle == "spin" || idle == "yield" || (Int(idle).map { (1...1_000_000).contains($0) } ?? false) else {
                throw ConfigError(
                    path: "\(p.path).poll_idle",
                    message: "must be spin, yield or 1...1000000 microseconds, not \"\(idle)\"")
            }
            pollIdle = idle
        }
        pinFirstCPU = try p.integer("pin_first_cpu", in: 0...4095)
        schedulingIdle = try p.bool("sched_idle") ?? false
        try p.ignoreIfDefault("zcopy", default: .bool(false))
        try p.ignoreIfDefault("dif_insert_or_strip", default: .bool(false))
        try p.ignoreIfDefault("disable_command_passthru", default: .bool(false))
        guard maxIOSize >= inCapsuleDataSize else {
            throw ConfigError(path: "\(p.path).in_capsule_data_size", message: "must not exceed max_io_size")
        }
        guard inCapsuleDataSize % 16 == 0 else {
            throw ConfigError(path: "\(p.path).in_capsule_data_size", message: "must be a multiple of 16")
        }
        guard maxIOSize & (maxIOSize - 1) == 0 else {
            throw ConfigError(path: "\(p.path).max_io_size", message: "must be a power of two (MDTS is log2)")
        }
    }
}
