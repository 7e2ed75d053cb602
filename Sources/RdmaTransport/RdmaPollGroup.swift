import CShims
import CVerbs
import Glibc
import Logging
import NVMe
import Synchronization
import Target
import Verbs

/// One I/O thread of the transport: it owns the Target `PollGroup`, one
/// `DevicePoller` per device, and its connections, and runs the poll loop:
/// CQs → request state machines → backend `poll()` → receive reposts →
/// `tick` every few ms → sleep, per `PollMode`.
///
/// Other threads talk to it only through `post(_:)` (a locked inbox plus an
/// eventfd that wakes it from epoll).
final class RdmaPollGroup {
    enum Message {
        /// A new connection (QP made and receives posted by the CM thread): register, then accept.
        case add(RdmaConnection, DevicePoller)
        /// Close this connection (CM event, the Target's request, a QP async event).
        case disconnect(RdmaConnection)
        /// The device was removed: close its connections, then drop this
        /// group's poller of it and answer `pollerReleased` (DeviceRemoval.swift).
        case releaseDevice(DeviceResources)
        /// Close everything and leave the loop once drained.
        case stop
    }

    let index: Int
    let targetGroup: PollGroup
    let options: RdmaTransportOptions
    let mode: PollMode
    let logger: Logger
    unowned(unsafe) let manager: ConnectionManager

    private var pollers: [DevicePoller] = []
    private var connections: ContiguousArray<RdmaConnection?> = []
    /// The same connections, unretained, for the completion path: looking one
    /// up by `wr_id` costs a load, no retain/release. Owned by `connections`.
    private let connectionTable: UnsafeMutablePointer<Unmanaged<RdmaConnection>?>
    static let maxConnections = 4096
    private var freeConnectionIndexes: [Int] = []
    /// QP number → slot, for receive completions (an SRQ receive's `wr_id`
    /// names no connection). Only slots below `maxConnections` are entered.
    @exclusivity(unchecked) private var connectionsByQP = QueuePairTable(
        minimumCapacity: 2 * RdmaPollGroup.maxConnections)
    /// `no_srq`: connections with receive reposts queued since the last flush
    /// (indexes), so `flushReceives` touches only those, not every connection.
    private let receiveFlushList: UnsafeMutablePointer<Int32> = .allocate(capacity: RdmaPollGroup.maxConnections)
    private var receiveFlushCount = 0
    /// The list overflowed (only if many slots are reused in one pass): flush by walking all connections.
    private var receiveFlushOverflowed = false
    /// Connections in the table. Written only by this group's thread (at
    /// accept and at destroy, not per I/O); an atomic because stats and tests
    /// read it from other threads.
    private let liveConnections = Atomic<Int>(0)
    /// Capsules that arrived within their host's depth while every slot of
    /// the connection still awaited a SEND completion (RdmaConnection.slotCount).
    /// Written rarely, read by stats and tests from other threads.
    let parkedCommands = Atomic<Int>(0)
    /// Connections with WRs queued this iteration (indexes; may repeat).
    private let sendFlushList: UnsafeMutablePointer<Int32>
    private var sendFlushCount = 0

    private let inboxLock = TransportLock()
    private var inbox: [Message] = []
    private var inboxSpare: [Message] = []
    private let wake = WakeupPipe()
    private var wakeFD: Int32 { wake.readFD }
    private var stopping = false
    /// Removed devices whose poller this group still has to drop.
    private var retiringDevices: [DeviceResources] = []
    private var stopDeadline: UInt64 = 0
    private var pollFDs: ContiguousArray<pollfd> = []

    /// Milliseconds between `tick`s (keep-alive, AEN delivery, inbox).
    static let tickInterval: UInt64 = 5
    /// How long a group with no connection sleeps (a message wakes it at once).
    static let idleSleepMilliseconds: Int32 = 1000
    /// Adaptive mode: poll this long after the last work before sleeping
    /// (`RdmaTransportOptions.adaptivePollWindowMicroseconds`, where the
    /// measurements behind its default are). Longer than the gaps of a
    /// steady stream under Soft-RoCE, so it never pays a wake-up; idle CPU
    /// is unaffected (a group with no connection sleeps).
    let adaptiveWindowNanoseconds: UInt64
    /// What a polling loop does after a pass that found nothing.
    let idleAction: PollIdleAction

