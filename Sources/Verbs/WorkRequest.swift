import CVerbs

/// Flags of a send work request (`enum ibv_send_flags`).
@frozen
public struct SendFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Produce a work completion for this request. Unsignaled requests complete
    /// silently, and their send-queue slots are freed by the next signaled one.
    @inlinable public static var signaled: SendFlags { SendFlags(rawValue: IBV_SEND_SIGNALED.rawValue) }
    /// Wait for earlier RDMA READs on this QP to finish before starting.
    @inlinable public static var fence: SendFlags { SendFlags(rawValue: IBV_SEND_FENCE.rawValue) }
    /// Raise a solicited event at the receiver (for CQs armed solicited-only).
    @inlinable public static var solicited: SendFlags { SendFlags(rawValue: IBV_SEND_SOLICITED.rawValue) }
    /// Copy the payload into the WQE; the buffer need not be registered and may be reused at once.
    @inlinable public static var inline: SendFlags { SendFlags(rawValue: IBV_SEND_INLINE.rawValue) }
}

/// The operation of a send work request (`enum ibv_wr_opcode`), restricted to what RC uses here.
@frozen
public struct SendOpcode: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var send: SendOpcode { SendOpcode(rawValue: IBV_WR_SEND.rawValue) }
    /// SEND that also invalidates one of the peer's rkeys (NVMe-oF: the host's data key).
    @inlinable public static var sendWithInvalidate: SendOpcode { SendOpcode(rawValue: IBV_WR_SEND_WITH_INV.rawValue) }
    @inlinable public static var rdmaWrite: SendOpcode { SendOpcode(rawValue: IBV_WR_RDMA_WRITE.rawValue) }
    @inlinable public static var rdmaRead: SendOpcode { SendOpcode(rawValue: IBV_WR_RDMA_READ.rawValue) }
}

/// A send-queue work request (`struct ibv_send_wr`, 128 bytes), built in place.
///
/// `@frozen` over a single `ibv_send_wr` so it can live in preallocated slots and
/// be posted by pointer. Its `sg_list` points at SGE storage the caller owns
/// (a `SendWorkRequestList` or a request slot); that storage must stay put
/// until the post returns (the provider copies the WR and SGEs into its queue).
@frozen
public struct SendWorkRequest {
    public var raw: ibv_send_wr

    @inlinable public init() { raw = ibv_send_wr() }

    /// Fills every field a post reads except `next`: links belong to whoever
    /// owns the chain (a list keeps its requests permanently linked and cuts
    /// the chain at post time; a lone request keeps the nil it was made with).
    ///
    /// - Parameters:
    ///   - id: The caller's `wr_id`, returned in the work completion.
    ///   - sges: SGE storage (may be nil when `sgeCount` is 0).
    ///   - remote: Peer address and rkey for RDMA READ/WRITE, ignored otherwise.
    ///   - invalidateRKey: The peer rkey SEND_WITH_INV invalidates, ignored otherwise.
    @inlinable @inline(__always)
    public mutating func set(
        id: UInt64, opcode: SendOpcode, sges: UnsafeMutablePointer<ibv_sge>?, sgeCount: Int32,
        flags: SendFlags, remote: RemoteAddress = RemoteAddress(address: 0, rkey: 0),
        invalidateRKey: UInt32 = 0
    ) {
        raw.wr_id = id
        raw.sg_list = sges
        raw.num_sge = sgeCount
        raw.opcode = ibv_wr_opcode(rawValue: opcode.rawValue)
        raw.send_flags = flags.rawValue
        raw.invalidate_rkey = invalidateRKey
        raw.wr.rdma.remote_addr = remote.address
        raw.wr.rdma.rkey = remote.rkey
    }

    /// Posts the chain starting at `first` (linked through `raw.next`, ending in nil)
    /// to a raw QP. `QueuePair.postSend(chain:)` is this call.
    ///
    /// The cheapest way to post: requests kept in preallocated slots with their
    /// links and SGE pointers set once, so each I/O writes only what changes.
    @inlinable @inline(__always)
    public static func post(
        chain first: UnsafeMutablePointer<SendWorkRequest>, to queuePair: UnsafeMutablePointer<ibv_qp>
    )
        throws(VerbsError)
    {
        var bad: UnsafeMutablePointer<ibv_send_wr>? = nil
        let head = UnsafeMutableRawPointer(first).assumingMemoryBound(to: ibv_send_wr.self)
        try VerbsError.check(returnCode: ibv_post_send(queuePair, head, &bad), "ibv_post_send")
    }

    @inlinable public var id: UInt64 { raw.wr_id }
    @inlinable public var opcode: SendOpcode { SendOpcode(rawValue: raw.opcode.rawValue) }
    @inlinable public var flags: SendFlags { SendFlags(rawValue: raw.send_flags) }
    @inlinable public var remote: RemoteAddress {
        RemoteAddress(address: raw.wr.rdma.remote_addr, rkey: raw.wr.rdma.rkey)
    }
    @inlinable public var invalidateRKey: UInt32 { raw.invalidate_rkey }
    @inlinable public var sgeCount: Int { Int(raw.num_sge) }
}

/// A receive work request (`struct ibv_recv_wr`, 32 bytes) for a QP or an SRQ.
@frozen
public struct ReceiveWorkRequest {
    public var raw: ibv_recv_wr

    @inlinable public init() { raw = ibv_recv_wr() }

    /// Fills the request except `next` (see `SendWorkRequest.set`).
    @inlinable @inline(__always)
    public mutating func set(id: UInt64, sges: UnsafeMutablePointer<ibv_sge>?, sgeCount: Int32) {
        raw.wr_id = id
        raw.sg_list = sges
        raw.num_sge = sgeCount
    }

    @inlinable public var id: UInt64 { raw.wr_id }
    @inlinable public var sgeCount: Int { Int(raw.num_sge) }
}
