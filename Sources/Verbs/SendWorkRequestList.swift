import CVerbs

/// A reusable, preallocated chain of send work requests with their SGEs.
///
/// Build a chain (e.g. RDMA WRITEs, unsignaled, then a signaled SEND), post it
/// with one `QueuePair.postSend(_:)` call, and it is emptied for reuse. All
/// storage is allocated once in `init`; appending and posting never allocate.
///
/// One list per poller or per connection, used from one thread. Appending past
/// `capacity` or `maxSGEsPerRequest` is a programming error (precondition).
public final class SendWorkRequestList {
    @usableFromInline let requests: UnsafeMutablePointer<SendWorkRequest>
    @usableFromInline let sges: UnsafeMutablePointer<ibv_sge>
    /// Maximum number of work requests in one chain.
    public let capacity: Int
    /// Maximum SGEs each request may carry.
    public let maxSGEsPerRequest: Int
    @usableFromInline var storedCount: Int = 0
    @usableFromInline var storedFailedIndex: Int = -1
    /// Number of requests currently in the chain.
    @inlinable public var count: Int { storedCount }
    /// After a failed post: the index of the first request the provider did not take (`bad_wr`).
    public var firstFailedIndex: Int? { storedFailedIndex < 0 ? nil : storedFailedIndex }

    public init(capacity: Int, maxSGEsPerRequest: Int = 1) {
        precondition(capacity > 0 && maxSGEsPerRequest > 0, "a send list needs room")
        self.capacity = capacity
        self.maxSGEsPerRequest = maxSGEsPerRequest
        requests = .allocate(capacity: capacity)
        requests.initialize(repeating: SendWorkRequest(), count: capacity)
        // Permanently linked: request i points at i + 1; a post cuts the chain after the last one.
        for index in 0..<(capacity - 1) {
            requests[index].raw.next = UnsafeMutableRawPointer(requests + index + 1).assumingMemoryBound(
                to: ibv_send_wr.self)
        }
        sges = .allocate(capacity: capacity * maxSGEsPerRequest)
        sges.initialize(repeating: ibv_sge(), count: capacity * maxSGEsPerRequest)
    }

    deinit {
        requests.deallocate()
        sges.deallocate()
    }

    /// Empties the chain without posting it.
    @inlinable public func removeAll() { storedCount = 0 }

    /// True when no request is queued.
    @inlinable public var isEmpty: Bool { count == 0 }

    /// The request at `index` (for inspection and tests).
    @inlinable public subscript(index: Int) -> SendWorkRequest {
        precondition(index >= 0 && index < count, "send list index out of range")
        return requests[index]
    }

    /// The SGE `sgeIndex` of request `index`.
    @inlinable public func sge(_ index: Int, _ sgeIndex: Int) -> ScatterGatherEntry {
        precondition(index < count && sgeIndex < requests[index].sgeCount, "SGE index out of range")
        let raw = sges[index &* maxSGEsPerRequest &+ sgeIndex]
        return ScatterGatherEntry(address: raw.addr, length: raw.length, lkey: raw.lkey)
    }

    /// The first request of the chain, linked through `next`; what `ibv_post_send` takes.
    @inlinable var head: UnsafeMutablePointer<ibv_send_wr> {
        UnsafeMutableRawPointer(requests).assumingMemoryBound(to: ibv_send_wr.self)
    }

    /// Runs `body` with the chain cut after the last queued request, then
    /// restores the permanent link: two stores per post instead of one per request.
    @inlinable @inline(__always)
    func withChain<R>(_ body: (UnsafeMutablePointer<ibv_send_wr>) -> R) -> R {
        let last = requests + (storedCount &- 1)
        let saved = last.pointee.raw.next
        last.pointee.raw.next = nil
        let result = body(head)
        last.pointee.raw.next = saved
        return result
    }

    /// Appends one request whose SGEs the caller gives as a buffer.
    @inlinable
    public func append(
        id: UInt64, opcode: SendOpcode, sges source: UnsafeBufferPointer<ScatterGatherEntry>,
        flags: SendFlags,
        remote: RemoteAddress = RemoteAddress(address: 0, rkey: 0), invalidateRKey: UInt32 = 0
    ) {
        precondition(source.count <= maxSGEsPerRequest, "too many SGEs for this send list")
        let slot = reserveSlot()
        let storage = sges + slot &* maxSGEsPerRequest
        for index in 0..<source.count { storage[index] = source[index].raw }
        requests[slot].set(
            id: id, opcode: opcode, sges: storage, sgeCount: Int32(truncatingIfNeeded: source.count),
            flags: flags,
            remote: remote, invalidateRKey: invalidateRKey)
    }

