import CVerbs

/// The outcome of one work request (`struct ibv_wc`, 48 bytes), read in place.
///
/// `@frozen` over a single `ibv_wc`, so `CompletionQueue.poll(into:)` lets the
/// provider write straight into a caller's preallocated buffer of these.
@frozen
public struct WorkCompletion {
    public var raw: ibv_wc

    @inlinable public init() { raw = ibv_wc() }

    /// The caller-chosen id of the work request this completes.
    @inlinable public var workRequestID: UInt64 { raw.wr_id }
    /// Success or the reason it failed.
    @inlinable public var status: WorkCompletionStatus {
        WorkCompletionStatus(rawValue: raw.status.rawValue)
    }
    /// True when `status == .success`.
    @inlinable public var isSuccess: Bool { raw.status == IBV_WC_SUCCESS }
    /// What completed. Only meaningful when `isSuccess` (the field is undefined on error).
    @inlinable public var opcode: WorkCompletionOpcode {
        WorkCompletionOpcode(rawValue: raw.opcode.rawValue)
    }
    /// Bytes received (receive completions) or read (RDMA READ).
    @inlinable public var byteLength: UInt32 { raw.byte_len }
    /// The local QP the work request ran on; for SRQ receives this names the connection.
    @inlinable public var queuePairNumber: UInt32 { raw.qp_num }
    /// True when the peer's SEND_WITH_INV invalidated `invalidatedRKey` (IBV_WC_WITH_INV).
    @inlinable public var hasInvalidatedRKey: Bool { raw.wc_flags & IBV_WC_WITH_INV.rawValue != 0 }
    /// The rkey the peer invalidated; valid only when `hasInvalidatedRKey`.
    @inlinable public var invalidatedRKey: UInt32 { raw.invalidated_rkey }
    /// True when immediate data came with the receive (IBV_WC_WITH_IMM).
    @inlinable public var hasImmediateData: Bool { raw.wc_flags & IBV_WC_WITH_IMM.rawValue != 0 }
    /// Vendor-specific error detail, for logs.
    @inlinable public var vendorError: UInt32 { raw.vendor_err }
}

/// `enum ibv_wc_status` as a Swift value with names.
@frozen
public struct WorkCompletionStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var success: Self { Self(rawValue: IBV_WC_SUCCESS.rawValue) }
    @inlinable public static var localLengthError: Self { Self(rawValue: IBV_WC_LOC_LEN_ERR.rawValue) }
    @inlinable public static var localProtectionError: Self { Self(rawValue: IBV_WC_LOC_PROT_ERR.rawValue) }
    /// The QP went to error; every outstanding WR completes with this.
    @inlinable public static var flushError: Self { Self(rawValue: IBV_WC_WR_FLUSH_ERR.rawValue) }
    @inlinable public static var remoteAccessError: Self { Self(rawValue: IBV_WC_REM_ACCESS_ERR.rawValue) }
    @inlinable public static var remoteInvalidRequestError: Self { Self(rawValue: IBV_WC_REM_INV_REQ_ERR.rawValue) }
    @inlinable public static var retryExceeded: Self { Self(rawValue: IBV_WC_RETRY_EXC_ERR.rawValue) }
    @inlinable public static var receiverNotReadyRetryExceeded: Self {
        Self(rawValue: IBV_WC_RNR_RETRY_EXC_ERR.rawValue)
    }

    /// libibverbs' name for the status (`ibv_wc_status_str`).
    public var description: String {
        String(cString: ibv_wc_status_str(ibv_wc_status(rawValue: rawValue)))
    }
}

/// `enum ibv_wc_opcode` as a Swift value.
@frozen
public struct WorkCompletionOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var send: Self { Self(rawValue: IBV_WC_SEND.rawValue) }
    @inlinable public static var rdmaWrite: Self { Self(rawValue: IBV_WC_RDMA_WRITE.rawValue) }
    @inlinable public static var rdmaRead: Self { Self(rawValue: IBV_WC_RDMA_READ.rawValue) }
    @inlinable public static var localInvalidate: Self { Self(rawValue: IBV_WC_LOCAL_INV.rawValue) }
    @inlinable public static var receive: Self { Self(rawValue: IBV_WC_RECV.rawValue) }
    @inlinable public static var receiveRDMAWithImmediate: Self { Self(rawValue: IBV_WC_RECV_RDMA_WITH_IMM.rawValue) }

    /// True for any receive-side completion (the C API's `opcode & IBV_WC_RECV` test).
    @inlinable public var isReceive: Bool { rawValue & IBV_WC_RECV.rawValue != 0 }

    public var description: String {
        switch self {
        case .send: return "SEND"
        case .rdmaWrite: return "RDMA_WRITE"
        case .rdmaRead: return "RDMA_READ"
        case .localInvalidate: return "LOCAL_INV"
        case .receive: return "RECV"
        case .receiveRDMAWithImmediate: return "RECV_RDMA_WITH_IMM"
        default: return "opcode(\(rawValue))"
        }
    }
}
