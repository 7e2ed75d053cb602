import Backends
import Glibc
import NVMe

/// One I/O thread's share of the target: the queues placed on it and its
/// own backend channels (one per namespace, opened on first use).
///
/// Not thread-safe: every method runs on the thread that owns the group
/// (debug builds assert it: the first thread to drive the group owns it),
/// except `post`, which any thread may call. The transport's loop calls
/// `execute` on queues, `poll()` to run messages, push submissions and route
/// backend completions, and `tick(now:)` every few milliseconds for
/// keep-alive timers and asynchronous event delivery.
public final class PollGroup {
    let target: NVMfTarget
    let channelQueueDepth: Int
    @exclusivity(unchecked) var queues: ContiguousArray<TargetQueue?>
    @exclusivity(unchecked) var freeQueueIndexes: [Int]
    @exclusivity(unchecked) var channels: ContiguousArray<(any BlockDeviceChannel)?>
    @exclusivity(unchecked) var openChannelIndexes: [Int] = []
    /// Messages from the control plane (`PollGroupMessages.swift`).
    let mailbox = PollGroupMailbox()
    /// Channels of removed namespaces still finishing I/O, with the barrier
    /// each passes once closed.
    @exclusivity(unchecked) var retiringChannels: [(index: Int, barrier: PollGroupBarrier?)] = []
    /// The thread driving the group (debug builds only; see `assertOwnerThread`).
    @exclusivity(unchecked) var ownerThread: pthread_t?
    @exclusivity(unchecked) var isShutDown = false
    /// Index among the target's poll groups (its statistics name).
    let index: Int
    /// Statistics (`PollGroupStatistics`), on the group's thread only.
    @exclusivity(unchecked) var adminQueuesConnected = 0
    @exclusivity(unchecked) var ioQueuesConnected = 0
    @exclusivity(unchecked) var retiredCommands: UInt64 = 0

    init(target: NVMfTarget, index: Int, maxQueues: Int, channelQueueDepth: Int) {
        self.target = target
        self.index = index
        self.channelQueueDepth = channelQueueDepth
        queues = ContiguousArray(repeating: nil, count: max(maxQueues, 1))
        freeQueueIndexes = Array((0..<max(maxQueues, 1)).reversed())
        channels = ContiguousArray(repeating: nil, count: target.namespaceRegistry.count)
    }

    /// Places a new connection on this group.
    ///
    /// - Parameters:
    ///   - transport: the connection; the target keeps it until the queue retires.
    ///   - options: the transport's limits.
    ///   - slotCount: one more than the largest slot index the transport will
    ///     pass to `execute` on this queue.
    ///   - negotiated: the QID and depth the transport already agreed with the
    ///     host for this connection (RDMA: the CM private data), which the
    ///     Fabrics Connect must then match; nil when the transport negotiates
    ///     nothing (the in-process transport), and Connect alone decides.
    ///   - listener: the address the connection came in through (see
    ///     `TargetQueue.listener`); nil for a transport without listeners.
    /// - Throws: `.noResources` when the group's queue table is full.
    public func addQueue(
        transport: any TransportQueue, options: TransportOptions, slotCount: Int,
        negotiated: NegotiatedQueue? = nil, listener: ListenerAddress? = nil
    ) throws(TargetError) -> TargetQueue {
        assertOwnerThread()
        guard let index = freeQueueIndexes.popLast() else { throw .noResources }
        let q = TargetQueue(
            target: target, pollGroup: self, transport: transport, options: options, slotCount: slotCount,
            negotiated: negotiated, listener: listener, queueIndex: index)
        queues[index] = q
        return q
    }

    /// Queues currently placed on the group (including closed queues still
    /// waiting for backend completions).
    public var queueCount: Int { queues.count - freeQueueIndexes.count }

    func releaseQueue(_ index: Int) {
        guard index < queues.count, let q = queues[index] else { return }
        if q.queueID != 0 { retiredCommands &+= q.counters.commands.load(ordering: .relaxed) }
        queues[index] = nil
        freeQueueIndexes.append(index)
    }

    /// The channel for namespace slot `index`, opened on first use.
    @inline(__always)
    func channel(_ index: Int) -> (any BlockDeviceChannel)? {
        guard index >= 0, index < channels.count else { return nil }
        if let c = channels[index] { return c }
        return openChannel(index)
    }

