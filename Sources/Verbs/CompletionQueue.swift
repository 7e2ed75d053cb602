import CVerbs

/// A completion queue (`struct ibv_cq`), optionally tied to a `CompletionChannel`.
///
/// Ownership: holds its `DeviceContext` and its channel. QPs and SRQs that use
/// it hold it, so `ibv_destroy_cq` runs after them. Events taken from the
/// channel are acknowledged in `deinit` if the caller has not done so, since
/// `ibv_destroy_cq` would otherwise wait for them forever.
///
/// Not thread-safe: poll, arm and acknowledge from one thread (its poll group).
public final class CompletionQueue {
    public let pointer: UnsafeMutablePointer<ibv_cq>
    public let context: DeviceContext
    public let channel: CompletionChannel?
    /// Events returned by `CompletionChannel.nextEvent()` and not yet acknowledged.
    public internal(set) var unacknowledgedEvents: UInt32 = 0

    /// Creates a CQ of at least `capacity` entries.
    /// - Parameters:
    ///   - channel: The channel that reports completions once armed, or nil for polling only.
    ///   - vector: The completion vector (interrupt) to use.
    /// The corresponding verb is `ibv_create_cq`.
    public init(
        context: DeviceContext, capacity: Int, channel: CompletionChannel? = nil, vector: Int32 = 0
    )
        throws(VerbsError)
    {
        guard capacity > 0, capacity <= Int(Int32.max) else {
            throw VerbsError(verb: "ibv_create_cq", errno: EINVAL)
        }
        let created = ibv_create_cq(context.pointer, Int32(capacity), nil, channel?.pointer, vector)
        pointer = try VerbsError.nonNil(created, "ibv_create_cq")
        self.context = context
        self.channel = channel
        // cq_context lets the channel map an event back to this object; unretained
        // because the CQ cannot outlive self (deinit destroys it).
        pointer.pointee.cq_context = Unmanaged.passUnretained(self).toOpaque()
        LiveResources.created()
    }

    deinit {
        acknowledgeEvents()
        if ibv_destroy_cq(pointer) == 0 { LiveResources.destroyed() }
    }

    /// Number of entries the provider actually allocated (≥ the requested capacity).
    public var capacity: Int { Int(pointer.pointee.cqe) }

    /// Moves up to `completions.count` completions into the caller's buffer.
    ///
    /// Allocation-free: the provider writes straight into `completions`.
    /// - Returns: How many entries were filled (0 when the CQ is empty).
    /// - Throws: Only if the CQ itself is broken (the provider returned < 0).
    /// The corresponding verb is `ibv_poll_cq`.
    @inlinable
    public func poll(into completions: UnsafeMutableBufferPointer<WorkCompletion>) throws(VerbsError)
        -> Int
    {
        guard let first = completions.baseAddress else { return 0 }
        // WorkCompletion is a frozen single-field wrapper of ibv_wc: same layout.
        let base = UnsafeMutableRawPointer(first).assumingMemoryBound(to: ibv_wc.self)
        let count = ibv_poll_cq(pointer, Int32(truncatingIfNeeded: completions.count), base)
        if _slowPath(count < 0) { throw VerbsError(verb: "ibv_poll_cq", errno: -count) }
        return Int(count)
    }

    /// Arms the CQ: the next completion (or next solicited one) raises one channel event.
    ///
    /// After arming, poll once more before sleeping: a completion that arrived
    /// between the last poll and the arm raises no event.
    /// The corresponding verb is `ibv_req_notify_cq`.
    @inlinable
    public func requestNotification(solicitedOnly: Bool = false) throws(VerbsError) {
        try VerbsError.check(
            returnCode: ibv_req_notify_cq(pointer, solicitedOnly ? 1 : 0), "ibv_req_notify_cq")
    }

    /// Acknowledges every event the channel returned for this CQ.
    ///
    /// Cheap to batch: acknowledging takes a mutex in libibverbs, so call it once
    /// per wake-up or less often. The corresponding verb is `ibv_ack_cq_events`.
    public func acknowledgeEvents() {
        guard unacknowledgedEvents > 0 else { return }
        ibv_ack_cq_events(pointer, unacknowledgedEvents)
        unacknowledgedEvents = 0
    }
}

/// A preallocated array of work completions for `CompletionQueue.poll(into:)`.
///
/// Allocated once per poller; polling into it never allocates.
public final class WorkCompletionBuffer {
    public let completions: UnsafeMutableBufferPointer<WorkCompletion>

    public init(capacity: Int) {
        precondition(capacity > 0, "a completion buffer needs room")
        completions = .allocate(capacity: capacity)
        completions.initialize(repeating: WorkCompletion())
    }

    deinit { completions.deallocate() }

    @inlinable public var capacity: Int { completions.count }

    @inlinable public subscript(index: Int) -> WorkCompletion { completions[index] }
}
