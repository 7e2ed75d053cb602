import CVerbs

/// A queue pair's state (`enum ibv_qp_state`).
@frozen
public enum QueuePairState: UInt32, Sendable, CustomStringConvertible {
    case reset = 0
    case initialized = 1
    case readyToReceive = 2
    case readyToSend = 3
    case sendQueueDrain = 4
    case sendQueueError = 5
    case error = 6
    case unknown = 7

    public var description: String {
        switch self {
        case .reset: return "RESET"
        case .initialized: return "INIT"
        case .readyToReceive: return "RTR"
        case .readyToSend: return "RTS"
        case .sendQueueDrain: return "SQD"
        case .sendQueueError: return "SQE"
        case .error: return "ERR"
        case .unknown: return "UNKNOWN"
        }
    }
}

extension QueuePair {
    /// The current state, asked of the device. The corresponding verb is `ibv_query_qp`.
    public func queryState() throws(VerbsError) -> QueuePairState {
        var attributes = ibv_qp_attr()
        var initAttributes = ibv_qp_init_attr()
        try VerbsError.check(
            returnCode: ibv_query_qp(pointer, &attributes, Int32(IBV_QP_STATE.rawValue), &initAttributes),
            "ibv_query_qp")
        return QueuePairState(rawValue: attributes.qp_state.rawValue) ?? .unknown
    }

    /// Moves the QP to ERROR: every outstanding work request then completes with
    /// `.flushError`, which is how a connection's requests are drained before
    /// teardown. The corresponding verb is `ibv_modify_qp`.
    public func moveToError() throws(VerbsError) {
        var attributes = ibv_qp_attr()
        attributes.qp_state = IBV_QPS_ERR
        try VerbsError.check(
            returnCode: ibv_modify_qp(pointer, &attributes, Int32(IBV_QP_STATE.rawValue)), "ibv_modify_qp"
        )
    }
}
