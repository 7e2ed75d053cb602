import CVerbs
import Dispatch
import Glibc
import Logging
import NVMe
import Synchronization
import Target
import Verbs

/// The CM event thread: listeners, CONNECT_REQUEST checks, QP creation,
/// connection events, device async events, and the final destruction of
/// CM ids (only this thread destroys ids, so no event can race a destroy).
final class ConnectionManager {
    enum Message {
        /// A poll group released a connection's verbs resources; drop its CM id.
        case connectionGone(RdmaConnection)
        /// A poll group dropped its poller of a removed device (DeviceRemoval.swift).
        case pollerReleased(DeviceResources, group: Int)
        /// The target stopped using a listener: close its listening id (on
        /// the CM thread, which acks its events), then signal `done`.
        case stopListening(ListenerAddress, done: DispatchSemaphore)
        case stop
    }

    struct Listening {
        var id: ConnectionID
        var address: SocketAddress
        var listener: ListenerAddress
    }

    let options: RdmaTransportOptions
    let logger: Logger
    let eventChannel: EventChannel
    var groups: [RdmaPollGroup] = []
    /// Listening ids, the address each was asked for (to listen again after
    /// a device removal) and the target's listener it serves (each accepted
    /// queue carries it, for Connect's listener check).
    var listeners: [Listening] = []
    /// Listeners that went with their device; retried every second (DeviceRemoval.swift).
    var lostListenAddresses: [(address: SocketAddress, listener: ListenerAddress)] = []
    var lastListenRetry: UInt64 = 0
    /// When to let librdmacm notice a released device (DeviceRemoval.swift).
    var resynchronizeDevicesAt: UInt64? = nil
    var devices: [DeviceResources] = []
    /// CQ entries reserved by each host's connections (CM thread only).
    private var entriesByPeer: [String: Int] = [:]
    var connectionsByID: [UnsafeMutablePointer<rdma_cm_id>: RdmaConnection] = [:]
    private var connectionsByQP: [UInt32: RdmaConnection] = [:]
    private var nextGroup = 0
    let inboxLock = TransportLock()
    private var inbox: [Message] = []
    private let wake = WakeupPipe()
    private var wakeFD: Int32 { wake.readFD }
    private var stopping = false
    /// Set when the CM thread starts: from then on only it touches device pollers.
    let isRunning = Atomic<Bool>(false)

    init(options: RdmaTransportOptions, logger: Logger) throws(VerbsError) {
        self.options = options
        self.logger = logger
        eventChannel = try EventChannel()
        try eventChannel.setNonBlocking()
    }

    func post(_ message: Message) {
        inboxLock.withLock { inbox.append(message) }
        wake.signal()
    }

    /// Binds and listens (caller's thread, before or after start: RDMA CM calls are thread-safe).
    ///
    /// Everything a first connection needs is made before `rdma_listen`,
    /// so a host never sees a listener the target cannot yet serve: the
    /// device's data buffers (hundreds of MiB to register) and, before the
    /// CM thread runs, every poll group's CQ, SRQ and posted receives. Made
    /// inside the first CONNECT_REQUEST instead, they took longer than SPDK's
    /// initiator waits for ESTABLISHED (1 s) under TCG, so its first connect
    /// after every start failed (2026-12-02, spdk_nvme_identify v24.01).
    func listen(_ address: SocketAddress, as listener: ListenerAddress) throws(VerbsError) -> ConnectionID {
        let id = try ConnectionID(channel: eventChannel)
        try id.bind(to: address)
        if let verbs = id.pointer.pointee.verbs {
            let device = try deviceResources(verbs, listener: id, id: id)
            if !isRunning.load(ordering: .acquiring) { try preparePollers(device) }
        }
        try id.listen(backlog: Int32(clamping: options.acceptorBacklog))
        inboxLock.withLock { listeners.append(Listening(id: id, address: address, listener: listener)) }
        return id
    }

