import Synchronization

// How the control plane reaches the poll-group threads (design.md, "The
// control plane"). A runtime change is made under the control lock, then a
// message tells each poll group what it must let go of; the caller learns
// through a barrier when every group has done so. This is SPDK's
// `spdk_thread_send_msg` / `spdk_for_each_channel` with data for messages:
// a message is an enum value, not a closure, so what may run on a poll
// group's thread is the short list below, each case reviewed for the
// thread's rules, and posting one captures nothing.

/// Work for one poll group's thread.
public enum PollGroupMessage: Sendable {
    /// Nothing: the barrier passes once the group has drained its mailbox,
    /// so everything posted before it has run (ordering, tests).
    case synchronize
    /// A namespace (target-wide index) left the target. The group closes its
    /// backend channel for it once none of that channel's I/O is in flight,
    /// and only then passes the barrier: after every group has, no thread
    /// can touch the device.
    case releaseNamespace(index: Int)
    /// Add this group's counters to the collector (`nvmf_get_stats`): read
    /// on the group's own thread, so they need no atomics.
    case collectStatistics(PollGroupStatisticsCollector)
}

/// One poll group's figures, as SPDK's `nvmf_get_stats` names them.
public struct PollGroupStatistics: Sendable, Hashable {
    /// "nvmf_tgt_poll_group_N" (SPDK's names, so scripts that parse them work).
    public var name: String
    /// Admin and I/O queues that completed Connect on this group since start.
    public var adminQueuePairs: Int
    public var ioQueuePairs: Int
    /// Connected queues now.
    public var currentAdminQueuePairs: Int
    public var currentIOQueuePairs: Int
    /// Backend operations in flight.
    public var pendingBackendIO: Int
    /// Commands executed on this group's I/O queues since start.
    public var completedIO: UInt64
}

/// Gathers `PollGroupStatistics` from every group a `collectStatistics` message reached.
public final class PollGroupStatisticsCollector: Sendable {
    private let lock = ControlLock()
    nonisolated(unsafe) private var collected: [PollGroupStatistics] = []

    public init() {}

    func add(_ s: PollGroupStatistics) { lock.withLock { collected.append(s) } }

    /// What the groups reported so far, by name.
    public var statistics: [PollGroupStatistics] { lock.withLock { collected.sorted { $0.name < $1.name } } }
}

/// Counts poll groups down and runs `onComplete` once, on the thread of the
/// last group to pass (or on the poster's thread when no group is running).
public final class PollGroupBarrier: Sendable {
    private let remaining: Atomic<Int>
    private let onComplete: @Sendable () -> Void

    /// - Parameters:
    ///   - count: passes needed (one per group messaged); 0 completes at once.
    ///   - onComplete: runs once, after the last pass.
    public init(count: Int, onComplete: @escaping @Sendable () -> Void) {
        remaining = Atomic(count)
        self.onComplete = onComplete
        if count <= 0 { onComplete() }
    }

    /// One group is done.
    public func pass() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { onComplete() }
    }

    /// True once every group has passed.
    public var isComplete: Bool { remaining.load(ordering: .acquiring) <= 0 }
}

/// A poll group's inbox: any thread posts, the group's thread drains.
///
/// The poll loop's only cost is `hasMessages`, one relaxed atomic load per
/// pass; the mutex is taken only when there is something to post or drain.
final class PollGroupMailbox: Sendable {
    struct Envelope: Sendable {
        var message: PollGroupMessage
        var barrier: PollGroupBarrier?
    }

    private struct State {
        var envelopes: [Envelope] = []
        /// The group stopped: posts are refused (the poster passes the barrier itself).
        var closed = false
        /// Wakes the group's thread from sleep (interrupt and adaptive modes).
        var waker: (@Sendable () -> Void)?
    }

    private let pending = Atomic<Int>(0)
    /// A `ControlLock` (pthread) rather than `Mutex`, so ThreadSanitizer sees it.
    private let lock = ControlLock()
    nonisolated(unsafe) private var state = State()

    @inline(__always)
    var hasMessages: Bool { pending.load(ordering: .relaxed) != 0 }

    func setWaker(_ waker: (@Sendable () -> Void)?) { lock.withLock { state.waker = waker } }

    /// Queues `envelope` and wakes the group; false when the group has stopped.
    func post(_ envelope: Envelope) -> Bool {
        let waker = lock.withLock { () -> (@Sendable () -> Void)?? in
            guard !state.closed else { return .none }
            state.envelopes.append(envelope)
            return .some(state.waker)
        }
        guard case .some(let wake) = waker else { return false }
        pending.add(1, ordering: .releasing)
        wake?()
        return true
    }

    /// Everything posted so far, oldest first.
    func take() -> [Envelope] {
        let batch = lock.withLock { () -> [Envelope] in
            defer { state.envelopes.removeAll(keepingCapacity: true) }
            return state.envelopes
        }
        if !batch.isEmpty { pending.subtract(batch.count, ordering: .acquiring) }
        return batch
    }

    /// Refuses further posts; returns what was still queued.
    func close() -> [Envelope] {
        lock.withLock { state.closed = true }
        return take()
    }
}