    @inline(never)
    func openChannel(_ index: Int) -> (any BlockDeviceChannel)? {
        guard let ns = target.lock.withLock({ target.namespaceLocked(globalIndex: index) }) else { return nil }
        do {
            let c = try ns.device.makeChannel(queueDepth: channelQueueDepth)
            channels[index] = c
            openChannelIndexes.append(index)
            return c
        } catch {
            target.logger.error(
                "cannot open backend channel", metadata: ["device": "\(ns.device.name)", "error": "\(error)"])
            return nil
        }
    }

    /// Pushes queued submissions to every open channel and routes up to
    /// `maxCompletions` completions per channel to their queues, which
    /// complete the commands through their transports.
    ///
    /// - Returns: completions handled.
    @discardableResult
    public func poll(maxCompletions: Int = 64) -> Int {
        assertOwnerThread()
        if mailbox.hasMessages { runMessages() }
        var handled = 0
        for index in openChannelIndexes {
            guard let c = channels[index] else { continue }
            c.flushSubmissions()
            handled += c.poll(maxCompletions: maxCompletions) { completion in
                let q = Int(truncatingIfNeeded: completion.tag >> 32)
                let slot = UInt32(truncatingIfNeeded: completion.tag)
                if q < queues.count, let queue = queues[q] {
                    queue.backendCompleted(slot: slot, error: completion.error)
                }
            }
            // Zeroing in steps is work too: the transport's loop must not
            // sleep until a tick between two steps (adaptive and interrupt modes).
            if c.hasDeferredWork { handled &+= 1 }
        }
        if !retiringChannels.isEmpty { closeIdleRetiringChannels() }
        return handled
    }

    /// Timer work at time `now` (milliseconds of any monotonic clock; tests
    /// pass a manual clock): keep-alive expiry of the controllers whose
    /// admin queue lives here, delivery of pending asynchronous events, and
    /// disconnecting queues that never sent Connect.
    public func tick(now: UInt64) {
        assertOwnerThread()
        var actions = DeferredActions()
        var overdue: [TargetQueue] = []
        target.lock.withLock {
            // Queues that never completed Connect get `connectTimeoutMS`.
            for case let q? in queues where !q.isConnected && !q.isClosed {
                if let deadline = q.connectDeadline {
                    if now >= deadline { overdue.append(q) }
                } else {
                    q.connectDeadline = now &+ TargetQueue.connectTimeoutMS
                }
            }
            for case let q? in queues where q.queueID == 0 && q.isConnected && !q.isClosed {
                guard let c = q.controller, c.adminQueue === q else { continue }
                c.checkKeepAliveLocked(now: now, &actions)
                if !c.isTornDown { c.deliverEventsLocked(&actions) }
            }
            if target.anaTransitionsPending { target.expireANATransitionsLocked(now: now) }
        }
        actions.run()
        for q in overdue {
            target.logger.info("disconnecting a queue that sent no Connect", metadata: ["index": "\(q.queueIndex)"])
            q.transport?.disconnect()
        }
    }

    // MARK: Messages

    /// Queues `message` for this group's thread (any thread). `barrier`, if
    /// given, is passed once the group has done what the message asks; a
    /// group that has shut down passes it at once.
    public func post(_ message: PollGroupMessage, barrier: PollGroupBarrier? = nil) {
        if !mailbox.post(.init(message: message, barrier: barrier)) { barrier?.pass() }
    }

    /// Lets a transport whose loop sleeps (interrupt and adaptive modes) be
    /// woken when a message is posted. Called on any thread, at most once per waker change.
    public func setWaker(_ waker: (@Sendable () -> Void)?) { mailbox.setWaker(waker) }

    /// Runs the messages posted so far. `poll()` does this on every pass; a
    /// transport that sleeps without polling calls it after waking.
    @inline(__always)
    public func processMessages() {
        assertOwnerThread()
        if mailbox.hasMessages { runMessages() }
    }

    @inline(never)
    func runMessages() {
        for envelope in mailbox.take() { handle(envelope) }
    }

    func handle(_ envelope: PollGroupMailbox.Envelope) {
        switch envelope.message {
        case .synchronize:
            envelope.barrier?.pass()
        case .collectStatistics(let collector):
            collector.add(statistics)
            envelope.barrier?.pass()
        case .releaseNamespace(let index):
            if index >= 0, index < channels.count, channels[index] != nil {
                retiringChannels.append((index, envelope.barrier))
                closeIdleRetiringChannels()
            } else {
                envelope.barrier?.pass()
            }
        }
    }

