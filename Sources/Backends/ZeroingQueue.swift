/// Write Zeroes and deallocate ranges of a RAM-speed device, zeroed a chunk
/// at a time from the channel's `poll` instead of all at once in `submit`.
///
/// Zeroing is the one operation of the memory device whose cost grows with
/// the command: one Dataset Management command may name 256 ranges of up to
/// 2^32 blocks each, and zeroing them in `submit` held the poll-group thread
/// for over a second (256 × 256 MiB: 1.24 s), stalling every other queue of
/// the group. Here `poll` zeroes at most `chunkSize` bytes per call, so other
/// queues' commands are served between chunks. Fixed capacity (the channel's
/// queue depth), allocated once, touched only by the channel's thread.
struct ZeroingQueue {
    /// Bytes zeroed per `poll` (256 KiB: tens of microseconds of memset).
    static let chunkSize = 256 * 1024

    /// One range still to zero.
    struct Job {
        /// The request's tag, for its completion.
        var tag: UInt64
        /// Next byte offset to zero in the medium.
        var offset: Int
        /// Bytes left.
        var remaining: Int
    }

    private let storage: UnsafeMutablePointer<Job>
    private let capacity: Int
    private var head = 0
    /// Jobs queued.
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
    }

    /// Queues a range. The caller guarantees room (the channel admits at
    /// most its queue depth, counting these).
    mutating func append(_ job: Job) {
        precondition(count < capacity, "zeroing queue overflow: more in flight than the queue depth")
        var slot = head &+ count
        if slot >= capacity { slot &-= capacity }
        (storage + slot).initialize(to: job)
        count &+= 1
    }

    /// Zeroes the next chunk of the oldest job with `zero(offset, length)`;
    /// returns that job's tag when the job is finished (and removes it).
    mutating func advance(_ zero: (Int, Int) -> Void) -> UInt64? {
        guard count > 0 else { return nil }
        let job = storage + head
        let length = min(job.pointee.remaining, Self.chunkSize)
        zero(job.pointee.offset, length)
        job.pointee.offset &+= length
        job.pointee.remaining &-= length
        guard job.pointee.remaining == 0 else { return nil }
        let tag = job.pointee.tag
        head &+= 1
        if head == capacity { head = 0 }
        count &-= 1
        return tag
    }

    /// Forgets every queued job (the channel is closing).
    mutating func removeAll() {
        head = 0
        count = 0
    }

    /// Frees the storage; the queue must not be used afterwards.
    func deallocate() { storage.deallocate() }
}
