import Atomics
import Backends
import NVMe

/// The target's side of one transport connection (one NVMe queue).
///
/// Made by `PollGroup.addQueue`, used only on that poll group's thread. Its
/// first command must be a Fabrics Connect; after that it is the admin
/// queue (QID 0) or an I/O queue of one controller. I/O commands run here
/// without locks or allocation; admin and Fabrics commands run under the
/// target's control lock.
public final class TargetQueue {
    unowned(unsafe) let target: NVMfTarget
    unowned(unsafe) let pollGroup: PollGroup
    /// The transport connection; released when the queue retires.
    @exclusivity(unchecked) public internal(set) var transport: (any TransportQueue)?
    /// Limits of the transport this queue belongs to.
    public let options: TransportOptions
    /// Index in the poll group's queue table (the high half of backend tags).
    let queueIndex: Int
    /// QID and depth the transport agreed with the host before Connect (its
    /// depth capped at the slot count), or nil when the transport negotiates
    /// nothing. Connect must match it (`FabricsCommands.swift`).
    public let negotiated: NegotiatedQueue?
    /// The listener the connection arrived through (the transport's
    /// `listen` address), or nil for a transport without listeners (the
    /// in-process one). Connect to an NVM subsystem requires it to be one of
    /// the subsystem's.
    public let listener: ListenerAddress?

    /// QID from Connect (0 = admin). Valid once `isConnected`.
    @exclusivity(unchecked) public internal(set) var queueID: UInt16 = 0
    /// True after a successful Connect.
    @exclusivity(unchecked) public internal(set) var isConnected = false
    /// Connect CATTR bit 2: the transport reports SQHD = FFFFh.
    @exclusivity(unchecked) public internal(set) var disablesSQFlowControl = false
    /// Queue depth from Connect (SQSIZE + 1).
    public internal(set) var queueDepth = 0

    @exclusivity(unchecked) var controller: Controller?
    @exclusivity(unchecked) var subsystem: Subsystem?
    let counters = IOCounters()

    // I/O path state: touched only on the poll group thread.
    @exclusivity(unchecked) var namespaceGeneration: UInt64 = .max
    /// The subsystem's generation counter (a copy of its `UnsafeAtomic`; valid while `subsystem` is set).
    @exclusivity(unchecked) var generationWatch: UnsafeAtomic<UInt64>?
    @exclusivity(unchecked) var namespaces: ContiguousArray<NamespaceEntry> = []
    @exclusivity(unchecked) var ioPaused = true
    @exclusivity(unchecked) var slots: ContiguousArray<SlotState>
    @exclusivity(unchecked) var outstandingBackend = 0
    @exclusivity(unchecked) var isClosed = false
    /// When a queue that has not completed Connect is disconnected (ms on
    /// the `PollGroup.tick` clock); armed by the first tick that sees it.
    var connectDeadline: UInt64?

    /// How long a queue may stay open without completing Fabrics Connect.
    /// The Linux and SPDK hosts send Connect as soon as the transport is up;
    /// a queue that never does only holds resources (a flooding host opened
    /// hundreds), so it is disconnected after this long.
    public static let connectTimeoutMS: UInt64 = 10_000

    init(
        target: NVMfTarget, pollGroup: PollGroup, transport: any TransportQueue, options: TransportOptions,
        slotCount: Int, negotiated: NegotiatedQueue?, listener: ListenerAddress?, queueIndex: Int
    ) {
        self.listener = listener
        self.target = target
        self.pollGroup = pollGroup
        self.transport = transport
        self.options = options
        self.queueIndex = queueIndex
        self.slots = ContiguousArray(repeating: SlotState(), count: max(slotCount, 1))
        // More commands than slots could never be in flight, whatever the
        // transport believes it negotiated.
        self.negotiated = negotiated.map {
            NegotiatedQueue(queueID: $0.queueID, queueDepth: min($0.queueDepth, max(slotCount, 1)))
        }
    }

    /// CNTLID of the controller this queue belongs to, once connected.
    public var controllerID: UInt16? { target.lock.withLock { controller?.controllerID } }

    // MARK: Classification

    /// Classifies a command before any data moves.
    ///
    /// Checks FLAGS (no fused commands, PSDT = 01b: SGL), rejects
    /// bidirectional opcodes, and validates SGL1 against the in-capsule data
    /// received and the transport's largest transfer.
    ///
    /// - Parameter inCapsuleDataLength: bytes received after the 64-byte SQE.
    /// - Returns: a plan; if its status is not success, send that status
    ///   without executing.
    public func plan(_ command: SubmissionQueueEntry, inCapsuleDataLength: Int) -> CommandPlan {
        let sgl = command.dataPointer
        if command.fuse != 0 || command.psdt != 1 {
            return CommandPlan(
                status: NVMeStatus.invalidField.at(1), direction: .none, kind: sgl.kind, length: 0, inCapsuleOffset: 0)
        }
        let direction = command.dataDirection
        if direction == .bidirectional {
            return CommandPlan(
                status: .invalidOpcode, direction: .none, kind: sgl.kind, length: 0, inCapsuleOffset: 0)
        }
        // Lengths and offsets come back proven in range (`SGLTransfer`): a
        // wire value is never converted or added unchecked.
        let transfer = sgl.transfer(
            direction: direction, inCapsuleDataLength: inCapsuleDataLength, maxTransferLength: options.maxIOSize)
        return CommandPlan(
            status: transfer.status, direction: direction, kind: sgl.kind, length: transfer.length,
            inCapsuleOffset: transfer.inCapsuleOffset)
    }