    /// Makes `device`'s poller for every poll group that has none. Only
    /// before the CM thread runs (it owns `device.pollers` from then on).
    private func preparePollers(_ device: DeviceResources) throws(VerbsError) {
        for index in groups.indices where index < device.pollers.count && device.pollers[index] == nil {
            device.pollers[index] = try DevicePoller(device: device, options: options)
        }
    }

    // MARK: The loop

    func run() {
        isRunning.store(true, ordering: .releasing)
        var fds: [pollfd] = []
        while true {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: eventChannel.fileDescriptor, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
            let known = inboxLock.withLock { devices }
            for device in known {
                fds.append(
                    pollfd(fd: device.context.asyncEventFileDescriptor, events: Int16(POLLIN), revents: 0))
            }
            _ = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 100) }
            wake.clear()
            while let event = nextEvent() { handle(event) }
            for device in known { handleAsyncEvents(device) }
            let messages = inboxLock.withLock { () -> [Message] in
                let m = inbox
                inbox.removeAll()
                return m
            }
            for message in messages {
                switch message {
                case .connectionGone(let connection): forget(connection)
                case .pollerReleased(let device, let group): pollerReleased(device, group: group)
                case .stopListening(let listener, let done):
                    closeListeners(listener)
                    done.signal()
                case .stop:
                    stopping = true
                    let ids = inboxLock.withLock { () -> [ConnectionID] in
                        let l = listeners.map(\.id)
                        listeners.removeAll()
                        return l
                    }
                    _ = ids
                    lostListenAddresses.removeAll()
                }
            }
            if !stopping { deviceRemovalHousekeeping() }
            if stopping && connectionsByID.isEmpty { break }
        }
        let all = inboxLock.withLock { () -> [DeviceResources] in
            let d = devices
            devices.removeAll()
            return d
        }
        for device in all { device.pollers.removeAll() }
    }

    /// Destroys the listening ids of `listener` (their port is free when this returns).
    func closeListeners(_ listener: ListenerAddress) {
        let closed = inboxLock.withLock { () -> [Listening] in
            let l = listeners.filter { $0.listener.isSameEndpoint(as: listener) }
            listeners.removeAll { $0.listener.isSameEndpoint(as: listener) }
            return l
        }
        lostListenAddresses.removeAll { $0.listener.isSameEndpoint(as: listener) }
        logger.info("stopped listening", metadata: ["addresses": "\(closed.map { "\($0.address)" })"])
    }

    /// The target's listener behind listening id `id`.
    private func listening(_ id: ConnectionID?) -> ListenerAddress? {
        guard let id else { return nil }
        return inboxLock.withLock { listeners.first { $0.id === id }?.listener }
    }

    private func nextEvent() -> CMEvent? {
        do { return try eventChannel.nextEvent() } catch {
            logger.error("rdma_get_cm_event failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func handle(_ event: CMEvent) {
        switch event.type {
        case .connectRequest:
            connectRequest(event)
        case .established:
            logger.debug("connection established")
            if let connection = connectionsByID[event.id.pointer],
                connection.disconnectRequested.load(ordering: .sequentiallyConsistent)
            {
                // Closed before the RTU came (see `disconnectRequested`): the
                // first DREQ was never sent. This one reaches the host.
                logger.debug("disconnecting a queue closed before it was established")
                try? event.id.disconnect()
            }
        case .deviceRemoval:
            // On a listener or a queue alike: everything on the device must go,
            // or `rdma link delete` (ib_unregister_device) waits for us forever.
            if let verbs = event.id.pointer.pointee.verbs { deviceRemoved(verbs) }
        case .disconnected, .timewaitExit, .addressChange, .connectError, .unreachable,
            .rejected:
            if let connection = connectionsByID[event.id.pointer] {
                if event.type != .timewaitExit {
                    logger.debug("CM event on a queue", metadata: ["event": "\(event.type)"])
                }
                connection.group.post(.disconnect(connection))
            } else if event.type == .addressChange {
                logger.warning("CM event on a listener", metadata: ["event": "\(event.type)"])
            }
        default:
            logger.debug("CM event ignored", metadata: ["event": "\(event.type)"])
        }
    }

    private func handleAsyncEvents(_ device: DeviceResources) {
        while let event = try? device.context.nextAsyncEvent() {
            switch event.type {
            case IBV_EVENT_QP_FATAL, IBV_EVENT_QP_REQ_ERR, IBV_EVENT_QP_ACCESS_ERR,
                IBV_EVENT_PATH_MIG_ERR:
                logger.warning(
                    "QP async event", metadata: ["event": "\(event.name)", "qp": "\(event.queuePairNumber)"])
                if let connection = connectionsByQP[event.queuePairNumber] {
                    connection.group.post(.disconnect(connection))
                }
            case IBV_EVENT_QP_LAST_WQE_REACHED, IBV_EVENT_COMM_EST:
                break
            case IBV_EVENT_DEVICE_FATAL:
                logger.error("device fatal event", metadata: ["device": "\(device.context.name)"])
                deviceRemoved(device.key)
            default:
                logger.info("device async event", metadata: ["event": "\(event.name)"])
            }
        }
    }

    // MARK: New connections

    private func connectRequest(_ event: CMEvent) {
        let id = event.id
        if stopping {
            try? id.reject(privateData: RDMARejectStatus.noResources.rejectPrivateData)
            return
        }
        guard let verbs = id.pointer.pointee.verbs, !isRemoved(verbs) else {
            try? id.reject(privateData: RDMARejectStatus.noResources.rejectPrivateData)
            return
        }
        let device: DeviceResources
        do {
            device = try deviceResources(verbs, listener: event.listenID, id: id)
        } catch {
            logger.error("cannot set up the RDMA device", metadata: ["error": "\(error)"])
            try? id.reject(privateData: RDMARejectStatus.noResources.rejectPrivateData)
            return
        }
        let decision = checkConnectRequest(
            privateData: event.privateData, hostResponderResources: Int(event.initiatorDepth),
            options: options,
            deviceReadLimit: device.attributes.maxQueuePairReadAtomicAsInitiator,
            deviceMaxWorkRequests: device.attributes.maxWorkRequestsPerQueue)
        switch decision {
        case .reject(let status):
            logger.info("rejecting connection", metadata: ["status": "\(status.rawValue)"])
            try? id.reject(privateData: status.rejectPrivateData)
        case .accept(let parameters):
            let groupIndex = nextGroup % groups.count
            nextGroup &+= 1
            let group = groups[groupIndex]
            do {
                let poller: DevicePoller
                if let existing = device.pollers[groupIndex] {
                    poller = existing
                } else {
                    poller = try DevicePoller(device: device, options: options)
                    device.pollers[groupIndex] = poller
                }
                let entries = poller.completionEntries(depth: parameters.queueDepth)
                let peer = id.peerHost ?? ""
                if let refusal = peerLimitRefusal(
                    peer, entries: entries, groupCapacity: poller.completionQueue.capacity)
                {
                    logger.warning(
                        "rejecting connection: \(refusal)",
                        metadata: ["host": "\(peer)", "qid": "\(parameters.queueID)"])
                    try? id.reject(privateData: RDMARejectStatus.noResources.rejectPrivateData)
                    return
                }
                guard poller.reserve(entries) else {
                    logger.warning("completion queue full; rejecting connection", metadata: ["group": "\(groupIndex)"])
                    try? id.reject(privateData: RDMARejectStatus.noResources.rejectPrivateData)
                    return
                }
                let connection: RdmaConnection
                do {
                    connection = try RdmaConnection(
                        group: group, poller: poller, cmID: id, parameters: parameters, logger: logger)
                } catch {
                    poller.unreserve(entries)
                    throw error
                }
                connection.peer = peer
                connection.listener = listening(event.listenID)
                connection.reservedEntries = entries
                entriesByPeer[peer, default: 0] += entries
                connectionsByID[id.pointer] = connection
                connectionsByQP[connection.queuePairNumber] = connection
                group.post(.add(connection, poller))
            } catch {
                logger.error("cannot create queue pair", metadata: ["error": "\(error)"])
                try? id.reject(privateData: RDMARejectStatus.noResources.rejectPrivateData)
            }
        }
    }

    private func deviceResources(
        _ verbs: UnsafeMutablePointer<ibv_context>, listener: ConnectionID?, id: ConnectionID
    ) throws(VerbsError) -> DeviceResources {
        if let known = inboxLock.withLock({ devices.first(where: { $0.key == verbs }) }) { return known }
        // Prefer the listener's view of the context: a context borrowed from a
        // connection id keeps that id alive as long as the device resources.
        let context = listener?.deviceContext ?? id.deviceContext
        guard let context else { throw VerbsError(verb: "rdma_cm_id.verbs", errno: ENODEV) }
        let device = try DeviceResources(
            context: context, options: options, pollGroupCount: groups.count)
        // A listen() caller and the CM thread may race to make the same
        // device; the first one registered wins.
        let winner = inboxLock.withLock { () -> DeviceResources in
            if let known = devices.first(where: { $0.key == verbs }) { return known }
            devices.append(device)
            return device
        }
        if winner !== device { return winner }
        logger.info(
            "RDMA device ready",
            metadata: [
                "device": "\(context.name)", "buffers": "\(options.numSharedBuffers)",
                "bufferSize": "\(options.dataBufferSize)",
            ])
        return device
    }

    /// Why one host may not open another queue now, or nil when it may.
    ///
    /// One host (by address, whatever its port) may hold at most
    /// `maxUnconnectedQueuesPerHost` queues that have not completed Fabrics
    /// Connect, and at most half of the completion-queue room of the
    /// transport, so that a host that floods the target with connections
    /// (500 in 6 s were seen, none ever sending Connect) cannot lock every
    /// other host, discovery included, out. Queues that never send Connect
    /// are also disconnected after `TargetQueue.connectTimeoutMS`.
    private func peerLimitRefusal(_ peer: String, entries: Int, groupCapacity: Int) -> String? {
        var unconnected = 0
        for connection in connectionsByID.values
        where connection.peer == peer && !connection.hasConnected.load(ordering: .acquiring) {
            unconnected += 1
        }
        if unconnected >= Self.maxUnconnectedQueuesPerHost {
            return "host has \(unconnected) queues without Connect (limit \(Self.maxUnconnectedQueuesPerHost))"
        }
        let share = groupCapacity * groups.count / 2
        let held = entriesByPeer[peer, default: 0]
        if held + entries > share {
            return "host holds \(held) of \(share) completion-queue entries one host may have"
        }
        return nil
    }

    /// Queues one host may have open before their Fabrics Connect succeeds.
    /// A Linux host brings its queues up one at a time per controller, so
    /// even many controllers connecting at once stay far below this.
    static let maxUnconnectedQueuesPerHost = 16

    private func forget(_ connection: RdmaConnection) {
        if connection.reservedEntries > 0 {
            let left = entriesByPeer[connection.peer, default: 0] - connection.reservedEntries
            entriesByPeer[connection.peer] = left > 0 ? left : nil
            connection.reservedEntries = 0
        }
        if let id = connection.cmID {
            connectionsByID[id.pointer] = nil
        }
        if connectionsByQP[connection.queuePairNumber] === connection {
            connectionsByQP[connection.queuePairNumber] = nil
        }
        connection.cmID = nil
    }

    /// Connections the CM thread still tracks (tests).
    var connectionCount: Int { connectionsByID.count }
}
