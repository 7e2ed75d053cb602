import Backends
import NVMe

/// One I/O thread's share of the target: the queues placed on it and its
/// own backend channels (one per namespace, opened on first use).
///
/// Not thread-safe: every method runs on the thread that owns the group.
/// The transport's loop calls `execute` on queues, `poll()` to push
/// submissions and route backend completions, and `tick(now:)` every few
/// milliseconds for keep-alive timers and asynchronous event delivery.
public final class PollGroup {
    let target: NVMfTarget
    let channelQueueDepth: Int
    @exclusivity(unchecked) var queues: ContiguousArray<TargetQueue?>
    @exclusivity(unchecked) var freeQueueIndexes: [Int]
    @exclusivity(unchecked) var channels: ContiguousArray<(any BlockDeviceChannel)?>
    @exclusivity(unchecked) var openChannelIndexes: [Int] = []

    init(target: NVMfTarget, maxQueues: Int, channelQueueDepth: Int) {
        self.target = target
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
    /// - Throws: `.noResources` when the group's queue table is full.
    public func addQueue(
        transport: any TransportQueue, options: TransportOptions, slotCount: Int,
        negotiated: NegotiatedQueue? = nil
    ) throws(TargetError) -> TargetQueue {
        guard let index = freeQueueIndexes.popLast() else { throw .noResources }
        let q = TargetQueue(
            target: target, pollGroup: self, transport: transport, options: options, slotCount: slotCount,
            negotiated: negotiated, queueIndex: index)
        queues[index] = q
        return q
    }

    /// Queues currently placed on the group (including closed queues still
    /// waiting for backend completions).
    public var queueCount: Int { queues.count - freeQueueIndexes.count }

    func releaseQueue(_ index: Int) {
        guard index < queues.count, queues[index] != nil else { return }
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
        }
        return handled
    }

    /// Timer work at time `now` (milliseconds of any monotonic clock; tests
    /// pass a manual clock): keep-alive expiry of the controllers whose
    /// admin queue lives here, delivery of pending asynchronous events, and
    /// closing channels of removed namespaces.
    public func tick(now: UInt64) {
        var actions = DeferredActions()
        var idle: [Int] = []
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
            for index in openChannelIndexes where target.namespaceLocked(globalIndex: index) == nil {
                if let c = channels[index], c.inFlight == 0 { idle.append(index) }
            }
        }
        actions.run()
        for q in overdue {
            target.logger.info("disconnecting a queue that sent no Connect", metadata: ["index": "\(q.queueIndex)"])
            q.transport?.disconnect()
        }
        for index in idle {
            channels[index]?.close()
            channels[index] = nil
            openChannelIndexes.removeAll { $0 == index }
        }
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

    /// Closes every channel (after all queues are gone).
    public func shutdown() {
        for index in openChannelIndexes {
            channels[index]?.close()
            channels[index] = nil
        }
        openChannelIndexes.removeAll()
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
