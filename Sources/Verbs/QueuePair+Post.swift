import CVerbs

extension QueuePair {
    /// Posts the whole chain in `list` with one `ibv_post_send` and empties it.
    ///
    /// RC ordering guarantees the peer sees earlier RDMA WRITEs before a later
    /// SEND of the same chain, which is how NVMe-oF returns read data.
    /// - Throws: `VerbsError` (`ibv_post_send`: ENOMEM when the send queue is
    ///   full, EINVAL for a malformed request); `list.firstFailedIndex` then
    ///   names the first request not posted (earlier ones were).
    @inlinable
    public func postSend(_ list: SendWorkRequestList) throws(VerbsError) {
        try list.post(to: pointer)
    }

    /// Posts a caller-built chain (e.g. WRs kept in request slots) linked by `raw.next`.
    @inlinable
    public func postSend(chain first: UnsafeMutablePointer<SendWorkRequest>) throws(VerbsError) {
        try SendWorkRequest.post(chain: first, to: pointer)
    }

    /// Posts one SEND of a single SGE, built on the stack (no list needed).
    @inlinable
    public func postSend(id: UInt64, _ sge: ScatterGatherEntry, flags: SendFlags = .signaled)
        throws(VerbsError)
    {
        try post(id: id, opcode: .send, sge, flags: flags, remote: RemoteAddress(address: 0, rkey: 0))
    }

    /// Posts one RDMA READ of `remote` into `sge`.
    @inlinable
    public func postRDMARead(
        id: UInt64, into sge: ScatterGatherEntry, from remote: RemoteAddress,
        flags: SendFlags = .signaled
    )
        throws(VerbsError)
    {
        try post(id: id, opcode: .rdmaRead, sge, flags: flags, remote: remote)
    }

    /// Posts one RDMA WRITE of `sge` to `remote`.
    @inlinable
    public func postRDMAWrite(
        id: UInt64, _ sge: ScatterGatherEntry, to remote: RemoteAddress, flags: SendFlags = .signaled
    )
        throws(VerbsError)
    {
        try post(id: id, opcode: .rdmaWrite, sge, flags: flags, remote: remote)
    }

    @inlinable @inline(__always)
    func post(
        id: UInt64, opcode: SendOpcode, _ sge: ScatterGatherEntry, flags: SendFlags,
        remote: RemoteAddress
    )
        throws(VerbsError)
    {
        var entry = sge.raw
        let rc = withUnsafeMutablePointer(to: &entry) { sges -> Int32 in
            var request = SendWorkRequest()
            request.set(id: id, opcode: opcode, sges: sges, sgeCount: 1, flags: flags, remote: remote)
            var bad: UnsafeMutablePointer<ibv_send_wr>? = nil
            return ibv_post_send(pointer, &request.raw, &bad)
        }
        try VerbsError.check(returnCode: rc, "ibv_post_send")
    }

    /// Posts the receives in `list` to this QP's own receive queue and empties it.
    ///
    /// - Precondition: the QP has no SRQ (post to the SRQ instead).
    @inlinable
    public func postReceive(_ list: ReceiveWorkRequestList) throws(VerbsError) {
        precondition(sharedReceiveQueue == nil, "post receives to the QP's shared receive queue")
        guard list.count > 0 else { return }
        var bad: UnsafeMutablePointer<ibv_recv_wr>? = nil
        let rc = list.withChain { ibv_post_recv(pointer, $0, &bad) }
        try list.finishPost(returnCode: rc, badRequest: bad, "ibv_post_recv")
    }

    /// Posts one receive of a single SGE to this QP's own receive queue.
    @inlinable
    public func postReceive(id: UInt64, _ sge: ScatterGatherEntry) throws(VerbsError) {
        precondition(sharedReceiveQueue == nil, "post receives to the QP's shared receive queue")
        var entry = sge.raw
        let rc = withUnsafeMutablePointer(to: &entry) { sges -> Int32 in
            var request = ibv_recv_wr(wr_id: id, next: nil, sg_list: sges, num_sge: 1)
            var bad: UnsafeMutablePointer<ibv_recv_wr>? = nil
            return ibv_post_recv(pointer, &request, &bad)
        }
        try VerbsError.check(returnCode: rc, "ibv_post_recv")
    }
}
