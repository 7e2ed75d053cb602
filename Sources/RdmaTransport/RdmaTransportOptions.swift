import Target

/// The RDMA transport's tunables, with SPDK's names and defaults
/// (`nvmf_create_transport`; reference §2.9), so an SPDK config maps 1:1.
public struct RdmaTransportOptions: Sendable, Hashable {
    /// max_queue_depth: deepest I/O queue (CAP.MQES + 1).
    public var maxQueueDepth: Int = 128
    /// max_aq_depth: deepest admin queue (Linux uses 32).
    public var maxAdminQueueDepth: Int = 32
    /// max_io_qpairs_per_ctrlr.
    public var maxIOQPairsPerController: Int = 127
    /// in_capsule_data_size: bytes of data an I/O command capsule may carry after the SQE.
    public var inCapsuleDataSize: Int = 4096
    /// max_io_size: largest transfer of one command (MDTS).
    public var maxIOSize: Int = 131072
    /// io_unit_size: size of one data buffer. This transport gives every
    /// request a single buffer, so buffers are max(io_unit_size, max_io_size).
    public var ioUnitSize: Int = 131072
    /// max_srq_depth: receive buffers per shared receive queue (one per poll group and device).
    public var maxSRQDepth: Int = 4096
    /// no_srq: per-connection receive queues instead of one SRQ per poll group.
    public var noSRQ: Bool = false
    /// num_shared_buffers: registered data buffers per device.
    public var numSharedBuffers: Int = 4095
    /// buf_cache_size: buffers each poll group keeps for itself.
    public var bufCacheSize: Int = 32
    /// acceptor_backlog: `rdma_listen` backlog.
    public var acceptorBacklog: Int = 100
    /// num_cqe: entries of each poll group's completion queue when `noSRQ`
    /// (capped by the device's max_cqe). Every connection reserves room in
    /// it for its receives and sends, so it bounds the connections a poll
    /// group takes without an SRQ. SPDK starts at 4096 and resizes the CQ as
    /// queues arrive; this transport does not resize, so its default is the
    /// fixed 16384 it always had, and a configured value is used as it is.
    public var numCQE: Int = 16384
    /// min_kato: shortest keep-alive timeout (ms) a controller runs with (`TransportOptions`).
    public var minKeepAliveTimeoutMS: UInt32 = 0

    // Poll-loop tuning (ours, not SPDK's; daemon flags of the same names).
    // They were environment variables read into statics until 2026-12-02.

    /// `--poll-window-us`: adaptive mode polls this long (µs) after the last
    /// work before sleeping. 2 ms matched or beat poll mode on every job in
    /// one boot under Soft-RoCE (perf/RESULTS.md); 50 µs lost QD1.
    public var adaptivePollWindowMicroseconds: Int = 2000
    /// `--poll-idle`: what a polling loop does after a pass that found nothing.
    public var pollIdle: PollIdleAction = .spin
    /// `--pin-first-cpu`: poll group i runs on CPU (N + i) mod CPUs; nil leaves placement to the scheduler.
    public var pinFirstCPU: Int? = nil
    /// `--sched-idle`: poll-group threads run SCHED_IDLE, so any other thread on their CPU preempts them.
    public var schedulingIdle: Bool = false

    public init() {}