    /// Appends one request with a single SGE (the common case; no buffer needed).
    @inlinable
    public func append(
        id: UInt64, opcode: SendOpcode, sge: ScatterGatherEntry, flags: SendFlags,
        remote: RemoteAddress = RemoteAddress(address: 0, rkey: 0), invalidateRKey: UInt32 = 0
    ) {
        let slot = reserveSlot()
        let storage = sges + slot &* maxSGEsPerRequest
        storage.pointee = sge.raw
        requests[slot].set(
            id: id, opcode: opcode, sges: storage, sgeCount: 1, flags: flags, remote: remote,
            invalidateRKey: invalidateRKey)
    }

    /// Appends a SEND of `sge`.
    @inlinable
    public func appendSend(id: UInt64, _ sge: ScatterGatherEntry, flags: SendFlags = .signaled) {
        append(id: id, opcode: .send, sge: sge, flags: flags)
    }

    /// Appends a SEND_WITH_INV of `sge` that invalidates the peer's `rkey`.
    @inlinable
    public func appendSendWithInvalidate(
        id: UInt64, _ sge: ScatterGatherEntry, invalidating rkey: UInt32, flags: SendFlags = .signaled
    ) {
        append(id: id, opcode: .sendWithInvalidate, sge: sge, flags: flags, invalidateRKey: rkey)
    }

    /// Appends an RDMA WRITE of local `sge` to the peer's `remote` memory.
    @inlinable
    public func appendRDMAWrite(
        id: UInt64, _ sge: ScatterGatherEntry, to remote: RemoteAddress, flags: SendFlags = []
    ) {
        append(id: id, opcode: .rdmaWrite, sge: sge, flags: flags, remote: remote)
    }

    /// Appends an RDMA READ of the peer's `remote` memory into local `sge`.
    @inlinable
    public func appendRDMARead(
        id: UInt64, into sge: ScatterGatherEntry, from remote: RemoteAddress,
        flags: SendFlags = .signaled
    ) {
        append(id: id, opcode: .rdmaRead, sge: sge, flags: flags, remote: remote)
    }

    /// Takes the next request slot and links the previous one to it.
    @inlinable @inline(__always)
    func reserveSlot() -> Int {
        let slot = storedCount
        precondition(slot < capacity, "send list is full")
        storedCount = slot &+ 1
        return slot
    }
}

/// A reusable, preallocated chain of receive work requests with their SGEs.
///
/// For NVMe-oF: one receive per command capsule, with 2 SGEs (the 64-byte SQE
/// and the in-capsule data buffer). Posting empties it; nothing allocates.
public final class ReceiveWorkRequestList {
    @usableFromInline let requests: UnsafeMutablePointer<ReceiveWorkRequest>
    @usableFromInline let sges: UnsafeMutablePointer<ibv_sge>
    public let capacity: Int
    public let maxSGEsPerRequest: Int
    @usableFromInline var storedCount: Int = 0
    @usableFromInline var storedFailedIndex: Int = -1
    /// Number of requests currently in the chain.
    @inlinable public var count: Int { storedCount }
    /// After a failed post: the index of the first request not taken (`bad_wr`).
    public var firstFailedIndex: Int? { storedFailedIndex < 0 ? nil : storedFailedIndex }

    public init(capacity: Int, maxSGEsPerRequest: Int = 2) {
        precondition(capacity > 0 && maxSGEsPerRequest > 0, "a receive list needs room")
        self.capacity = capacity
        self.maxSGEsPerRequest = maxSGEsPerRequest
        requests = .allocate(capacity: capacity)
        requests.initialize(repeating: ReceiveWorkRequest(), count: capacity)
        for index in 0..<(capacity - 1) {
            requests[index].raw.next = UnsafeMutableRawPointer(requests + index + 1).assumingMemoryBound(
                to: ibv_recv_wr.self)
        }
        sges = .allocate(capacity: capacity * maxSGEsPerRequest)
        sges.initialize(repeating: ibv_sge(), count: capacity * maxSGEsPerRequest)
    }

    deinit {
        requests.deallocate()
        sges.deallocate()
    }

    @inlinable public func removeAll() { storedCount = 0 }
    @inlinable public var isEmpty: Bool { count == 0 }

