import CVerbs
import Glibc
import Synchronization

/// A second thread per poll group that rings the send doorbell for large
/// RDMA WRITE chains, so the poll thread can go on with backend I/O meanwhile.
///
/// Why: under Soft-RoCE, `ibv_post_send` is a system call in which the
/// kernel's requester runs in the caller's context: for a 128 KiB read it
/// cuts the data into MTU packets, copies and checksums each, and (when the
/// host sits on the same rxe device) runs the host's responder too. Done on
/// the poll thread, that work serialises with the brd copy inside the next
/// command's `io_submit`; the kernel target overlaps the two on different
/// CPUs. Small chains stay on the poll thread: a hand-off costs more than
/// their post.
///
/// Protocol: the poll thread is the only producer and the only reaper; the
/// offload thread the only consumer. `Post`s live in a ring; `submitted`,
/// `posted` count them monotonically (release/acquire), so neither side
/// locks. Each reaped `Post` tells the poll thread its WRs were posted (or
/// refused, with the refused WR); a connection counts the chains it handed
/// off and is not destroyed while any is unreaped, so the offload thread
/// never touches a destroyed QP (the drain rule). The offload thread sleeps
/// in poll(2) on a wake-up pipe when idle; the producer writes it only when the thread
/// said it was going to sleep (a Dekker handshake on two seq-cst atomics),
/// so a busy stream costs no system call per hand-off.
final class SendOffloader {
    /// One chain handed off. Written by the poll thread before publication;
    /// `result` and `refused` by the offload thread after posting.
    struct Post {
        var queuePair: UnsafeMutablePointer<ibv_qp>? = nil
        var head: UnsafeMutablePointer<ibv_send_wr>? = nil
        /// The owning connection's index in its poll group.
        var connection: Int32 = -1
        /// 0, or the errno `ibv_post_send` returned.
        var result: Int32 = 0
        /// The first WR not posted when `result != 0`.
        var refused: UnsafeMutablePointer<ibv_send_wr>? = nil
    }

    /// Chains of at least this many RDMA WRITE bytes are handed off.
    let thresholdBytes: Int
    private let capacity: Int
    private let ring: UnsafeMutablePointer<Post>
    private let submitted = Atomic<Int>(0)
    private let posted = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let wake = WakeupPipe()
    /// Written after a refused post, so a sleeping poll thread reaps it promptly.
    private let pollThreadWakeFD: Int32
    /// Poll-thread-only counters.
    private var enqueued = 0
    private var published = 0
    private var reaped = 0
    private var thread = pthread_t()
    private var running = false

    /// - Parameters:
    ///   - capacity: chains that may wait at once (a power of two); when full
    ///     the poll thread posts itself.
    ///   - pollThreadWakeFD: a descriptor in the poll thread's poll set.
    init(thresholdBytes: Int, capacity: Int = 4096, pollThreadWakeFD: Int32) throws {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.thresholdBytes = thresholdBytes
        self.capacity = capacity
        self.pollThreadWakeFD = pollThreadWakeFD
        guard wake.readFD >= 0 else {
            throw RdmaTransportError.verbs(
                "cannot create the send offload wake-up pipe: \(String(cString: strerror(errno)))")
        }
        ring = .allocate(capacity: capacity)
        ring.initialize(repeating: Post(), count: capacity)
    }

    deinit {
        stop()
        ring.deallocate()
    }

    /// Starts the offload thread (from the poll group's thread, once).
    func start(name: String) throws {
        guard !running else { return }
        thread = try spawnThread(name: name) { [self] in self.run() }
        running = true
    }

    // MARK: Poll thread

    /// Queues a linked chain for posting on `queuePair`; false when the ring
    /// is full (the caller posts it itself). Visible to the offload thread
    /// after `publish()`.
    @inline(__always)
    func submit(
        queuePair: UnsafeMutablePointer<ibv_qp>, head: UnsafeMutablePointer<ibv_send_wr>, connection: Int
    ) -> Bool {
        guard running, enqueued &- reaped < capacity else { return false }
        let post = ring + (enqueued & (capacity &- 1))
        post.pointee = Post(queuePair: queuePair, head: head, connection: Int32(truncatingIfNeeded: connection))
        enqueued &+= 1
        return true
    }

    /// Makes submitted chains visible and wakes the offload thread if it sleeps.
    @inline(__always)
    func publish() {
        guard enqueued != published else { return }
        published = enqueued
        submitted.store(enqueued, ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .sequentiallyConsistent) { wake.signal() }
    }

    /// Hands each posted chain back to `body` (connection index, errno or 0,
    /// first refused WR); returns how many. One acquire load when none.
    @inline(__always)
    func reap(_ body: (Int, Int32, UnsafeMutablePointer<ibv_send_wr>?) -> Void) -> Int {
        let done = posted.load(ordering: .acquiring)
        guard reaped != done else { return 0 }
        let n = done &- reaped
        while reaped != done {
            let post = ring[reaped & (capacity &- 1)]
            reaped &+= 1
            body(Int(post.connection), post.result, post.refused)
        }
        return n
    }

    /// Chains handed off and not yet reaped.
    var outstanding: Int { enqueued &- reaped }

    /// Posts everything already published, then ends the thread. Control path.
    func stop() {
        guard running else { return }
        running = false
        stopping.store(true, ordering: .sequentiallyConsistent)
        wake.signal()
        pthread_join(thread, nil)
    }

    // MARK: Offload thread

    private func run() {
        var done = 0
        while true {
            let target = submitted.load(ordering: .acquiring)
            while done != target {
                let post = ring + (done & (capacity &- 1))
                var bad: UnsafeMutablePointer<ibv_send_wr>? = nil
                post.pointee.result = ibv_post_send(post.pointee.queuePair, post.pointee.head, &bad)
                post.pointee.refused = post.pointee.result == 0 ? nil : (bad ?? post.pointee.head)
                done &+= 1
                posted.store(done, ordering: .releasing)
                if post.pointee.result != 0 {
                    var byte: UInt8 = 1
                    _ = write(pollThreadWakeFD, &byte, 1)
                }
            }
            if stopping.load(ordering: .sequentiallyConsistent) {
                if done == submitted.load(ordering: .acquiring) { return }
                continue
            }
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if submitted.load(ordering: .sequentiallyConsistent) != done
                || stopping.load(ordering: .sequentiallyConsistent)
            {
                sleeping.store(false, ordering: .relaxed)
                continue
            }
            var fd = pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&fd, 1, -1)
            wake.clear()
            sleeping.store(false, ordering: .relaxed)
        }
    }
}
