import CVerbs
import Verbs

/// One RDMA device as the transport uses it: its protection domain, its
/// registered data buffers and its limits. Shared by every poll group.
/// Its pollers hold it; `pollers` is emptied at shutdown to break the cycle.
final class DeviceResources {
    let context: DeviceContext
    let protectionDomain: ProtectionDomain
    let attributes: DeviceAttributes
    let dataPool: DataBufferPool
    /// One poller per poll group, made on the first connection the group gets from this device.
    var pollers: [DevicePoller?]
    /// The device went away (DEVICE_REMOVAL or a fatal async event): no new
    /// connections; its resources are being released (DeviceRemoval.swift).
    /// CM thread only.
    var isRemoved = false
    /// Poll groups that still hold a poller of this removed device. CM thread only.
    var pollersToRelease = 0

    init(context: DeviceContext, options: RdmaTransportOptions, pollGroupCount: Int)
        throws(VerbsError)
    {
        self.context = context
        attributes = try context.queryDevice()
        protectionDomain = try ProtectionDomain(context: context)
        dataPool = try DataBufferPool(
            protectionDomain: protectionDomain, count: options.numSharedBuffers,
            bufferSize: options.dataBufferSize)
        pollers = Array(repeating: nil, count: pollGroupCount)
        try context.setAsyncEventsNonBlocking()
    }

    /// The device's `ibv_context`, the key RDMA CM ids are matched by.
    var key: UnsafeMutablePointer<ibv_context> { context.pointer }
}

/// A poll group's share of one device: one CQ (with a completion channel for
/// interrupt mode), the SRQ and its receive buffers (unless `no_srq`), and
/// the group's cache of data buffers.
final class DevicePoller {
    let device: DeviceResources
    let channel: CompletionChannel
    let completionQueue: CompletionQueue
    let sharedReceiveQueue: SharedReceiveQueue?
    let receivePool: ReceiveBufferPool?
    let bufferCache: DataBufferCache
    var dataPool: DataBufferPool { device.dataPool }
    let completions: WorkCompletionBuffer
    /// CQ entries promised to receive queues and connections: a CQ overrun
    /// would break every connection on it, so a connection that does not fit
    /// is rejected (NO_RESOURCES) instead.
    private var committedEntries: Int
    private let accountingLock = TransportLock()

    init(device: DeviceResources, options: RdmaTransportOptions) throws(VerbsError) {
        self.device = device
        let attributes = device.attributes
        channel = try CompletionChannel(context: device.context)
        try channel.setNonBlocking()
        var srq: SharedReceiveQueue? = nil
        var pool: ReceiveBufferPool? = nil
        // Without an SRQ, num_cqe sizes the CQ (SPDK's meaning); with one,
        // the SRQ's depth does (below).
        var entries = min(attributes.maxCompletionQueueEntries, options.numCQE)
        if !options.noSRQ && attributes.maxSharedReceiveQueueWorkRequests > 0 {
            let depth = min(options.maxSRQDepth, attributes.maxSharedReceiveQueueWorkRequests)
            let queue = try SharedReceiveQueue(
                protectionDomain: device.protectionDomain, capacity: depth,
                maxSGEsPerRequest: min(2, attributes.maxSharedReceiveQueueScatterGatherEntries))
            let receive = try ReceiveBufferPool(
                protectionDomain: device.protectionDomain, count: depth,
                inCapsuleDataSize: options.inCapsuleDataSize, sharedReceiveQueue: queue)
            try receive.postAll()
            srq = queue
            pool = receive
            entries = min(attributes.maxCompletionQueueEntries, max(16384, depth * 4))
        }
        sharedReceiveQueue = srq
        receivePool = pool
        completionQueue = try CompletionQueue(
            context: device.context, capacity: entries, channel: channel)
        bufferCache = DataBufferCache(pool: device.dataPool, cacheSize: options.bufCacheSize)
        completions = WorkCompletionBuffer(capacity: 32)
        committedEntries = pool?.count ?? 0
    }

    /// CQ entries one connection of `depth` may need at once: a READ or WRITE
    /// plus a SEND per slot, one spare, and its own receives without an SRQ.
    func completionEntries(depth: Int) -> Int { 2 * depth + 1 + (sharedReceiveQueue == nil ? depth : 0) }

    /// Reserves `n` CQ entries; false when the CQ is full.
    func reserve(_ n: Int) -> Bool {
        accountingLock.withLock {
            guard committedEntries + n <= completionQueue.capacity else { return false }
            committedEntries += n
            return true
        }
    }

    func unreserve(_ n: Int) { accountingLock.withLock { committedEntries -= n } }
}
