import NVMe
import Target

/// Where one command is in its life on the target (compare SPDK's
/// `spdk_nvmf_rdma_request_state`; reference §2.2). One `process` function
/// moves a request forward until it must wait for a completion.
@frozen
public enum RequestState: UInt8, Sendable {
    /// Slot unused.
    case free
    /// A capsule arrived; not yet classified.
    case new
    /// Needs a registered data buffer (waits on the connection's buffer list when the pool is dry).
    case needBuffer
    /// Has its buffer; waits for read depth and send-queue room to post the RDMA READ.
    case transferPending
    /// RDMA READ of the host's data in flight.
    case transferringHostToController
    /// Data in place; next step is `TargetQueue.execute`.
    case readyToExecute
    /// The target (backend I/O, AER) holds the request until `completeRequest`.
    case executing
    /// Result known; the response must be sent.
    case executed
    /// Waits for send-queue room for RDMA WRITE + SEND.
    case responsePending
    /// RDMA WRITE (if any) and the response SEND posted; waits for the SEND completion.
    case completing
}

/// One command slot. Lives in preallocated storage of its connection; nothing
/// here is a class or allocates.
struct RdmaRequest {
    var state: RequestState = .free
    /// Receive buffer holding the capsule; -1 once handed back to the receive queue.
    var receiveIndex: Int32 = -1
    /// Data buffer from the pool; -1 when none.
    var bufferIndex: Int32 = -1
    /// Bytes of in-capsule data that arrived after the SQE.
    var inCapsuleLength: Int = 0
    var command = SubmissionQueueEntry(opcode: 0)
    var plan = CommandPlan(
        status: .success, direction: .none, kind: .unsupported, length: 0, inCapsuleOffset: 0)
    var result = CommandResult(status: .success)
    /// Send-queue WRs of this request not yet accounted as completed.
    var sendWorkRequests: Int32 = 0
    /// Next request in whichever wait list this one is on (-1: last).
    var next: Int32 = -1
}

/// A FIFO of request slots linked through `RdmaRequest.next`: waiting never allocates.
struct RequestList {
    var head: Int32 = -1
    var tail: Int32 = -1

    @inline(__always) var isEmpty: Bool { head < 0 }

    @inline(__always)
    mutating func append(_ slot: Int32, _ requests: UnsafeMutablePointer<RdmaRequest>) {
        requests[Int(slot)].next = -1
        if tail >= 0 { requests[Int(tail)].next = slot } else { head = slot }
        tail = slot
    }

    @inline(__always)
    mutating func popFirst(_ requests: UnsafeMutablePointer<RdmaRequest>) -> Int32? {
        guard head >= 0 else { return nil }
        let slot = head
        head = requests[Int(slot)].next
        if head < 0 { tail = -1 }
        requests[Int(slot)].next = -1
        return slot
    }
}
