import CVerbs

#if canImport(Glibc)
    import Glibc
#endif

/// An RDMA CM identifier (`struct rdma_cm_id`): a listener or one connection.
///
/// Ownership: holds its `EventChannel`. A QP created on it (`QueuePair(connection:…)`)
/// holds the id, so `rdma_destroy_qp` runs before `rdma_destroy_id`. The id's
/// `deviceContext` is librdmacm's and stays valid while the id lives.
///
/// Every call here is control path; they may allocate. RDMA CM operations are
/// asynchronous: the outcome arrives as a `CMEvent` on the channel.
public final class ConnectionID {
    public let pointer: UnsafeMutablePointer<rdma_cm_id>
    public let channel: EventChannel

    /// Creates an id for reliable connections (RDMA_PS_TCP, as NVMe-oF uses).
    /// The corresponding verb is `rdma_create_id`.
    public init(channel: EventChannel) throws(VerbsError) {
        var id: UnsafeMutablePointer<rdma_cm_id>? = nil
        try VerbsError.check(
            minusOne: rdma_create_id(channel.pointer, &id, nil, RDMA_PS_TCP), "rdma_create_id")
        guard let id else { throw VerbsError(verb: "rdma_create_id", errno: EIO) }
        pointer = id
        self.channel = channel
        id.pointee.context = Unmanaged.passUnretained(self).toOpaque()
        LiveResources.created()
    }

    /// Wraps the new id of a CONNECT_REQUEST; this object now owns it.
    init(adopting id: UnsafeMutablePointer<rdma_cm_id>, channel: EventChannel) {
        pointer = id
        self.channel = channel
        // The new id inherited the listener's context: point it at this object.
        id.pointee.context = Unmanaged.passUnretained(self).toOpaque()
        LiveResources.created()
    }

    /// The live object owning `id`, found through the id's context (unretained: the
    /// object's deinit destroys the id, so a stored context is never stale).
    static func existing(_ id: UnsafeMutablePointer<rdma_cm_id>) -> ConnectionID? {
        guard let context = id.pointee.context else { return nil }
        return Unmanaged<ConnectionID>.fromOpaque(context).takeUnretainedValue()
    }

    deinit {
        if rdma_destroy_id(pointer) == 0 { LiveResources.destroyed() }
    }

    /// The device this id is bound to (after bind to a device address, address
    /// resolution, or for a CONNECT_REQUEST id); nil before that or for a wildcard listener.
    public var deviceContext: DeviceContext? {
        guard let verbs = pointer.pointee.verbs else { return nil }
        return DeviceContext(borrowing: verbs, owner: self)
    }

    /// The QP created on this id, if any.
    public var hasQueuePair: Bool { pointer.pointee.qp != nil }

    /// The peer's IP address (no port), or nil when it is neither IPv4 nor
    /// IPv6. On a passive id, the host that sent the CONNECT_REQUEST.
    /// The corresponding call is `rdma_get_peer_addr`.
    public var peerHost: String? {
        guard let address = rdma_get_peer_addr(pointer) else { return nil }
        return SocketAddress.host(of: address)
    }

    /// The local port (useful after binding to port 0). The corresponding call is `rdma_get_src_port`.
    public var localPort: UInt16 { UInt16(bigEndian: rdma_get_src_port(pointer)) }

    // MARK: Passive side

    /// Binds to a local address (port 0 picks a free port). The corresponding verb is `rdma_bind_addr`.
    public func bind(to address: SocketAddress) throws(VerbsError) {
        let rc = address.withSockaddr { rdma_bind_addr(pointer, $0) }
        try VerbsError.check(minusOne: rc, "rdma_bind_addr")
    }

    /// Starts listening; CONNECT_REQUEST events follow. The corresponding verb is `rdma_listen`.
    public func listen(backlog: Int32) throws(VerbsError) {
        try VerbsError.check(minusOne: rdma_listen(pointer, backlog), "rdma_listen")
    }

