import CVerbs

/// A shared receive queue (`struct ibv_srq`): one pool of receive buffers for many QPs.
///
/// Ownership: holds its `ProtectionDomain`. QPs created on it hold it, so
/// `ibv_destroy_srq` runs after every QP using it is destroyed.
///
/// Not thread-safe for posting: post from the owning poller only.
public final class SharedReceiveQueue {
    public let pointer: UnsafeMutablePointer<ibv_srq>
    public let protectionDomain: ProtectionDomain
    /// Requested capacity (work requests) and SGEs per request.
    public let capacity: Int
    public let maxSGEsPerRequest: Int

    /// - Parameters:
    ///   - limit: If > 0, arm the SRQ limit: when fewer than `limit` receives remain
    ///     posted, the device raises `IBV_EVENT_SRQ_LIMIT_REACHED` once (see `armLimit`).
    /// The corresponding verb is `ibv_create_srq`.
    public init(
        protectionDomain: ProtectionDomain, capacity: Int, maxSGEsPerRequest: Int = 2, limit: Int = 0
    )
        throws(VerbsError)
    {
        guard capacity > 0, capacity <= Int(UInt32.max), maxSGEsPerRequest > 0, limit >= 0,
            limit < capacity
        else {
            throw VerbsError(verb: "ibv_create_srq", errno: EINVAL)
        }
        var attributes = ibv_srq_init_attr()
        attributes.attr.max_wr = UInt32(capacity)
        attributes.attr.max_sge = UInt32(maxSGEsPerRequest)
        attributes.attr.srq_limit = UInt32(limit)
        pointer = try VerbsError.nonNil(
            ibv_create_srq(protectionDomain.pointer, &attributes), "ibv_create_srq")
        self.protectionDomain = protectionDomain
        self.capacity = capacity
        self.maxSGEsPerRequest = maxSGEsPerRequest
        LiveResources.created()
    }

    deinit {
        if ibv_destroy_srq(pointer) == 0 { LiveResources.destroyed() }
    }

    /// Arms (or re-arms) the limit event; it fires once per arming.
    /// The corresponding verb is `ibv_modify_srq` with `IBV_SRQ_LIMIT`.
    public func armLimit(_ limit: Int) throws(VerbsError) {
        guard limit >= 0, limit <= Int(UInt32.max) else {
            throw VerbsError(verb: "ibv_modify_srq", errno: EINVAL)
        }
        var attributes = ibv_srq_attr()
        attributes.srq_limit = UInt32(limit)
        try VerbsError.check(
            returnCode: ibv_modify_srq(pointer, &attributes, Int32(IBV_SRQ_LIMIT.rawValue)),
            "ibv_modify_srq")
    }

    /// The current limit (0 once the event fired, as the device disarms it).
    public func queryLimit() throws(VerbsError) -> Int {
        var attributes = ibv_srq_attr()
        try VerbsError.check(returnCode: ibv_query_srq(pointer, &attributes), "ibv_query_srq")
        return Int(attributes.srq_limit)
    }

    /// Posts every receive in `list` with one call and empties it.
    ///
    /// - Throws: `VerbsError` (`ibv_post_srq_recv`); `list.firstFailedIndex` then
    ///   names the first request the device did not take.
    @inlinable
    public func postReceive(_ list: ReceiveWorkRequestList) throws(VerbsError) {
        guard list.count > 0 else { return }
        var bad: UnsafeMutablePointer<ibv_recv_wr>? = nil
        let rc = list.withChain { ibv_post_srq_recv(pointer, $0, &bad) }
        try list.finishPost(returnCode: rc, badRequest: bad, "ibv_post_srq_recv")
    }

    /// Posts one receive with two SGEs (capsule header + in-capsule data), built on the stack.
    @inlinable
    public func postReceive(id: UInt64, _ first: ScatterGatherEntry, _ second: ScatterGatherEntry)
        throws(VerbsError)
    {
        var sgePair = (first.raw, second.raw)
        let rc = withUnsafeMutablePointer(to: &sgePair) { pair -> Int32 in
            let sges = UnsafeMutableRawPointer(pair).assumingMemoryBound(to: ibv_sge.self)
            var request = ibv_recv_wr(wr_id: id, next: nil, sg_list: sges, num_sge: 2)
            var bad: UnsafeMutablePointer<ibv_recv_wr>? = nil
            return ibv_post_srq_recv(pointer, &request, &bad)
        }
        try VerbsError.check(returnCode: rc, "ibv_post_srq_recv")
    }

    /// Posts one receive with one SGE.
    @inlinable
    public func postReceive(id: UInt64, _ sge: ScatterGatherEntry) throws(VerbsError) {
        var entry = sge.raw
        let rc = withUnsafeMutablePointer(to: &entry) { sges -> Int32 in
            var request = ibv_recv_wr(wr_id: id, next: nil, sg_list: sges, num_sge: 1)
            var bad: UnsafeMutablePointer<ibv_recv_wr>? = nil
            return ibv_post_srq_recv(pointer, &request, &bad)
        }
        try VerbsError.check(returnCode: rc, "ibv_post_srq_recv")
    }

    /// Posts a caller-built chain (e.g. receive WRs held in request slots) linked by `next`.
    @inlinable
    public func postReceive(chain first: UnsafeMutablePointer<ReceiveWorkRequest>) throws(VerbsError) {
        var bad: UnsafeMutablePointer<ibv_recv_wr>? = nil
        let head = UnsafeMutableRawPointer(first).assumingMemoryBound(to: ibv_recv_wr.self)
        try VerbsError.check(returnCode: ibv_post_srq_recv(pointer, head, &bad), "ibv_post_srq_recv")
    }
}
