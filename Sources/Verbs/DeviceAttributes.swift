import CVerbs

/// The limits of a device that sizing code needs (`struct ibv_device_attr`).
public struct DeviceAttributes: Sendable {
    /// The full C structure, for fields not surfaced below.
    public let raw: ibv_device_attr
    init(_ raw: ibv_device_attr) { self.raw = raw }

    public var maxQueuePairs: Int { Int(raw.max_qp) }
    public var maxWorkRequestsPerQueue: Int { Int(raw.max_qp_wr) }
    public var maxScatterGatherEntries: Int { Int(raw.max_sge) }
    public var maxCompletionQueueEntries: Int { Int(raw.max_cqe) }
    public var maxMemoryRegionSize: UInt64 { raw.max_mr_size }
    public var maxSharedReceiveQueueWorkRequests: Int { Int(raw.max_srq_wr) }
    public var maxSharedReceiveQueueScatterGatherEntries: Int { Int(raw.max_srq_sge) }
    /// Max RDMA READs a QP may have outstanding as responder (IRD).
    public var maxQueuePairReadAtomicAsResponder: Int { Int(raw.max_qp_rd_atom) }
    /// Max RDMA READs a QP may issue at once as initiator (ORD).
    public var maxQueuePairReadAtomicAsInitiator: Int { Int(raw.max_qp_init_rd_atom) }
    public var physicalPortCount: Int { Int(raw.phys_port_cnt) }
}

/// A port's state (`struct ibv_port_attr`).
public struct PortAttributes: Sendable {
    public let raw: ibv_port_attr
    init(_ raw: ibv_port_attr) { self.raw = raw }

    /// True when the link is up (IBV_PORT_ACTIVE).
    public var isActive: Bool { raw.state == IBV_PORT_ACTIVE }
    /// Active MTU in bytes (256…4096).
    public var activeMTU: Int { 128 << Int(raw.active_mtu.rawValue) }
    public var gidTableLength: Int { Int(raw.gid_tbl_len) }
    /// IBV_LINK_LAYER_ETHERNET for RoCE (rxe), IBV_LINK_LAYER_INFINIBAND for IB.
    public var isEthernet: Bool { raw.link_layer == UInt8(IBV_LINK_LAYER_ETHERNET) }
}

/// A 16-byte global identifier from a port's GID table.
public struct GID: Hashable, Sendable {
    /// The bytes in network order.
    public var bytes: [UInt8]

    init(_ gid: ibv_gid) {
        var copy = gid
        bytes = withUnsafeBytes(of: &copy) { Array($0) }
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The IPv4 address of an IPv4-mapped GID (`::ffff:a.b.c.d`, as RoCEv2 uses), else nil.
    public var ipv4Text: String? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff,
            bytes[11] == 0xff
        else { return nil }
        return "\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])"
    }
}

/// A device async event (`struct ibv_async_event`), copied out before acknowledging.
public struct AsyncEvent {
    /// The event type (IBV_EVENT_*).
    public let type: ibv_event_type
    /// QP number for QP events, else 0.
    public let queuePairNumber: UInt32
    /// Port number for port events, else 0.
    public let portNumber: Int32
    /// The SRQ the event is about (SRQ limit reached, SRQ error), else nil. Compare with `SharedReceiveQueue.pointer`.
    public let sharedReceiveQueue: UnsafeMutablePointer<ibv_srq>?

    init(_ event: ibv_async_event) {
        type = event.event_type
        switch event.event_type {
        case IBV_EVENT_CQ_ERR:
            queuePairNumber = 0
            portNumber = 0
            sharedReceiveQueue = nil
        case IBV_EVENT_SRQ_ERR, IBV_EVENT_SRQ_LIMIT_REACHED:
            queuePairNumber = 0
            portNumber = 0
            sharedReceiveQueue = event.element.srq
        case IBV_EVENT_PORT_ACTIVE, IBV_EVENT_PORT_ERR, IBV_EVENT_LID_CHANGE, IBV_EVENT_PKEY_CHANGE,
            IBV_EVENT_GID_CHANGE, IBV_EVENT_SM_CHANGE, IBV_EVENT_CLIENT_REREGISTER:
            queuePairNumber = 0
            portNumber = event.element.port_num
            sharedReceiveQueue = nil
        case IBV_EVENT_DEVICE_FATAL:
            queuePairNumber = 0
            portNumber = 0
            sharedReceiveQueue = nil
        default:
            queuePairNumber = event.element.qp?.pointee.qp_num ?? 0
            portNumber = 0
            sharedReceiveQueue = nil
        }
    }

    /// The event's name as libibverbs spells it (`ibv_event_type_str`).
    public var name: String { String(cString: ibv_event_type_str(type)) }
}