    // MARK: Execution

    /// Executes one command.
    ///
    /// - Parameters:
    ///   - command: the SQE.
    ///   - data: host-to-controller data already fetched, or room for
    ///     controller-to-host data; its `count` is the SGL length
    ///     (`plan.length`). `.empty` when the command moves no data.
    ///   - slot: the transport's slot for this command (< the `slotCount`
    ///     given to `PollGroup.addQueue`); echoed in `completeRequest`.
    /// - Returns: `.completed` (send now) or `.pending` (wait for `completeRequest`).
    public func execute(_ command: SubmissionQueueEntry, data: IOBuffer, slot: UInt32) -> ExecuteOutcome {
        pollGroup.assertOwnerThread()
        IOCounters.bump(counters.commands, 1)
        // A slot outside the range the transport declared is the transport's
        // bug; refuse it rather than index out of bounds.
        guard Int(slot) < slots.count else { return .completed(.failure(.internalError)) }
        if queueID != 0 && isConnected && !command.isFabrics {
            return executeIO(command, data: data, slot: slot)
        }
        var actions = DeferredActions()
        let outcome = target.lock.withLock { executeControlLocked(command, data: data, slot: slot, &actions) }
        actions.run()
        return outcome
    }

    /// The transport lost the connection (host disconnect, error) or finished
    /// the disconnect the target asked for.
    ///
    /// An admin queue's controller is torn down (its outstanding AERs are
    /// completed with Command Aborted due to SQ Deletion and its I/O queues
    /// are asked to disconnect); an I/O queue leaves its controller. Backend
    /// I/O still in flight completes through `completeRequest` as usual;
    /// the queue leaves its poll group once none is left.
    public func transportDidDisconnect() {
        pollGroup.assertOwnerThread()
        var actions = DeferredActions()
        target.lock.withLock {
            guard !isClosed else { return }
            isClosed = true
            guard let c = controller else { return }
            if queueID == 0, c.adminQueue === self {
                c.abortEventsLocked(&actions)
                c.adminQueue = nil
                c.tearDownLocked(reason: "admin queue disconnected", &actions)
            } else if c.ioQueues[queueID] === self {
                c.ioQueues[queueID] = nil
                c.retiredCounters.add(counters.snapshot)
            }
        }
        actions.run()
        if outstandingBackend == 0 { retire() }
    }

    /// Leaves the poll group and drops the transport and controller references.
    func retire() {
        guard isClosed, transport != nil else { return }
        target.lock.withLock {
            transport = nil
            controller = nil
            generationWatch = nil
            subsystem = nil
        }
        pollGroup.releaseQueue(queueIndex)
    }

    // MARK: Control path

    func executeControlLocked(
        _ command: SubmissionQueueEntry, data: IOBuffer, slot: UInt32, _ actions: inout DeferredActions
    ) -> ExecuteOutcome {
        if command.isFabrics {
            switch command.fabricsCommandType {
            case FabricsCommandType.connect:
                return .completed(executeConnectLocked(command, data: data))
            case FabricsCommandType.propertyGet, FabricsCommandType.propertySet:
                guard isConnected, let c = controller else { return .completed(.failure(.commandSequenceError)) }
                guard queueID == 0 else { return .completed(.failure(.invalidOpcode)) }
                return .completed(executePropertyLocked(c, command, &actions))
            default:
                guard isConnected else { return .completed(.failure(.commandSequenceError)) }
                return .completed(.failure(NVMeStatus.invalidField.at(4)))
            }
        }
        guard isConnected, let c = controller else { return .completed(.failure(.commandSequenceError)) }
        if c.isTornDown { return .completed(.failure(.abortedSQDeletion)) }
        guard c.isReady else {
            c.recordErrorLocked(queueID: queueID, commandID: command.commandID, status: .commandSequenceError)
            return .completed(.failure(.commandSequenceError))
        }
        let outcome = executeAdminLocked(c, command, data: data, slot: slot, &actions)
        if case .completed(let r) = outcome, !r.status.isSuccess {
            c.recordErrorLocked(
                queueID: queueID, commandID: command.commandID, status: r.status, namespaceID: command.namespaceID)
        }
        return outcome
    }
}

/// Per-slot state of a command waiting for the backend.
struct SlotState {
    /// Backend operations still to complete.
    var remaining: UInt16 = 0
    /// First failure seen, or success.
    var status: NVMeStatus = .success
    /// Opcode, for counters and the data length to send.
    var opcode: UInt8 = 0
    /// Data bytes (C2H for reads; counted for SMART).
    var bytes: UInt32 = 0
}
