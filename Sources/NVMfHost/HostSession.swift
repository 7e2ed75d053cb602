import NVMe

/// A connected, enabled controller on one subsystem over RDMA: the admin queue
/// and its `HostController`, and the way to open I/O queues on it.
///
/// `connect` does what `nvme connect -t rdma` does: CM connect, admin Connect,
/// CAP/VS, CC.EN, CSTS.RDY, Identify Controller. `close` shuts the controller
/// down (CC.SHN) and disconnects. Control path, one thread.
public final class HostSession {
    public let transportID: TransportID
    public let identity: HostIdentity
    public let adminQueue: RdmaHostQueue
    public let controller: HostController
    let connectTimeoutMilliseconds: Int
    private var nextQueueID: UInt16 = 1

    /// Connects to `transportID`'s subsystem (or its discovery controller).
    public init(
        _ transportID: TransportID, identity: HostIdentity, keepAliveTimeoutMilliseconds: UInt32 = 10_000,
        connectTimeoutMilliseconds: Int = 5000
    ) throws(HostError) {
        self.transportID = transportID
        self.identity = identity
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        adminQueue = try RdmaHostQueue(
            address: transportID.address, port: transportID.port,
            options: .init(
                queueID: 0, depth: HostController.adminQueueDepth, dataBytesPerSlot: HostController.adminDataBytes,
                connectTimeoutMilliseconds: connectTimeoutMilliseconds))
        controller = try HostController(
            admin: adminQueue, subsystemNQN: transportID.subsystemNQN, hostNQN: identity.nqn, hostID: identity.id,
            keepAliveTimeoutMilliseconds: keepAliveTimeoutMilliseconds)
        try controller.enable()
    }

    /// Opens the next I/O queue: CM connect with its QID, then its Fabrics Connect.
    ///
    /// `depth` is cut to what the controller takes (CAP.MQES + 1) and to the target's
    /// CRQSIZE; the queue's `depth` says what was granted.
    public func openIOQueue(depth: Int, ioBytes: Int, interrupts: Bool = false) throws(HostError) -> RdmaHostQueue {
        if let limit = controller.maxDataTransferBytes, ioBytes > limit {
            throw HostError(
                "I/O size \(ioBytes) bytes exceeds the controller's maximum transfer (MDTS) of \(limit) bytes")
        }
        let queueID = nextQueueID
        let granted = min(depth, controller.maxQueueEntries)
        let queue = try RdmaHostQueue(
            address: transportID.address, port: transportID.port,
            options: .init(
                queueID: queueID, depth: granted, dataBytesPerSlot: max(ioBytes, ConnectData.wireSize),
                inCapsuleDataBytes: controller.inCapsuleDataBytes, interrupts: interrupts,
                connectTimeoutMilliseconds: connectTimeoutMilliseconds))
        _ = try HostController.connect(
            over: queue, queueID: queueID, depth: queue.depth, controllerID: controller.controllerID,
            subsystemNQN: transportID.subsystemNQN, hostNQN: identity.nqn, hostID: identity.id,
            keepAliveTimeoutMilliseconds: 0)
        nextQueueID &+= 1
        return queue
    }

    /// Orderly end: CC.SHN and wait for it (when the admin queue still works), then disconnect.
    public func close() throws(HostError) {
        defer { adminQueue.close() }
        if adminQueue.failure == nil, controller.state == .ready { try controller.shutdown() }
    }
}