    init(
        index: Int, target: NVMfTarget, options: RdmaTransportOptions, mode: PollMode, logger: Logger,
        manager: ConnectionManager
    ) {
        self.index = index
        self.targetGroup = target.makePollGroup()
        self.options = options
        self.mode = mode
        self.logger = logger
        self.manager = manager
        adaptiveWindowNanoseconds = UInt64(max(options.adaptivePollWindowMicroseconds, 0)) &* 1000
        idleAction = options.pollIdle
        connectionTable = .allocate(capacity: Self.maxConnections)
        connectionTable.initialize(repeating: nil, count: Self.maxConnections)
        sendFlushList = .allocate(capacity: Self.maxConnections)
        inbox.reserveCapacity(64)
        inboxSpare.reserveCapacity(64)
        pollFDs.reserveCapacity(64)
        // A control-plane message (`PollGroup.post`) wakes a sleeping loop;
        // `targetGroup.poll()` runs it on the next pass.
        targetGroup.setWaker { [wake] in wake.signal() }
    }

    deinit {
        connectionTable.deallocate()
        sendFlushList.deallocate()
        receiveFlushList.deallocate()
    }

    /// Queues a message for the group's thread (any thread).
    func post(_ message: Message) {
        inboxLock.withLock { inbox.append(message) }
        wake.signal()
    }

    // MARK: The loop

    func run() {
        targetGroup.bindToCurrentThread()
        pinIfAsked()
        scheduleIfAsked()
        var lastTick = monotonicNanoseconds()
        var lastWork = lastTick
        var lastWatchdog = lastTick
        while true {
            var work = 0
            for poller in pollers { work &+= pollCompletions(poller) }
            work &+= targetGroup.poll()
            let now = monotonicNanoseconds()
            if work > 0 { lastWork = now }
            if now &- lastTick >= Self.tickInterval * 1_000_000 {
                lastTick = now
                drainInbox()
                targetGroup.tick(now: now / 1_000_000)
                if !retiringDevices.isEmpty { releaseRetiredPollers() }
                retryWaiting()
                if now &- lastWatchdog >= 1_000_000_000 {
                    lastWatchdog = now
                    for case let c? in connections {
                        c.checkSendProgress(
                            nowMilliseconds: now / 1_000_000, timeoutMilliseconds: Self.sendStallTimeoutMilliseconds)
                    }
                }
                if stopping && (liveConnections.load(ordering: .relaxed) == 0 || now / 1_000_000 > stopDeadline) {
                    break
                }
            }
            // Receives first: a host may send its next command as soon as it sees a response.
            for poller in pollers { flushReceives(poller) }
            flushSends()
            if work > 0 { continue }
            if mode == .poll || (mode == .adaptive && now &- lastWork <= adaptiveWindowNanoseconds) {
                idle()
                continue
            }
            if liveConnections.load(ordering: .relaxed) == 0 && !stopping {
                sleep(timeoutMilliseconds: Self.idleSleepMilliseconds)
                continue
            }
            let remaining =
                Self.tickInterval * 1_000_000 &- min(now &- lastTick, Self.tickInterval * 1_000_000)
            sleep(timeoutMilliseconds: Int32(remaining / 1_000_000) + 1)
        }
        shutdownResources()
    }

    /// `pinFirstCPU` N: group i runs on CPU (N + i) mod CPUs (measurements).
    private func pinIfAsked() {
        guard let first = options.pinFirstCPU else { return }
        let cpus = max(Int(cshims_available_cpus()), 1)
        let cpu = (first + index) % cpus
        let rc = cshims_pin_thread_to_cpu(Int32(cpu))
        logger.info("poll group pinned", metadata: ["group": "\(index)", "cpu": "\(cpu)", "rc": "\(rc)"])
    }

    /// `schedulingIdle`: the group's thread runs SCHED_IDLE, so fio,
    /// ksoftirqd or a kworker waking on its CPU preempts the spinning loop at
    /// once instead of waiting for a time slice (measurements).
    private func scheduleIfAsked() {
        guard options.schedulingIdle else { return }
        let rc = cshims_set_thread_sched_idle()
        logger.info("poll group runs SCHED_IDLE", metadata: ["group": "\(index)", "rc": "\(rc)"])
    }

