import CVerbs

/// An RDMA CM event type (`enum rdma_cm_event_type`).
@frozen
public struct CMEventType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let addressResolved = Self(rawValue: RDMA_CM_EVENT_ADDR_RESOLVED.rawValue)
    public static let addressError = Self(rawValue: RDMA_CM_EVENT_ADDR_ERROR.rawValue)
    public static let routeResolved = Self(rawValue: RDMA_CM_EVENT_ROUTE_RESOLVED.rawValue)
    public static let routeError = Self(rawValue: RDMA_CM_EVENT_ROUTE_ERROR.rawValue)
    /// A peer wants to connect; the event's `id` is a new connection to accept or reject.
    public static let connectRequest = Self(rawValue: RDMA_CM_EVENT_CONNECT_REQUEST.rawValue)
    public static let connectResponse = Self(rawValue: RDMA_CM_EVENT_CONNECT_RESPONSE.rawValue)
    public static let connectError = Self(rawValue: RDMA_CM_EVENT_CONNECT_ERROR.rawValue)
    public static let unreachable = Self(rawValue: RDMA_CM_EVENT_UNREACHABLE.rawValue)
    /// The peer refused; `privateData` holds its reject data when `status` is 28 (consumer reject).
    public static let rejected = Self(rawValue: RDMA_CM_EVENT_REJECTED.rawValue)
    public static let established = Self(rawValue: RDMA_CM_EVENT_ESTABLISHED.rawValue)
    public static let disconnected = Self(rawValue: RDMA_CM_EVENT_DISCONNECTED.rawValue)
    /// The device went away: destroy everything on it.
    public static let deviceRemoval = Self(rawValue: RDMA_CM_EVENT_DEVICE_REMOVAL.rawValue)
    public static let addressChange = Self(rawValue: RDMA_CM_EVENT_ADDR_CHANGE.rawValue)
    public static let timewaitExit = Self(rawValue: RDMA_CM_EVENT_TIMEWAIT_EXIT.rawValue)

    /// librdmacm's name, e.g. "RDMA_CM_EVENT_ESTABLISHED" (`rdma_event_str`).
    public var description: String {
        String(cString: rdma_event_str(rdma_cm_event_type(rawValue: rawValue)))
    }
}

/// One RDMA CM event, copied out of librdmacm's buffer (which is acknowledged already).
///
/// Control path only: it owns an array for the private data.
public struct CMEvent {
    public let type: CMEventType
    /// 0, or an errno / IB CM reason (e.g. 28 = consumer reject for `.rejected`).
    public let status: Int32
    /// The connection the event is about. For `.connectRequest`, a new id that
    /// this event created; it belongs to the caller from now on.
    public let id: ConnectionID
    /// For `.connectRequest`: the listening id the request arrived on.
    public let listenID: ConnectionID?
    /// Private data of CONNECT_REQUEST, CONNECT_RESPONSE/ESTABLISHED or REJECTED.
    ///
    /// Over IB/RoCE CM the length is the transport's maximum (56 bytes for a
    /// request, 196 for a reply, 148 for a reject), zero-padded past what the
    /// peer sent: protocols carry their own length or a fixed layout.
    public let privateData: [UInt8]
    /// Peer's initiator depth (RDMA READs it will issue at once), from the connect parameters.
    public let initiatorDepth: UInt8
    /// Peer's responder resources (RDMA READs it accepts at once as target).
    public let responderResources: UInt8

    init(_ event: UnsafeMutablePointer<rdma_cm_event>, channel: EventChannel) {
        let raw = event.pointee
        type = CMEventType(rawValue: raw.event.rawValue)
        status = raw.status
        let conn = raw.param.conn
        if let data = conn.private_data, conn.private_data_len > 0 {
            privateData = Array(UnsafeRawBufferPointer(start: data, count: Int(conn.private_data_len)))
        } else {
            privateData = []
        }
        initiatorDepth = conn.initiator_depth
        responderResources = conn.responder_resources
        if type == .connectRequest {
            id = ConnectionID(adopting: raw.id, channel: channel)
            listenID = raw.listen_id.flatMap { ConnectionID.existing($0) }
        } else {
            // Every other id was created by a ConnectionID that is still alive
            // (rdma_destroy_id stops its events before returning).
            guard let existing = ConnectionID.existing(raw.id) else {
                preconditionFailure("RDMA CM event for an id no ConnectionID owns")
            }
            id = existing
            listenID = nil
        }
    }

    /// For `.rejected`: the peer's private data if the peer rejected it itself
    /// (status 28, consumer-defined), else nil (e.g. no listener: status 8).
    public var consumerRejectData: [UInt8]? {
        type == .rejected && status == 28 ? privateData : nil
    }
}