    @inlinable public subscript(index: Int) -> ReceiveWorkRequest {
        precondition(index >= 0 && index < count, "receive list index out of range")
        return requests[index]
    }

    @inlinable public func sge(_ index: Int, _ sgeIndex: Int) -> ScatterGatherEntry {
        precondition(index < count && sgeIndex < requests[index].sgeCount, "SGE index out of range")
        let raw = sges[index &* maxSGEsPerRequest &+ sgeIndex]
        return ScatterGatherEntry(address: raw.addr, length: raw.length, lkey: raw.lkey)
    }

    @inlinable var head: UnsafeMutablePointer<ibv_recv_wr> {
        UnsafeMutableRawPointer(requests).assumingMemoryBound(to: ibv_recv_wr.self)
    }

    /// Runs `body` with the chain cut after the last queued request (see `SendWorkRequestList.withChain`).
    @inlinable @inline(__always)
    func withChain<R>(_ body: (UnsafeMutablePointer<ibv_recv_wr>) -> R) -> R {
        let last = requests + (storedCount &- 1)
        let saved = last.pointee.raw.next
        last.pointee.raw.next = nil
        let result = body(head)
        last.pointee.raw.next = saved
        return result
    }

    /// Appends a receive with one SGE.
    @inlinable
    public func append(id: UInt64, _ sge: ScatterGatherEntry) {
        let slot = reserveSlot()
        let storage = sges + slot &* maxSGEsPerRequest
        storage.pointee = sge.raw
        requests[slot].set(id: id, sges: storage, sgeCount: 1)
    }

    /// Appends a receive with two SGEs (capsule header + in-capsule data).
    @inlinable
    public func append(id: UInt64, _ first: ScatterGatherEntry, _ second: ScatterGatherEntry) {
        precondition(maxSGEsPerRequest >= 2, "too many SGEs for this receive list")
        let slot = reserveSlot()
        let storage = sges + slot &* maxSGEsPerRequest
        storage[0] = first.raw
        storage[1] = second.raw
        requests[slot].set(id: id, sges: storage, sgeCount: 2)
    }

    @inlinable @inline(__always)
    func reserveSlot() -> Int {
        let slot = storedCount
        precondition(slot < capacity, "receive list is full")
        storedCount = slot &+ 1
        return slot
    }

    /// Called after a post: empties the list, or records where the provider stopped.
    @inlinable @inline(__always)
    func finishPost(
        returnCode rc: Int32, badRequest: UnsafeMutablePointer<ibv_recv_wr>?, _ verb: StaticString
    )
        throws(VerbsError)
    {
        if _slowPath(rc != 0) {
            if let badRequest {
                storedFailedIndex =
                    (UnsafeMutableRawPointer(badRequest) - UnsafeMutableRawPointer(requests))
                    / MemoryLayout<ReceiveWorkRequest>.stride
            }
            throw VerbsError(verb: verb, errno: rc < 0 ? -rc : rc)
        }
        storedFailedIndex = -1
        storedCount = 0
    }
}

extension SendWorkRequestList {
    /// Posts the chain to a raw QP with one `ibv_post_send` and empties the list.
    ///
    /// `QueuePair.postSend(_:)` is this call; it is public so code that holds
    /// only a `struct ibv_qp *` (benchmarks, a provider test double) takes the
    /// very same path.
    @inlinable
    public func post(to queuePair: UnsafeMutablePointer<ibv_qp>) throws(VerbsError) {
        guard storedCount > 0 else { return }
        var bad: UnsafeMutablePointer<ibv_send_wr>? = nil
        let rc = withChain { ibv_post_send(queuePair, $0, &bad) }
        try finishPost(returnCode: rc, badRequest: bad)
    }

    /// Called after a post: empties the list, or records where the provider stopped.
    @inlinable @inline(__always)
    func finishPost(returnCode rc: Int32, badRequest: UnsafeMutablePointer<ibv_send_wr>?)
        throws(VerbsError)
    {
        if _slowPath(rc != 0) {
            if let badRequest {
                storedFailedIndex =
                    (UnsafeMutableRawPointer(badRequest) - UnsafeMutableRawPointer(requests))
                    / MemoryLayout<SendWorkRequest>.stride
            }
            throw VerbsError(verb: "ibv_post_send", errno: rc < 0 ? -rc : rc)
        }
        storedFailedIndex = -1
        storedCount = 0
    }
}