    /// This group's figures (on its thread).
    var statistics: PollGroupStatistics {
        var s = PollGroupStatistics(
            name: "nvmf_tgt_poll_group_\(index)", adminQueuePairs: adminQueuesConnected,
            ioQueuePairs: ioQueuesConnected, currentAdminQueuePairs: 0, currentIOQueuePairs: 0, pendingBackendIO: 0,
            completedIO: retiredCommands)
        for case let q? in queues where q.isConnected && !q.isClosed {
            if q.queueID == 0 {
                s.currentAdminQueuePairs += 1
            } else {
                s.currentIOQueuePairs += 1
                s.completedIO &+= q.counters.commands.load(ordering: .relaxed)
            }
        }
        for i in openChannelIndexes { s.pendingBackendIO += channels[i]?.inFlight ?? 0 }
        return s
    }

    /// Closes each retiring channel with nothing in flight and passes its barrier.
    @inline(never)
    func closeIdleRetiringChannels() {
        var i = 0
        while i < retiringChannels.count {
            let (index, barrier) = retiringChannels[i]
            if let c = channels[index], c.inFlight > 0 {
                i += 1
                continue
            }
            closeChannel(index)
            retiringChannels.remove(at: i)
            barrier?.pass()
        }
    }

    func closeChannel(_ index: Int) {
        channels[index]?.close()
        channels[index] = nil
        openChannelIndexes.removeAll { $0 == index }
    }

    // MARK: Thread ownership

    /// Makes the calling thread the group's owner (a transport's loop calls
    /// this when it starts; otherwise the first thread to drive the group owns it).
    public func bindToCurrentThread() {
        assert(
            {
                ownerThread = pthread_self()
                return true
            }())
    }

    /// Debug builds: traps when called off the owning thread. Release: nothing.
    @inline(__always)
    func assertOwnerThread(file: StaticString = #fileID, line: UInt = #line) {
        assert(isOnOwnerThread, "poll group used off its thread", file: file, line: line)
    }

    /// Binds the owner on first use (debug builds call this only from asserts).
    var isOnOwnerThread: Bool {
        let me = pthread_self()
        guard let owner = ownerThread else {
            ownerThread = me
            return true
        }
        return pthread_equal(owner, me) != 0
    }

    /// Calls `body` with the notification fd of every open backend channel
    /// that has one (an eventfd for libaio), so a transport that sleeps in
    /// poll/epoll (interrupt mode) wakes when backend I/O completes.
    public func forEachNotificationFD(_ body: (Int32) -> Void) {
        for index in openChannelIndexes {
            guard let fd = channels[index]?.notificationFD, fd >= 0 else { continue }
            body(fd)
        }
    }

    /// Clears the readiness of every open channel's notification fd (after a wake-up, before `poll()`).
    public func acknowledgeNotifications() {
        for index in openChannelIndexes { channels[index]?.acknowledgeNotification() }
    }

    /// Closes every channel (after all queues are gone), refuses further
    /// messages and passes the barriers of those still queued: a stopped
    /// group holds no device.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        let leftover = mailbox.close()
        for index in openChannelIndexes {
            channels[index]?.close()
            channels[index] = nil
        }
        openChannelIndexes.removeAll()
        for (_, barrier) in retiringChannels { barrier?.pass() }
        retiringChannels.removeAll()
        for envelope in leftover { envelope.barrier?.pass() }
        target.forgetPollGroup(self)
    }
}

/// What a transport agreed with the host for one connection before any
/// NVMe command arrived.
///
/// On RDMA the CM CONNECT_REQUEST private data names the QID and HSQSIZE,
/// and the target sizes the QP and its request slots from them. The Fabrics
/// Connect that follows repeats both (QID, SQSIZE); the target holds it to
/// what the transport built, so a QP sized as a 32-entry admin queue cannot
/// become I/O queue 5 with 128 entries.
public struct NegotiatedQueue: Hashable, Sendable {
    /// QID the host named to the transport (0 = admin queue).
    public var queueID: UInt16
    /// Commands the transport can hold at once for this queue (1's based):
    /// Connect's SQSIZE + 1 may not exceed it.
    public var queueDepth: Int

    public init(queueID: UInt16, queueDepth: Int) {
        self.queueID = queueID
        self.queueDepth = queueDepth
    }
}