    /// Accepts a CONNECT_REQUEST (create the QP on this id first).
    ///
    /// - Parameters:
    ///   - privateData: Sent to the peer (≤ 196 bytes on IB/RoCE).
    ///   - initiatorDepth: RDMA READs this side issues at once (ORD); at most the
    ///     peer's `responderResources` and the device's limit.
    ///   - responderResources: RDMA READs this side serves at once (IRD).
    /// The corresponding verb is `rdma_accept`.
    public func accept(privateData: [UInt8] = [], initiatorDepth: UInt8, responderResources: UInt8)
        throws(VerbsError)
    {
        guard privateData.count <= Int(UInt8.max) else {
            throw VerbsError(verb: "rdma_accept", errno: EINVAL)
        }
        let rc = privateData.withUnsafeBytes { data -> Int32 in
            var parameters = rdma_conn_param()
            parameters.private_data = data.baseAddress
            parameters.private_data_len = UInt8(data.count)
            parameters.initiator_depth = initiatorDepth
            parameters.responder_resources = responderResources
            // 7 (forever) reaches the *peer's* QP: the IB CM gives the passive
            // QP the RNR retry count of the peer's REQ. A stalled peer is the
            // caller's to bound (RdmaTransport: the send watchdog).
            parameters.rnr_retry_count = 7
            return rdma_accept(pointer, &parameters)
        }
        try VerbsError.check(minusOne: rc, "rdma_accept")
    }

    /// Refuses a CONNECT_REQUEST; the peer gets `.rejected` with status 28 and this data.
    /// The corresponding verb is `rdma_reject`.
    public func reject(privateData: [UInt8] = []) throws(VerbsError) {
        guard privateData.count <= Int(UInt8.max) else {
            throw VerbsError(verb: "rdma_reject", errno: EINVAL)
        }
        let rc = privateData.withUnsafeBytes { rdma_reject(pointer, $0.baseAddress, UInt8($0.count)) }
        try VerbsError.check(minusOne: rc, "rdma_reject")
    }

    // MARK: Active side

    /// Resolves `destination` to a device and port; `.addressResolved` follows.
    /// The corresponding verb is `rdma_resolve_addr`.
    public func resolveAddress(
        _ destination: SocketAddress, source: SocketAddress? = nil, timeoutMilliseconds: Int32 = 2000
    )
        throws(VerbsError)
    {
        let rc = destination.withSockaddr { destinationPointer -> Int32 in
            if let source {
                return source.withSockaddr {
                    rdma_resolve_addr(pointer, $0, destinationPointer, timeoutMilliseconds)
                }
            }
            return rdma_resolve_addr(pointer, nil, destinationPointer, timeoutMilliseconds)
        }
        try VerbsError.check(minusOne: rc, "rdma_resolve_addr")
    }

    /// Resolves the route; `.routeResolved` follows. The corresponding verb is `rdma_resolve_route`.
    public func resolveRoute(timeoutMilliseconds: Int32 = 2000) throws(VerbsError) {
        try VerbsError.check(
            minusOne: rdma_resolve_route(pointer, timeoutMilliseconds), "rdma_resolve_route")
    }

    /// Connects (create the QP on this id first); `.established` or `.rejected` follows.
    /// The corresponding verb is `rdma_connect`.
    public func connect(
        privateData: [UInt8] = [], initiatorDepth: UInt8, responderResources: UInt8,
        retryCount: UInt8 = 7,
        rnrRetryCount: UInt8 = 7
    ) throws(VerbsError) {
        guard privateData.count <= Int(UInt8.max) else {
            throw VerbsError(verb: "rdma_connect", errno: EINVAL)
        }
        let rc = privateData.withUnsafeBytes { data -> Int32 in
            var parameters = rdma_conn_param()
            parameters.private_data = data.baseAddress
            parameters.private_data_len = UInt8(data.count)
            parameters.initiator_depth = initiatorDepth
            parameters.responder_resources = responderResources
            parameters.retry_count = retryCount
            parameters.rnr_retry_count = rnrRetryCount
            return rdma_connect(pointer, &parameters)
        }
        try VerbsError.check(minusOne: rc, "rdma_connect")
    }

    // MARK: Both sides

    /// Starts an orderly close (or answers the peer's): the QP moves to ERROR,
    /// flushing outstanding work requests, and both sides get `.disconnected`.
    ///
    /// When `.disconnected` arrives for a connection this side did not close,
    /// call `disconnect()` too: that sends the reply (DREP) the peer waits for;
    /// without it the peer's `.disconnected` only comes after a CM timeout.
    /// The corresponding verb is `rdma_disconnect`.
    public func disconnect() throws(VerbsError) {
        try VerbsError.check(minusOne: rdma_disconnect(pointer), "rdma_disconnect")
    }
}