    /// After a pass that found nothing, in a polling phase.
    @inline(__always)
    func idle() {
        switch idleAction {
        case .spin: return
        case .yield: sched_yield()
        case .pause(let us):
            var ts = timespec(tv_sec: 0, tv_nsec: us &* 1000)
            nanosleep(&ts, nil)
        }
    }

    /// Polls one CQ and dispatches each completion; returns how many.
    @inline(__always)
    func pollCompletions(_ poller: DevicePoller) -> Int {
        let buffer = poller.completions.completions
        let n: Int
        do {
            n = try poller.completionQueue.poll(into: buffer)
        } catch {
            logger.error("ibv_poll_cq failed", metadata: ["error": "\(error)"])
            return 0
        }
        for i in 0..<n {
            let wc = buffer[i]
            let id = WorkRequestID(rawValue: wc.workRequestID)
            guard let kind = id.kind else { continue }
            if kind == .receive {
                receiveCompleted(poller, wc, id)
            } else {
                let c = id.connection
                guard c < Self.maxConnections, let entry = connectionTable[c] else { continue }
                entry._withUnsafeGuaranteedRef { connection in
                    if !wc.isSuccess && wc.status != .flushError {
                        logger.warning(
                            "work request failed",
                            metadata: ["status": "\(wc.status)", "qp": "\(connection.queuePairNumber)"])
                    }
                    connection.sendQueueCompleted(kind: kind, slot: id.index, success: wc.isSuccess)
                }
            }
        }
        return n
    }

    @inline(__always)
    func receiveCompleted(_ poller: DevicePoller, _ wc: WorkCompletion, _ id: WorkRequestID) {
        // A connection refused for lack of a table slot (index ≥ maxConnections)
        // still gets its flushed receives, but `install` never enters it in
        // `connectionsByQP`: a slot found there indexes the table safely.
        let entry = connectionsByQP.lookup(wc.queuePairNumber).flatMap { connectionTable[$0] }
        if let pool = poller.receivePool {
            guard id.index < pool.count else { return }
            guard wc.isSuccess else {
                // The buffer is fine (the QP failed, e.g. a capsule longer than
                // the buffer): back to the SRQ, and the connection goes.
                if !stopping { pool.repost(id.index) }
                if wc.status != .flushError, let entry {
                    entry._withUnsafeGuaranteedRef {
                        $0.logger.warning("receive failed", metadata: ["status": "\(wc.status)"])
                        $0.close()
                    }
                }
                return
            }
            guard let entry else {
                // A receive for a QP already gone: the buffer goes back to the SRQ.
                pool.repost(id.index)
                return
            }
            entry._withUnsafeGuaranteedRef {
                $0.commandArrived(receiveIndex: id.index, byteLength: Int(wc.byteLength))
            }
        } else {
            guard let entry else { return }
            entry._withUnsafeGuaranteedRef { connection in
                guard let pool = connection.ownReceivePool else { return }
                guard wc.isSuccess else {
                    // As on the SRQ path: anything but a flush means the QP
                    // failed (e.g. a capsule longer than the buffer); the connection goes.
                    if wc.status != .flushError {
                        connection.logger.warning("receive failed", metadata: ["status": "\(wc.status)"])
                        connection.close()
                    }
                    return
                }
                guard id.index < pool.count else { return }
                connection.commandArrived(receiveIndex: id.index, byteLength: Int(wc.byteLength))
            }
        }
    }

    /// A connection queued its first WR of this iteration.
    @inline(__always)
    func needsSendFlush(_ connectionIndex: Int) {
        guard connectionIndex >= 0, connectionIndex < Self.maxConnections else { return }
        if sendFlushCount == Self.maxConnections { flushSends() }  // Only if closes re-queue a lot.
        sendFlushList[sendFlushCount] = Int32(truncatingIfNeeded: connectionIndex)
        sendFlushCount &+= 1
    }

    /// Posts every connection's queued WRs, one `ibv_post_send` per connection.
    @inline(__always)
    func flushSends() {
        var i = 0
        while i < sendFlushCount {
            if let entry = connectionTable[Int(sendFlushList[i])] {
                entry._withUnsafeGuaranteedRef { $0.flushSends() }
            }
            i &+= 1
        }
        sendFlushCount = 0
    }

