import Backends
import NVMe

/// A transport connection inside the process, for tests and benchmarks:
/// the "host" writes commands and data straight into preallocated slot
/// buffers and reads completions from a preallocated ring.
///
/// It does what an RDMA queue does, minus the wire: `plan`, place the data
/// (in-capsule data at its offset in the slot buffer, keyed data at the
/// start of it, as if an RDMA READ had landed), `execute`, and turn results
/// into CQEs with the transport's CID, SQID and SQHD. Nothing allocates per
/// command.
public final class InProcessQueue: TransportQueue {
    /// The target's side, valid after `init`.
    @exclusivity(unchecked) public private(set) var targetQueue: TargetQueue!
    /// Data buffer of each slot.
    public let buffers: [WireBuffer]
    /// Set when the target asked for a disconnect.
    @exclusivity(unchecked) public private(set) var disconnectRequested = false
    /// Set after `hostDisconnect()`.
    @exclusivity(unchecked) public private(set) var isDisconnected = false

    @exclusivity(unchecked) var commandIDs: ContiguousArray<UInt16>
    @exclusivity(unchecked) var busy: ContiguousArray<Bool>
    @exclusivity(unchecked) var ring: ContiguousArray<InProcessCompletion>
    @exclusivity(unchecked) var ringHead = 0
    @exclusivity(unchecked) var ringCount = 0
    @exclusivity(unchecked) var submissionQueueHead: UInt16 = 0

    /// Creates a connection on `pollGroup`.
    ///
    /// - Parameters:
    ///   - slotCount: commands that may be in flight at once.
    ///   - bufferSize: bytes of each slot's data buffer (largest transfer
    ///     plus in-capsule data).
    ///   - negotiated: a QID and depth to hold Connect to, as a transport with
    ///     a connection handshake would (RDMA CM); nil (the default) leaves
    ///     both to Connect, since nothing is negotiated in process.
    public init(
        pollGroup: PollGroup, options: TransportOptions, slotCount: Int = 32, bufferSize: Int = 8192,
        negotiated: NegotiatedQueue? = nil, listener: ListenerAddress? = nil
    ) throws(TargetError) {
        buffers = (0..<slotCount).map { _ in WireBuffer(count: bufferSize) }
        commandIDs = ContiguousArray(repeating: 0, count: slotCount)
        busy = ContiguousArray(repeating: false, count: slotCount)
        ring = ContiguousArray(repeating: InProcessCompletion(), count: slotCount + 1)
        targetQueue = try pollGroup.addQueue(
            transport: self, options: options, slotCount: slotCount, negotiated: negotiated, listener: listener)
    }

    /// Submits `command` in `slot`.
    ///
    /// Host-to-controller data must already be in `buffers[slot]` (at the
    /// in-capsule offset for in-capsule SGLs, at 0 for keyed ones).
    ///
    /// - Parameter inCapsuleDataLength: bytes of in-capsule data "received".
    /// - Returns: false if the slot is busy or the queue is disconnected.
    @discardableResult
    public func submit(_ command: SubmissionQueueEntry, slot: UInt32, inCapsuleDataLength: Int = 0) -> Bool {
        let i = Int(slot)
        guard i < busy.count, !busy[i], !isDisconnected else { return false }
        busy[i] = true
        commandIDs[i] = command.commandID
        submissionQueueHead = submissionQueueHead &+ 1
        let plan = targetQueue.plan(command, inCapsuleDataLength: inCapsuleDataLength)
        guard plan.status.isSuccess else {
            completeRequest(slot: slot, result: .failure(plan.status))
            return true
        }
        let data: IOBuffer
        switch plan.kind {
        case _ where plan.direction == .none: data = .empty
        case .inCapsule: data = IOBuffer(buffers[i].span(offset: plan.inCapsuleOffset, length: plan.length))
        default: data = IOBuffer(buffers[i].span(offset: 0, length: plan.length))
        }
        if case .completed(let result) = targetQueue.execute(command, data: data, slot: slot) {
            completeRequest(slot: slot, result: result)
        }
        return true
    }

    /// Takes the oldest completion, if any.
    public func nextCompletion() -> InProcessCompletion? {
        guard ringCount > 0 else { return nil }
        let c = ring[ringHead]
        ringHead = (ringHead + 1) % ring.count
        ringCount -= 1
        return c
    }

    /// True while `slot` holds a command the target has not completed.
    public func isBusy(slot: UInt32) -> Bool { Int(slot) < busy.count && busy[Int(slot)] }

    /// Completions waiting.
    public var pendingCompletions: Int { ringCount }

    /// The host drops the connection (or completes the one the target asked for).
    public func hostDisconnect() {
        guard !isDisconnected else { return }
        isDisconnected = true
        targetQueue.transportDidDisconnect()
    }

    // MARK: TransportQueue

    public func completeRequest(slot: UInt32, result: CommandResult) {
        let i = Int(slot)
        guard i < busy.count, busy[i] else { return }
        busy[i] = false
        let cqe = CompletionQueueEntry(
            dword0: result.dword0, dword1: result.dword1,
            submissionQueueHead: targetQueue.disablesSQFlowControl ? 0xFFFF : submissionQueueHead,
            submissionQueueID: targetQueue.queueID, commandID: commandIDs[i], status: result.status.rawValue)
        // A real transport sends nothing after a disconnect; it only frees the slot.
        guard !isDisconnected else { return }
        let tail = (ringHead + ringCount) % ring.count
        ring[tail] = InProcessCompletion(slot: slot, entry: cqe, bytesToHost: result.bytesToHost)
        ringCount += 1
    }

    public func disconnect() { disconnectRequested = true }
}

/// A completion as the host sees it.
@frozen
public struct InProcessCompletion: Hashable, Sendable {
    /// The slot the command used.
    public var slot: UInt32 = 0
    /// The CQE.
    public var entry: CompletionQueueEntry = CompletionQueueEntry()
    /// Bytes of controller-to-host data at the start of the slot's buffer.
    public var bytesToHost: Int = 0

    public init(slot: UInt32 = 0, entry: CompletionQueueEntry = CompletionQueueEntry(), bytesToHost: Int = 0) {
        self.slot = slot
        self.entry = entry
        self.bytesToHost = bytesToHost
    }
}
