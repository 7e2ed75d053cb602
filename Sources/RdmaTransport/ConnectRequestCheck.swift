import NVMe

/// The outcome of checking an RDMA CM CONNECT_REQUEST against the NVMe-oF
/// RDMA binding (reference §1.2) and the transport's limits.
public enum ConnectDecision: Hashable, Sendable {
    /// Accept with these parameters.
    case accept(AcceptParameters)
    /// Reject with this NVMe-oF RDMA status in the reject private data.
    case reject(RDMARejectStatus)
}

/// What the target grants a new queue.
public struct AcceptParameters: Hashable, Sendable {
    /// QID from the private data (0 = admin queue).
    public var queueID: UInt16
    /// Commands the host may have outstanding: request slots and, without an
    /// SRQ, receive buffers. Also CRQSIZE in the accept private data.
    public var queueDepth: Int
    /// RDMA READs this side may have in flight on the QP (our ORD, the accept's
    /// initiator_depth): min(host's responder resources, device ORD limit).
    public var readDepth: Int
    /// In-capsule data bytes this queue takes after the SQE (0 on the admin queue).
    public var inCapsuleDataSize: Int
}

/// Checks a CONNECT_REQUEST.
///
/// - Parameters:
///   - privateData: the request's private data (IB CM pads it with zeros to 56 bytes).
///   - hostResponderResources: the connect parameters' `initiator_depth` as
///     the target sees it: how many RDMA READs the host serves at once.
///   - deviceReadLimit: `max_qp_init_rd_atom` of the device.
///   - deviceMaxWorkRequests: `max_qp_wr` (or `max_srq_wr`) of the device.
public func checkConnectRequest(
    privateData: [UInt8], hostResponderResources: Int, options: RdmaTransportOptions,
    deviceReadLimit: Int,
    deviceMaxWorkRequests: Int
) -> ConnectDecision {
    let decoded = privateData.withUnsafeBytes { RDMAConnectRequestPrivateData(decoding: $0) }
    guard let request = decoded else { return .reject(.invalidLength) }
    guard request.recordFormat == 0 else { return .reject(.invalidRecordFormat) }
    let isAdmin = request.queueID == 0
    guard Int(request.queueID) <= options.maxIOQPairsPerController else {
        return .reject(.invalidQueueID)
    }
    let limit = isAdmin ? options.maxAdminQueueDepth : options.maxQueueDepth
    // HSQSIZE is 0's based: the host sends at most HSQSIZE + 1 commands at once.
    let submissionDepth = Int(request.hostSendQueueSize) + 1
    guard request.hostSendQueueSize > 0, submissionDepth <= limit else {
        return .reject(.invalidHostSendQueueSize)
    }
    // HRQSIZE (1's based) is how many completions the host can take; it must
    // cover every command it may send.
    guard Int(request.hostReceiveQueueSize) >= submissionDepth else {
        return .reject(.invalidHostReceiveQueueSize)
    }
    guard hostResponderResources > 0 else { return .reject(.invalidIRD) }
    // The QP's send queue holds 2 × depth + 1 WRs (data + response per
    // command, plus one), which must fit in the device's max_qp_wr.
    let depth = min(submissionDepth, max((deviceMaxWorkRequests - 1) / 2, 1))
    let readDepth = max(1, min(hostResponderResources, deviceReadLimit, depth))
    return .accept(
        AcceptParameters(
            queueID: request.queueID, queueDepth: depth, readDepth: readDepth,
            inCapsuleDataSize: isAdmin ? 0 : options.inCapsuleDataSize))
}

extension RDMARejectStatus {
    /// The 4-byte reject private data.
    public var rejectPrivateData: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: RDMARejectPrivateData.wireSize)
        bytes.withUnsafeMutableBytes { RDMARejectPrivateData(status: self).encode(into: $0) }
        return bytes
    }
}

extension AcceptParameters {
    /// The 32-byte accept private data (CRQSIZE = granted depth).
    public var acceptPrivateData: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: RDMAAcceptPrivateData.wireSize)
        bytes.withUnsafeMutableBytes {
            RDMAAcceptPrivateData(controllerReceiveQueueSize: UInt16(truncatingIfNeeded: queueDepth))
                .encode(
                    into: $0)
        }
        return bytes
    }
}