    @inline(__always)
    func flushReceives(_ poller: DevicePoller) {
        if let pool = poller.receivePool {
            do { try pool.flush() } catch {
                logger.error("SRQ receive post failed", metadata: ["error": "\(error)"])
            }
        }
        // Per-connection receive queues (no_srq): every listed connection, of
        // whichever poller, goes at the first such poller's call.
        if poller.receivePool == nil { flushConnectionReceives() }
    }

    /// A `no_srq` connection queued its first receive repost since its last flush.
    @inline(__always)
    func needsReceiveFlush(_ connectionIndex: Int) {
        guard connectionIndex >= 0, connectionIndex < Self.maxConnections,
            receiveFlushCount < Self.maxConnections
        else {
            receiveFlushOverflowed = true
            return
        }
        receiveFlushList[receiveFlushCount] = Int32(truncatingIfNeeded: connectionIndex)
        receiveFlushCount &+= 1
    }

    /// Posts the queued reposts of each listed connection, one verbs call each.
    @inline(__always)
    private func flushConnectionReceives() {
        if _slowPath(receiveFlushOverflowed) {
            receiveFlushOverflowed = false
            receiveFlushCount = 0
            for case let connection? in connections { flushOwnReceives(of: connection) }
            return
        }
        var i = 0
        while i < receiveFlushCount {
            // A slot freed and reused since it was listed: its new connection's
            // flag is clear (or it listed itself too), so nothing goes twice.
            if let entry = connectionTable[Int(receiveFlushList[i])] {
                entry._withUnsafeGuaranteedRef { flushOwnReceives(of: $0) }
            }
            i &+= 1
        }
        receiveFlushCount = 0
    }

    @inline(__always)
    private func flushOwnReceives(of connection: RdmaConnection) {
        guard connection.receivesQueued else { return }
        connection.receivesQueued = false
        guard let pool = connection.ownReceivePool, !connection.isClosing else { return }
        do { try pool.flush() } catch { connection.close() }
    }

    /// Requests waiting for buffers freed by another connection get another try.
    private func retryWaiting() {
        for case let connection? in connections where !connection.isClosing && connection.hasWaiting {
            connection.servePending()
        }
    }

    // MARK: Sleeping

    /// Arms every CQ and sleeps until a completion, a backend eventfd, a message or the timeout.
    func sleep(timeoutMilliseconds: Int32) {
        for poller in pollers {
            do { try poller.completionQueue.requestNotification() } catch { return }
        }
        // A completion that landed before arming raises no event: look once more.
        for poller in pollers where pollCompletions(poller) > 0 { return }
        pollFDs.removeAll(keepingCapacity: true)
        pollFDs.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
        for poller in pollers {
            pollFDs.append(pollfd(fd: poller.channel.fileDescriptor, events: Int16(POLLIN), revents: 0))
        }
        targetGroup.forEachNotificationFD { fd in
            pollFDs.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
        }
        let rc = pollFDs.withUnsafeMutableBufferPointer {
            poll($0.baseAddress, nfds_t($0.count), timeoutMilliseconds)
        }
        guard rc > 0 else { return }
        if pollFDs[0].revents != 0 {
            wake.clear()
            drainInbox()
        }
        for poller in pollers {
            while (try? poller.channel.nextEvent()) != nil {}
            poller.completionQueue.acknowledgeEvents()
        }
        var backendFired = false
        for index in (1 + pollers.count)..<max(pollFDs.count, 1 + pollers.count) where pollFDs[index].revents != 0 {
            backendFired = true
        }
        if backendFired { targetGroup.acknowledgeNotifications() }
    }

    // MARK: Control messages

    func drainInbox() {
        inboxLock.withLock { swap(&inbox, &inboxSpare) }
        guard !inboxSpare.isEmpty else { return }
        for message in inboxSpare {
            switch message {
            case .add(let connection, let poller): install(connection, poller)
            case .disconnect(let connection): if !connection.isDestroyed { connection.close() }
            case .releaseDevice(let device):
                retiringDevices.append(device)
                for case let connection? in connections where connection.poller.device === device {
                    connection.close()
                }
                releaseRetiredPollers()
            case .stop:
                stopping = true
                stopDeadline = monotonicNanoseconds() / 1_000_000 + 10_000
                for case let connection? in connections { connection.close() }
            }
        }
        inboxSpare.removeAll(keepingCapacity: true)
    }