    /// Why a set of options cannot work; nil when it can.
    ///
    /// Mirrors the create-time checks SPDK makes, so a bad config fails at
    /// startup instead of at the first connection.
    public func validationError(pollGroupCount: Int) -> String? {
        if pollGroupCount < 1 { return "at least one poll group is needed" }
        if adaptivePollWindowMicroseconds < 0 || adaptivePollWindowMicroseconds > 10_000_000 {
            return "poll window must be in 0...10000000 µs"
        }
        if case .pause(let us) = pollIdle, us < 1 || us > 1_000_000 {
            return "poll idle pause must be in 1...1000000 µs"
        }
        if let cpu = pinFirstCPU, cpu < 0 { return "pin-first-cpu must be 0 or more" }
        if maxQueueDepth < 2 || maxQueueDepth > 65535 { return "max_queue_depth must be in 2...65535" }
        if maxAdminQueueDepth < 2 || maxAdminQueueDepth > 4096 {
            return "max_aq_depth must be in 2...4096"
        }
        if maxIOQPairsPerController < 1 || maxIOQPairsPerController > 0xFFFE {
            return "max_io_qpairs_per_ctrlr must be in 1...65534"
        }
        if inCapsuleDataSize < 0 || inCapsuleDataSize > 65536 || inCapsuleDataSize % 16 != 0 {
            return "in_capsule_data_size must be a multiple of 16 in 0...65536"
        }
        if maxIOSize < 4096 || maxIOSize > 16 * 1024 * 1024 || maxIOSize & (maxIOSize - 1) != 0 {
            return "max_io_size must be a power of two in 4 KiB...16 MiB"
        }
        if ioUnitSize < 512 || ioUnitSize > 16 * 1024 * 1024 {
            return "io_unit_size must be in 512 B...16 MiB"
        }
        if maxSRQDepth < 16 || maxSRQDepth > 1 << 20 { return "max_srq_depth must be in 16...1048576" }
        if bufCacheSize < 0 { return "buf_cache_size must not be negative" }
        if numSharedBuffers < 1 { return "num_shared_buffers must be at least 1" }
        if numSharedBuffers < pollGroupCount * bufCacheSize {
            return "num_shared_buffers (\(numSharedBuffers)) must cover buf_cache_size × poll groups "
                + "(\(pollGroupCount * bufCacheSize))"
        }
        if acceptorBacklog < 1 { return "acceptor_backlog must be at least 1" }
        if numCQE < 128 || numCQE > 1 << 20 { return "num_cqe must be in 128...1048576" }
        return nil
    }

    /// Bytes of one registered data buffer (page multiple).
    public var dataBufferSize: Int {
        let size = max(ioUnitSize, maxIOSize)
        return (size + 4095) & ~4095
    }

    /// The limits the Target core reports to hosts and enforces.
    public var transportOptions: TransportOptions {
        TransportOptions(
            inCapsuleDataSize: inCapsuleDataSize, maxIOSize: maxIOSize, maxQueueDepth: maxQueueDepth,
            maxAdminQueueDepth: maxAdminQueueDepth, maxIOQueues: maxIOQPairsPerController,
            minKeepAliveTimeoutMS: minKeepAliveTimeoutMS)
    }
}

/// How a poll group waits for work.
public enum PollMode: String, Sendable {
    /// Busy-poll the completion queue forever: lowest latency, one core per group.
    case poll
    /// Always sleep in epoll on the CQ's completion channel and the backends' eventfds.
    case interrupt
    /// Busy-poll for a short window after activity (2 ms, longer than the
    /// gaps of a steady stream under Soft-RoCE), then sleep as in
    /// `interrupt`. The daemon's default: on the 2-vCPU lab guest it matches
    /// poll mode and beats the kernel target at under 1 % idle CPU.
    case adaptive
}

/// What a polling loop does after a pass that found nothing.
public enum PollIdleAction: Sendable, Hashable, CustomStringConvertible {
    /// Poll again at once.
    case spin
    /// `sched_yield()`: rxe's softirq/kworker threads and the host's fio may run.
    case yield
    /// Sleep this many microseconds (nanosleep).
    case pause(Int)

    /// "spin", "yield" or a number of microseconds.
    public init?(_ text: String) {
        switch text {
        case "spin": self = .spin
        case "yield": self = .yield
        default:
            guard let us = Int(text) else { return nil }
            self = .pause(us)
        }
    }

    public var description: String {
        switch self {
        case .spin: return "spin"
        case .yield: return "yield"
        case .pause(let us): return "\(us)"
        }
    }
}

/// Errors of the transport's control path.
public enum RdmaTransportError: Error, CustomStringConvertible {
    case invalidOptions(String)
    case invalidAddress(String)
    case verbs(String)
    case notStarted
    case alreadyStarted

    public var description: String {
        switch self {
        case .invalidOptions(let why): return "invalid RDMA transport options: \(why)"
        case .invalidAddress(let a): return "not an IPv4 or IPv6 literal: \(a)"
        case .verbs(let why): return why
        case .notStarted: return "the RDMA transport is not started"
        case .alreadyStarted: return "the RDMA transport is already started"
        }
    }
}
