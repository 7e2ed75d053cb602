import CVerbs

/// Sizes of a queue pair's queues (`struct ibv_qp_cap`).
public struct QueuePairCapabilities: Hashable, Sendable {
    /// Send-queue depth: WRITEs, READs and SENDs outstanding at once (signaled or not).
    public var maxSendWorkRequests: Int
    /// Receive-queue depth; ignored when the QP uses an SRQ.
    public var maxReceiveWorkRequests: Int
    public var maxSendSGEs: Int
    public var maxReceiveSGEs: Int
    /// Largest payload `SendFlags.inline` may carry.
    public var maxInlineData: Int

    public init(
        maxSendWorkRequests: Int, maxReceiveWorkRequests: Int = 0, maxSendSGEs: Int = 1,
        maxReceiveSGEs: Int = 2,
        maxInlineData: Int = 0
    ) {
        self.maxSendWorkRequests = maxSendWorkRequests
        self.maxReceiveWorkRequests = maxReceiveWorkRequests
        self.maxSendSGEs = maxSendSGEs
        self.maxReceiveSGEs = maxReceiveSGEs
        self.maxInlineData = maxInlineData
    }

    /// The C form, or nil if a value does not fit (a caller error, reported as EINVAL).
    var initAttributes: ibv_qp_cap? {
        guard let sendWRs = UInt32(exactly: maxSendWorkRequests),
            let receiveWRs = UInt32(exactly: maxReceiveWorkRequests),
            let sendSGEs = UInt32(exactly: maxSendSGEs),
            let receiveSGEs = UInt32(exactly: maxReceiveSGEs),
            let inline = UInt32(exactly: maxInlineData), sendWRs > 0
        else { return nil }
        return ibv_qp_cap(
            max_send_wr: sendWRs, max_recv_wr: receiveWRs, max_send_sge: sendSGEs,
            max_recv_sge: receiveSGEs,
            max_inline_data: inline)
    }
}

/// A reliable-connected queue pair (`struct ibv_qp`, IBV_QPT_RC).
///
/// Ownership: holds its `ProtectionDomain`, both CQs, its SRQ (if any) and,
/// when created through RDMA CM, its `ConnectionID`; so the QP is destroyed
/// before all of them, whatever order the caller drops references in.
/// A CM-created QP is destroyed with `rdma_destroy_qp`, others with `ibv_destroy_qp`.
///
/// Not thread-safe for posting: post from the owning poller only.
public final class QueuePair {
    public let pointer: UnsafeMutablePointer<ibv_qp>
    public let protectionDomain: ProtectionDomain
    public let sendCompletionQueue: CompletionQueue
    public let receiveCompletionQueue: CompletionQueue
    public let sharedReceiveQueue: SharedReceiveQueue?
    /// The RDMA CM id this QP was created on, nil for a plain verbs QP.
    public let connection: ConnectionID?
    /// The sizes the provider actually granted (may exceed the request).
    public let capabilities: QueuePairCapabilities

    /// Creates an RC QP with plain verbs (state RESET; the caller drives the state machine).
    /// The corresponding verb is `ibv_create_qp`.
    public convenience init(
        protectionDomain: ProtectionDomain, sendCompletionQueue: CompletionQueue,
        receiveCompletionQueue: CompletionQueue, sharedReceiveQueue: SharedReceiveQueue? = nil,
        capabilities: QueuePairCapabilities
    ) throws(VerbsError) {
        var attributes = try Self.initAttributes(
            sendCompletionQueue, receiveCompletionQueue, sharedReceiveQueue, capabilities, "ibv_create_qp"
        )
        let qp = try VerbsError.nonNil(
            ibv_create_qp(protectionDomain.pointer, &attributes), "ibv_create_qp")
        self.init(
            qp, protectionDomain, sendCompletionQueue, receiveCompletionQueue, sharedReceiveQueue, nil,
            attributes.cap)
    }

    /// Creates an RC QP on an RDMA CM id (after address/route resolution, or on a
    /// CONNECT_REQUEST's new id); RDMA CM then moves it through its states on
    /// connect/accept. The corresponding verb is `rdma_create_qp`.
    public convenience init(
        connection: ConnectionID, protectionDomain: ProtectionDomain,
        sendCompletionQueue: CompletionQueue,
        receiveCompletionQueue: CompletionQueue, sharedReceiveQueue: SharedReceiveQueue? = nil,
        capabilities: QueuePairCapabilities
    ) throws(VerbsError) {
        var attributes = try Self.initAttributes(
            sendCompletionQueue, receiveCompletionQueue, sharedReceiveQueue, capabilities,
            "rdma_create_qp")
        try VerbsError.check(
            minusOne: rdma_create_qp(connection.pointer, protectionDomain.pointer, &attributes),
            "rdma_create_qp")
        guard let qp = connection.pointer.pointee.qp else {
            throw VerbsError(verb: "rdma_create_qp", errno: EIO)
        }
        self.init(
            qp, protectionDomain, sendCompletionQueue, receiveCompletionQueue, sharedReceiveQueue,
            connection,
            attributes.cap)
    }

    private init(
        _ qp: UnsafeMutablePointer<ibv_qp>, _ pd: ProtectionDomain, _ sendCQ: CompletionQueue,
        _ receiveCQ: CompletionQueue, _ srq: SharedReceiveQueue?, _ connection: ConnectionID?,
        _ cap: ibv_qp_cap
    ) {
        pointer = qp
        protectionDomain = pd
        sendCompletionQueue = sendCQ
        receiveCompletionQueue = receiveCQ
        sharedReceiveQueue = srq
        self.connection = connection
        capabilities = QueuePairCapabilities(
            maxSendWorkRequests: Int(cap.max_send_wr), maxReceiveWorkRequests: Int(cap.max_recv_wr),
            maxSendSGEs: Int(cap.max_send_sge), maxReceiveSGEs: Int(cap.max_recv_sge),
            maxInlineData: Int(cap.max_inline_data))
        LiveResources.created()
    }

    private static func initAttributes(
        _ sendCQ: CompletionQueue, _ receiveCQ: CompletionQueue, _ srq: SharedReceiveQueue?,
        _ capabilities: QueuePairCapabilities, _ verb: StaticString
    ) throws(VerbsError) -> ibv_qp_init_attr {
        guard var cap = capabilities.initAttributes else { throw VerbsError(verb: verb, errno: EINVAL) }
        if srq != nil {
            cap.max_recv_wr = 0
            cap.max_recv_sge = 0
        }
        var attributes = ibv_qp_init_attr()
        attributes.send_cq = sendCQ.pointer
        attributes.recv_cq = receiveCQ.pointer
        attributes.srq = srq?.pointer
        attributes.cap = cap
        attributes.qp_type = IBV_QPT_RC
        // Every SEND/READ/WRITE chooses for itself whether it is signaled.
        attributes.sq_sig_all = 0
        return attributes
    }

    deinit {
        if let connection {
            rdma_destroy_qp(connection.pointer)
            LiveResources.destroyed()
        } else if ibv_destroy_qp(pointer) == 0 {
            LiveResources.destroyed()
        }
    }

    /// The QP number, as work completions (`queuePairNumber`) and the peer see it.
    @inlinable public var number: UInt32 { pointer.pointee.qp_num }
}