    /// Drops the poller of each removed device once none of its connections is left.
    private func releaseRetiredPollers() {
        retiringDevices.removeAll { device in
            let poller = pollers.first { $0.device === device }
            if let poller {
                for case let connection? in connections where connection.poller === poller { return false }
                pollers.removeAll { $0 === poller }
                poller.receivePool?.discardQueued()
            }
            manager.post(.pollerReleased(device, group: index))
            return true
        }
    }

    private func install(_ connection: RdmaConnection, _ poller: DevicePoller) {
        if !pollers.contains(where: { $0 === poller }) { pollers.append(poller) }
        let slot: Int
        if let free = freeConnectionIndexes.popLast() {
            slot = free
        } else {
            slot = connections.count
            connections.append(nil)
        }
        connection.index = slot
        connections[slot] = connection
        if slot < Self.maxConnections { connectionTable[slot] = Unmanaged.passUnretained(connection) }
        if slot < Self.maxConnections { connectionsByQP.insert(connection.queuePairNumber, slot: slot) }
        liveConnections.add(1, ordering: .relaxed)
        if stopping || slot >= Self.maxConnections {
            try? connection.cmID?.reject(privateData: RDMARejectStatusNoResources.bytes)
            connection.close()
            return
        }
        do {
            connection.targetQueue = try targetGroup.addQueue(
                transport: connection, options: options.transportOptions, slotCount: connection.slotCount,
                negotiated: NegotiatedQueue(queueID: connection.parameters.queueID, queueDepth: connection.depth),
                listener: connection.listener)
            try connection.cmID?.accept(
                privateData: connection.parameters.acceptPrivateData,
                initiatorDepth: UInt8(clamping: connection.parameters.readDepth), responderResources: 0)
            logger.info(
                "accepted queue",
                metadata: [
                    "qid": "\(connection.parameters.queueID)", "depth": "\(connection.depth)",
                    "readDepth": "\(connection.parameters.readDepth)", "group": "\(index)",
                ])
        } catch {
            logger.error("cannot accept connection", metadata: ["error": "\(error)"])
            try? connection.cmID?.reject(privateData: RDMARejectStatusNoResources.bytes)
            connection.close()
        }
    }

    /// How long posted work may go without any completion before the queue
    /// is closed (the send watchdog, `RdmaConnection.checkSendProgress`).
    /// Our QP's RNR retry count is the host's choice (the IB CM takes it from
    /// the host's REQ: 7, forever, from Linux), so this is what bounds a host
    /// that stops posting receives. Longer than any RNR or ACK retry a live
    /// host causes; short enough that a stalled host cannot pin buffers.
    static let sendStallTimeoutMilliseconds: UInt64 = 10_000

    /// Destroys a closed connection once nothing of it is in flight.
    func checkDrained(_ connection: RdmaConnection) {
        guard connection.isDrained, !connection.isDestroyed, connection.index >= 0 else { return }
        connection.destroy()
        let slot = connection.index
        if slot < connections.count, connections[slot] === connection {
            if slot < Self.maxConnections { connectionTable[slot] = nil }
            connections[slot] = nil
            freeConnectionIndexes.append(slot)
            liveConnections.subtract(1, ordering: .relaxed)
        }
        if connectionsByQP.lookup(connection.queuePairNumber) == slot {
            connectionsByQP.remove(connection.queuePairNumber)
        }
        manager.post(.connectionGone(connection))
    }

    private func shutdownResources() {
        for case let connection? in connections {
            connection.destroy()
            manager.post(.connectionGone(connection))
        }
        connections.removeAll()
        connectionTable.update(repeating: nil, count: Self.maxConnections)
        connectionsByQP.removeAll()
        for poller in pollers { poller.receivePool?.discardQueued() }
        pollers.removeAll()
        targetGroup.shutdown()
    }

    /// Connections on this group (tests, stats).
    var connectionCount: Int { liveConnections.load(ordering: .relaxed) }
}

/// NO_RESOURCES reject data, built once.
enum RDMARejectStatusNoResources {
    static let bytes = RDMARejectStatus.noResources.rejectPrivateData
}

/// CLOCK_MONOTONIC in nanoseconds (vDSO: no system call).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
