import Backends
import NVMe

// The seam between the transport-agnostic target and a fabric (RDMA, or the
// in-process transport used by tests). Compare `nvmet_fabrics_ops` (Linux)
// and `spdk_nvmf_transport_ops` (SPDK).
//
// Per command, on the queue's poll group thread:
//   1. `TargetQueue.plan(_:inCapsuleDataLength:)` classifies the command:
//      direction, transfer length, SGL validity. A non-success plan is
//      completed by the transport at once with that status (no execute).
//   2. The transport gets the data in place: in-capsule data where it lies,
//      or an RDMA READ into a registered buffer for keyed host-to-controller
//      data, or a registered buffer with room for controller-to-host data.
//   3. `TargetQueue.execute(_:data:slot:)` runs the command. `.completed`
//      results are sent at once; `.pending` ones come back later through
//      `TransportQueue.completeRequest(slot:result:)`, exactly once per slot.
//   4. The transport sends `bytesToHost` bytes of the buffer (RDMA WRITE),
//      then the CQE with the result's status/DW0/DW1 and its own CID, SQID
//      and SQHD.

/// The limits a transport imposes, passed when a queue is created. The
/// target reports them to the host (MDTS, IOCCSZ, SGLS, MAXCMD, CAP.MQES,
/// Number of Queues) and enforces them.
public struct TransportOptions: Hashable, Sendable {
    /// Bytes of in-capsule data an I/O queue accepts after the 64-byte SQE
    /// (0 disables in-capsule data; the admin queue never carries any).
    public var inCapsuleDataSize: Int
    /// Largest data transfer of one command in bytes (MDTS, rounded down to a power of two pages).
    public var maxIOSize: Int
    /// Deepest I/O queue (CAP.MQES + 1, MAXCMD).
    public var maxQueueDepth: Int
    /// Deepest admin queue (Linux uses 32).
    public var maxAdminQueueDepth: Int
    /// Most I/O queues per controller (Number of Queues, largest QID).
    public var maxIOQueues: Int
    /// min_kato: the shortest keep-alive timeout (ms) a controller runs with.
    /// A smaller KATO from Connect or Set Features is raised to it, and when
    /// it is not 0 an NVM controller may not switch keep-alive off either
    /// (KATO 0 becomes this value). 0 (the default) keeps the spec's meaning
    /// of KATO 0 for NVM controllers: no keep-alive timer.
    public var minKeepAliveTimeoutMS: UInt32

    public init(
        inCapsuleDataSize: Int = 4096, maxIOSize: Int = 128 * 1024, maxQueueDepth: Int = 128,
        maxAdminQueueDepth: Int = 32, maxIOQueues: Int = 127, minKeepAliveTimeoutMS: UInt32 = 0
    ) {
        self.minKeepAliveTimeoutMS = minKeepAliveTimeoutMS
        self.inCapsuleDataSize = max(inCapsuleDataSize, 0)
        self.maxIOSize = max(maxIOSize, 4096)
        self.maxQueueDepth = min(max(maxQueueDepth, 2), 65536)
        self.maxAdminQueueDepth = min(max(maxAdminQueueDepth, 2), 4096)
        self.maxIOQueues = min(max(maxIOQueues, 1), 0xFFFE)
    }
}

/// What the transport must do with a command before executing it.
@frozen
public struct CommandPlan: Hashable, Sendable {
    /// Non-success: complete the command with this status now; do not execute.
    public var status: NVMeStatus
    /// Direction of the data.
    public var direction: DataDirection
    /// The SGL descriptor kind (keyed: RDMA READ/WRITE; in-capsule: data is in the capsule).
    public var kind: SGLKind
    /// Bytes to move (0 when `direction` is `.none`).
    public var length: Int
    /// For in-capsule data: offset of the data within the in-capsule area.
    public var inCapsuleOffset: Int

    @inlinable
    public init(status: NVMeStatus, direction: DataDirection, kind: SGLKind, length: Int, inCapsuleOffset: Int) {
        self.status = status
        self.direction = direction
        self.kind = kind
        self.length = length
        self.inCapsuleOffset = inCapsuleOffset
    }
}

/// The outcome of one command, minus what the transport owns (CID, SQID, SQHD).
@frozen
public struct CommandResult: Hashable, Sendable {
    /// Status for the CQE.
    public var status: NVMeStatus
    /// CQE DW0.
    public var dword0: UInt32
    /// CQE DW1.
    public var dword1: UInt32
    /// Bytes at the start of the data buffer to send to the host before the CQE.
    public var bytesToHost: Int

    @inlinable
    public init(status: NVMeStatus, dword0: UInt32 = 0, dword1: UInt32 = 0, bytesToHost: Int = 0) {
        self.status = status
        self.dword0 = dword0
        self.dword1 = dword1
        self.bytesToHost = bytesToHost
    }

    /// Success, sending `bytesToHost` bytes of data.
    @inlinable
    public static func success(bytesToHost: Int = 0, dword0: UInt32 = 0, dword1: UInt32 = 0) -> CommandResult {
        CommandResult(status: .success, dword0: dword0, dword1: dword1, bytesToHost: bytesToHost)
    }

    /// Failure with `status` and no data.
    @inlinable
    public static func failure(_ status: NVMeStatus, dword0: UInt32 = 0) -> CommandResult {
        CommandResult(status: status, dword0: dword0)
    }
}

/// What `TargetQueue.execute` returns.
@frozen
public enum ExecuteOutcome: Hashable, Sendable {
    /// Done: send the result now. The slot is the transport's again.
    case completed(CommandResult)
    /// Backend I/O or an Asynchronous Event Request is in flight; the result
    /// arrives through `TransportQueue.completeRequest(slot:result:)`. The data
    /// buffer must stay valid until then.
    case pending
}

/// What the target needs from one transport connection (one NVMe queue).
///
/// Called on the poll group thread of the queue, except `disconnect()`,
/// which the target may call from any thread (keep-alive expiry found on
/// the admin queue's thread tears down I/O queues on other threads).
public protocol TransportQueue: AnyObject {
    /// Finishes a command that `execute` answered `.pending`: send
    /// `result.bytesToHost` bytes of its data buffer, then the CQE, then free
    /// the slot. Called exactly once per pending slot, also after
    /// `TargetQueue.transportDidDisconnect()` (then only free the slot).
    func completeRequest(slot: UInt32, result: CommandResult)

    /// The target wants this queue gone (keep-alive expiry, controller
    /// teardown). The transport disconnects and later calls
    /// `TargetQueue.transportDidDisconnect()` on the queue's thread.
    func disconnect()

    /// Fabrics Connect succeeded on this queue (called once, on the queue's
    /// thread, under the target's lock). A transport that bounds how many
    /// not-yet-connected queues one host may hold counts from here.
    func fabricsConnected()
}

extension TransportQueue {
    public func fabricsConnected() {}
}

extension NVMeStatus {
    /// The one place a backend failure becomes wire status.
    @inlinable
    public init(_ error: BlockDeviceError) {
        switch error {
        case .outOfRange: self = .lbaOutOfRange
        case .misaligned, .shortTransfer: self = .dataTransferError
        case .readFailed: self = .unrecoveredReadError
        case .writeFailed: self = .writeFault
        case .readOnly: self = .writeToReadOnly
        case .unavailable: self = .internalPathError
        case .setup: self = .internalError
        }
    }
}
