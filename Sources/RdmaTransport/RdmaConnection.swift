import Backends
import CVerbs
import Logging
import NVMe
import Synchronization
import Target
import Verbs

/// One NVMe queue over one RDMA connection: its QP, request slots, response
/// buffers and send-queue accounting. Implements the Target's `TransportQueue`.
///
/// Everything except `disconnect()` runs on the owning poll group's thread.
final class RdmaConnection: TransportQueue {
    unowned(unsafe) let group: RdmaPollGroup
    unowned(unsafe) let poller: DevicePoller
    let parameters: AcceptParameters
    let logger: Logger
    /// Owned by the CM thread: it destroys the id once the group reports the connection gone.
    var cmID: ConnectionID?
    var queuePair: QueuePair?
    /// Receive buffers: the poller's SRQ pool, or this connection's own pool (`no_srq`).
    unowned(unsafe) var receivePool: ReceiveBufferPool
    let ownReceivePool: ReceiveBufferPool?
    var targetQueue: TargetQueue? {
        didSet { queue = targetQueue.map { Unmanaged.passUnretained($0) } }
    }
    /// `targetQueue` unretained, for the per-command path: using it costs a
    /// load, no retain/release. Valid exactly as long as `targetQueue` holds
    /// the queue (set together); the Target's poll group keeps it alive too
    /// until it retires. QID and SQ flow control are read through it each
    /// time, never copied: Connect sets them after the queue exists.
    private(set) var queue: Unmanaged<TargetQueue>?
    /// Index in the group's connection table (in send `wr_id`s).
    var index = -1
    let queuePairNumber: UInt32

    /// The queue depth granted to the host (CRQSIZE): commands it may have
    /// outstanding, counted from its side.
    let depth: Int
    /// Request slots: twice `depth`. A command stops being outstanding for
    /// the host when it receives the response, but its slot is only free when
    /// our SEND completes, and the host's next command may arrive before that
    /// completion is polled (kernel 6.4+ rxe completes sends from a workqueue;
    /// a hardware RNIC may coalesce ACKs). nvmet allocates a spare response
    /// for the same race, SPDK parks the capsule; with `depth` more slots a
    /// host within its depth never waits here (see `commandArrived`).
    let slotCount: Int
    let requests: UnsafeMutablePointer<RdmaRequest>
    let freeSlots: UnsafeMutablePointer<Int32>
    var freeCount: Int
    /// Per slot: [0] RDMA READ or WRITE, [1] response SEND.
    let workRequests: UnsafeMutablePointer<SendWorkRequest>
    let sges: UnsafeMutablePointer<ibv_sge>
    /// 16-byte CQEs, one per slot.
    /// Released by `destroy()`: it pins the PD, and a removed device is
    /// released only when nothing pins its PD (DeviceRemoval.swift), while the
    /// Target may keep this object until its queue retires.
    private(set) var responseRegion: MemoryRegion?
    let responseBytes: UnsafeMutableRawPointer
    let responseAddress: UInt64
    let responseKey: UInt32

    let maxSendWorkRequests: Int
    var sendDepth = 0
    var readsInFlight = 0
    var submissionQueueHead: UInt16 = 0
    /// Commands accepted whose response has not been posted yet: what the
    /// host must count against `depth`. Above `depth` it broke flow control.
    var hostOutstanding = 0
    /// Capsules (receive index, byte length) that arrived within the host's
    /// depth while every slot was still completing; started as slots free.
    /// At most `depth` long, since each one counts in `hostOutstanding`.
    let parked: UnsafeMutablePointer<(index: Int32, length: Int32)>
    var parkedHead = 0
    var parkedCount = 0
    var waitingBuffer = RequestList()
    var waitingTransfer = RequestList()
    var waitingResponse = RequestList()
    /// Send-queue WRs built this poll iteration, linked through `raw.next`,
    /// posted with one `ibv_post_send` by `flushSends` (RdmaConnection+SendBatch.swift).
    var pendingSendHead: UnsafeMutablePointer<SendWorkRequest>? = nil
    var pendingSendTail: UnsafeMutablePointer<SendWorkRequest>? = nil

    /// `no_srq`: reposts are queued in `ownReceivePool` and the group has
    /// this connection on its receive-flush list (cleared by that flush).
    var receivesQueued = false
    /// The connection is going away: nothing more is sent; slots drain.
    var isClosing = false
    /// Set by `close()` (poll group thread), read by the CM thread. A host may
    /// send its first capsule before our CM has the RTU: until then the CM id
    /// is not established, and `rdma_disconnect` moves the QP to error but
    /// sends no DREQ (and still returns success), so the host would never hear
    /// of the close. The CM thread disconnects again on ESTABLISHED.
    let disconnectRequested = Atomic<Bool>(false)
    /// Fabrics Connect succeeded (set on the poll group thread, read by the
    /// CM thread to count a host's queues still in their handshake).
    let hasConnected = Atomic<Bool>(false)
    /// The host's address, for the CM thread's per-host bounds ("" if unknown).
    var peer = ""
    /// The target's listener the host connected through (set on the CM thread before the group sees the connection).
    var listener: ListenerAddress?
    /// CQ entries reserved for this connection (the CM thread's accounting per host).
    var reservedEntries = 0
    /// Send-queue work completions so far (poll group thread): the send
    /// watchdog's measure of progress.
    var sendProgress: UInt64 = 0
    /// `sendProgress` when the watchdog last saw it move.
    var watchedSendProgress: UInt64 = 0
    /// When the watchdog first saw posted work without progress (ms), or nil.
    var sendStalledSince: UInt64? = nil
    /// Resources released; only the CM id is left for the CM thread.
    var isDestroyed = false
    /// `transportDidDisconnect` has run: the Target sends no more work.
    var targetNotified = false

    init(
        group: RdmaPollGroup, poller: DevicePoller, cmID: ConnectionID, parameters: AcceptParameters,
        logger: Logger
    ) throws(VerbsError) {
        self.group = group
        self.poller = poller
        self.cmID = cmID
        self.parameters = parameters
        self.logger = logger
        depth = parameters.queueDepth
        // Each request needs at most two send WRs at once (READ or WRITE, then SEND).
        let sendWRs = depth * 2 + 1
        var own: ReceiveBufferPool? = nil
        if poller.sharedReceiveQueue == nil {
            own = try ReceiveBufferPool(
                protectionDomain: poller.device.protectionDomain, count: depth,
                inCapsuleDataSize: parameters.inCapsuleDataSize, sharedReceiveQueue: nil)
        }
        ownReceivePool = own
        receivePool = own ?? poller.receivePool!
        let qp = try QueuePair(
            connection: cmID, protectionDomain: poller.device.protectionDomain,
            sendCompletionQueue: poller.completionQueue, receiveCompletionQueue: poller.completionQueue,
            sharedReceiveQueue: poller.sharedReceiveQueue,
            capabilities: QueuePairCapabilities(
                maxSendWorkRequests: sendWRs, maxReceiveWorkRequests: own == nil ? 0 : depth,
                maxSendSGEs: 1,
                maxReceiveSGEs: 2))
        queuePair = qp
        queuePairNumber = qp.number
        maxSendWorkRequests = sendWRs
        slotCount = depth * 2
        let responses = try poller.device.protectionDomain.allocateRegion(
            byteCount: slotCount * 16, access: [.localWrite])
        responseRegion = responses
        responseBytes = responses.bytes.baseAddress!
        responseAddress = responses.address
        responseKey = responses.lkey
        requests = .allocate(capacity: slotCount)
        requests.initialize(repeating: RdmaRequest(), count: slotCount)
        freeSlots = .allocate(capacity: slotCount)
        for slot in 0..<slotCount { freeSlots[slot] = Int32(slotCount - 1 - slot) }
        freeCount = slotCount
        workRequests = .allocate(capacity: slotCount * 2)
        workRequests.initialize(repeating: SendWorkRequest(), count: slotCount * 2)
        sges = .allocate(capacity: slotCount * 2)
        sges.initialize(repeating: ibv_sge(), count: slotCount * 2)
        parked = .allocate(capacity: depth)
        parked.initialize(repeating: (-1, 0), count: depth)
        if let own {
            own.queuePair = qp
            try own.postAll()
        }
    }

    deinit {
        requests.deallocate()
        freeSlots.deallocate()
        workRequests.deallocate()
        sges.deallocate()
        parked.deallocate()
    }

    // MARK: TransportQueue

    func completeRequest(slot: UInt32, result: CommandResult) {
        let s = Int(slot)
        guard s < slotCount, requests[s].state == .executing else {
            logger.error("completeRequest for a slot not executing", metadata: ["slot": "\(slot)"])
            return
        }
        requests[s].result = result
        requests[s].state = .executed
        process(s)
    }

    func disconnect() { group.post(.disconnect(self)) }

    func fabricsConnected() { hasConnected.store(true, ordering: .releasing) }

    // MARK: Arrival

    /// A command capsule arrived in receive buffer `receiveIndex`.
    @inline(__always)
    func commandArrived(receiveIndex: Int, byteLength: Int) {
        guard !isClosing else {
            recycleReceive(receiveIndex)
            return
        }
        guard byteLength >= 64 else {
            // A capsule shorter than an SQE: the host is broken.
            recycleReceive(receiveIndex)
            logger.warning("capsule shorter than 64 bytes; disconnecting", metadata: ["bytes": "\(byteLength)"])
            close()
            return
        }
        guard hostOutstanding < depth else {
            // More commands than the queue depth without waiting for their
            // responses to be sent: the host broke flow control.
            recycleReceive(receiveIndex)
            logger.warning(
                "host exceeded its queue depth; disconnecting", metadata: ["depth": "\(depth)"])
            close()
            return
        }
        hostOutstanding &+= 1
        submissionQueueHead = submissionQueueHead &+ 1
        if Int(submissionQueueHead) >= depth { submissionQueueHead = 0 }
        guard freeCount > 0 else {
            // Every slot still waits for its SEND completion (see `slotCount`).
            parked[(parkedHead &+ parkedCount) % depth] = (
                Int32(truncatingIfNeeded: receiveIndex), Int32(truncatingIfNeeded: byteLength)
            )
            parkedCount &+= 1
            Unmanaged.passUnretained(group)._withUnsafeGuaranteedRef {
                _ = $0.parkedCommands.add(1, ordering: .relaxed)
            }
            return
        }
        start(receiveIndex: receiveIndex, byteLength: byteLength)
    }

    /// Gives an accepted capsule a slot and runs it.
    @inline(__always)
    func start(receiveIndex: Int, byteLength: Int) {
        freeCount &-= 1
        let slot = Int(freeSlots[freeCount])
        let r = requests + slot
        r.pointee.state = .new
        r.pointee.receiveIndex = Int32(truncatingIfNeeded: receiveIndex)
        r.pointee.bufferIndex = -1
        r.pointee.command = SubmissionQueueEntry(bytes: receivePool.command(receiveIndex))
        r.pointee.inCapsuleLength = min(max(byteLength &- 64, 0), parameters.inCapsuleDataSize)
        r.pointee.sendWorkRequests = 0
        process(slot)
    }

    // MARK: The state machine

    /// Moves request `slot` forward until it has to wait.
    func process(_ slot: Int) {
        let r = requests + slot
        while true {
            switch r.pointee.state {
            case .free, .transferringHostToController, .executing, .completing:
                return
            case .new:
                guard let queue else {
                    release(slot)
                    return
                }
                let plan = queue._withUnsafeGuaranteedRef {
                    $0.plan(r.pointee.command, inCapsuleDataLength: r.pointee.inCapsuleLength)
                }
                r.pointee.plan = plan
                if !plan.status.isSuccess {
                    r.pointee.result = .failure(plan.status)
                    r.pointee.state = .executed
                } else if plan.direction == .none || plan.length == 0 || plan.kind == .inCapsule {
                    r.pointee.state = .readyToExecute
                } else {
                    r.pointee.state = .needBuffer
                }
            case .needBuffer:
                // Unmanaged: a call through `unowned(unsafe) poller` retains the cache around it.
                let cache = Unmanaged.passUnretained(poller.bufferCache)
                guard let buffer = cache._withUnsafeGuaranteedRef({ $0.get() }) else {
                    waitingBuffer.append(Int32(slot), requests)
                    return
                }
                r.pointee.bufferIndex = buffer
                r.pointee.state =
                    r.pointee.plan.direction == .hostToController ? .transferPending : .readyToExecute
            case .transferPending:
                guard readsInFlight < parameters.readDepth, sendDepth < maxSendWorkRequests else {
                    waitingTransfer.append(Int32(slot), requests)
                    return
                }
                if !postRead(slot) { return }
                r.pointee.state = .transferringHostToController
            case .readyToExecute:
                guard let queue else {
                    release(slot)
                    return
                }
                r.pointee.state = .executing
                let outcome = queue._withUnsafeGuaranteedRef {
                    $0.execute(r.pointee.command, data: dataBuffer(slot), slot: UInt32(slot))
                }
                switch outcome {
                case .completed(let result):
                    r.pointee.result = result
                    r.pointee.state = .executed
                case .pending:
                    return
                }
            case .executed:
                if isClosing {
                    release(slot)
                    return
                }
                r.pointee.state = .responsePending
            case .responsePending:
                let writes = responseWriteLength(slot) > 0 ? 2 : 1
                guard sendDepth &+ writes <= maxSendWorkRequests else {
                    waitingResponse.append(Int32(slot), requests)
                    return
                }
                postResponse(slot)
                return
            }
        }
    }

    /// The bytes `execute` works on.
    @inline(__always)
    func dataBuffer(_ slot: Int) -> IOBuffer {
        let r = requests[slot]
        if r.plan.direction == .none || r.plan.length == 0 { return .empty }
        if r.plan.kind == .inCapsule {
            return IOBuffer(
                baseAddress: receivePool.inCapsuleData(Int(r.receiveIndex)) + r.plan.inCapsuleOffset,
                count: r.plan.length)
        }
        return IOBuffer(baseAddress: poller.dataPool.address(r.bufferIndex), count: r.plan.length)
    }

    /// Bytes to RDMA WRITE before the CQE.
    @inline(__always)
    func responseWriteLength(_ slot: Int) -> Int {
        let r = requests[slot]
        guard r.plan.direction == .controllerToHost, r.bufferIndex >= 0, r.result.status.isSuccess
        else { return 0 }
        return min(max(r.result.bytesToHost, 0), r.plan.length)
    }

    /// Queues the RDMA READ of the host's data into the request's buffer (posted by `flushSends`).
    @inline(__always)
    func postRead(_ slot: Int) -> Bool {
        let r = requests + slot
        let sgl = r.pointee.command.dataPointer
        let wr = workRequests + slot &* 2
        let sge = sges + slot &* 2
        sge.pointee = ibv_sge(
            addr: UInt64(UInt(bitPattern: poller.dataPool.address(r.pointee.bufferIndex))),
            length: UInt32(truncatingIfNeeded: r.pointee.plan.length), lkey: poller.dataPool.region.lkey)
        let id = WorkRequestID(kind: .read, connection: index, index: slot).rawValue
        wr.pointee.set(
            id: id, opcode: .rdmaRead, sges: sge, sgeCount: 1, flags: .signaled,
            remote: RemoteAddress(address: sgl.address, rkey: sgl.key))
        wr.pointee.raw.next = nil
        queueSends(first: wr, last: wr)
        sendDepth &+= 1
        readsInFlight &+= 1
        r.pointee.sendWorkRequests = 1
        return true
    }

    /// Hands the capsule's receive buffer back, then queues [RDMA WRITE] + SEND(CQE)
    /// for this iteration's single post (`flushSends`).
    @inline(__always)
    func postResponse(_ slot: Int) {
        let r = requests + slot
        recycleReceive(slot: slot)
        hostOutstanding &-= 1
        let cqe = responseBytes + (slot &* 16)
        var head = submissionQueueHead
        var queueID: UInt16 = 0
        if let queue {
            queue._withUnsafeGuaranteedRef {
                if $0.disablesSQFlowControl { head = 0xFFFF }
                queueID = $0.queueID
            }
        }
        CompletionQueueEntry(
            dword0: r.pointee.result.dword0, dword1: r.pointee.result.dword1, submissionQueueHead: head,
            submissionQueueID: queueID, commandID: r.pointee.command.commandID,
            status: r.pointee.result.status.rawValue
        ).write(to: cqe)
        let writeLength = responseWriteLength(slot)
        let wr = workRequests + slot &* 2
        let sge = sges + slot &* 2
        let sgl = r.pointee.command.dataPointer
        var invalidate: UInt32? = nil
        if case .keyed(invalidate: true) = r.pointee.plan.kind { invalidate = sgl.key }
        sge[1] = ibv_sge(
            addr: responseAddress &+ UInt64(slot &* 16), length: 16, lkey: responseKey)
        let sendID = WorkRequestID(kind: .send, connection: index, index: slot).rawValue
        if let key = invalidate {
            wr[1].set(
                id: sendID, opcode: .sendWithInvalidate, sges: sge + 1, sgeCount: 1, flags: .signaled,
                invalidateRKey: key)
        } else {
            wr[1].set(id: sendID, opcode: .send, sges: sge + 1, sgeCount: 1, flags: .signaled)
        }
        wr[1].raw.next = nil
        if writeLength > 0 {
            // Unmanaged: the pool is shared by every poll group, and a
            // retain/release through `unowned(unsafe) poller` would bounce its
            // reference count between cores.
            sge[0] = Unmanaged.passUnretained(poller.dataPool)._withUnsafeGuaranteedRef { pool in
                ibv_sge(
                    addr: UInt64(UInt(bitPattern: pool.address(r.pointee.bufferIndex))),
                    length: UInt32(truncatingIfNeeded: writeLength), lkey: pool.region.lkey)
            }
            wr[0].set(
                id: WorkRequestID(kind: .write, connection: index, index: slot).rawValue,
                opcode: .rdmaWrite,
                sges: sge, sgeCount: 1, flags: [],
                remote: RemoteAddress(address: sgl.address, rkey: sgl.key))
            wr[0].raw.next = UnsafeMutableRawPointer(wr + 1).assumingMemoryBound(to: ibv_send_wr.self)
        }
        let count: Int32 = writeLength > 0 ? 2 : 1
        queueSends(first: writeLength > 0 ? wr : wr + 1, last: wr + 1)
        sendDepth &+= Int(count)
        r.pointee.sendWorkRequests = count
        r.pointee.state = .completing
    }

    // MARK: Completions

    /// A SEND, READ or WRITE of request `slot` completed.
    @inline(__always)
    func sendQueueCompleted(kind: WorkRequestID.Kind, slot: Int, success: Bool) {
        sendProgress &+= 1
        guard slot < slotCount else { return }
        let r = requests + slot
        switch kind {
        case .read:
            sendDepth &-= 1
            readsInFlight &-= 1
            r.pointee.sendWorkRequests = 0
            if success && !isClosing {
                r.pointee.state = .readyToExecute
                process(slot)
            } else {
                if !success { close() }
                release(slot)
            }
        case .write:
            // Only failed WRITEs complete on their own (they are unsignaled).
            sendDepth &-= 1
            r.pointee.sendWorkRequests &-= 1
            close()
        case .send:
            sendDepth &-= Int(r.pointee.sendWorkRequests)
            r.pointee.sendWorkRequests = 0
            if !success { close() }
            release(slot)
        case .receive:
            return
        }
        servePending()
    }

    var hasWaiting: Bool {
        !waitingBuffer.isEmpty || !waitingTransfer.isEmpty || !waitingResponse.isEmpty
    }

    /// Retries requests waiting for send-queue room, read depth or buffers (in that order).
    @inline(__always)
    func servePending() {
        while !waitingResponse.isEmpty, sendDepth &+ 2 <= maxSendWorkRequests,
            let slot = waitingResponse.popFirst(requests)
        {
            process(Int(slot))
        }
        while !waitingTransfer.isEmpty, readsInFlight < parameters.readDepth,
            sendDepth < maxSendWorkRequests,
            let slot = waitingTransfer.popFirst(requests)
        {
            process(Int(slot))
        }
        while !waitingBuffer.isEmpty, poller.bufferCache.count > 0 || poller.dataPool.approximateFreeCount > 0,
            let slot = waitingBuffer.popFirst(requests)
        {
            process(Int(slot))
            if requests[Int(slot)].state == .needBuffer { break }
        }
    }

    /// Gives the capsule's receive buffer back to its receive queue (once).
    @inline(__always)
    func recycleReceive(slot: Int) {
        let index = requests[slot].receiveIndex
        guard index >= 0 else { return }
        requests[slot].receiveIndex = -1
        recycleReceive(Int(index))
    }

    /// `receivePool` and `group` are used through `Unmanaged` here: a plain
    /// call on an `unowned(unsafe)` reference gets a retain/release pair
    /// around it (measured in the release build), once per command.
    @inline(__always)
    func recycleReceive(_ index: Int) {
        let pool = Unmanaged.passUnretained(receivePool)
        guard ownReceivePool != nil else {
            pool._withUnsafeGuaranteedRef { $0.repost(index) }
            return
        }
        // A closing connection's own receive queue is dead; the SRQ lives on.
        if isClosing { return }
        pool._withUnsafeGuaranteedRef { $0.repost(index) }
        if !receivesQueued {
            receivesQueued = true
            Unmanaged.passUnretained(group)._withUnsafeGuaranteedRef { $0.needsReceiveFlush(self.index) }
        }
    }

    /// Frees slot `slot`: its buffers go back, the slot to the free stack.
    func release(_ slot: Int) {
        let r = requests + slot
        guard r.pointee.state != .free else { return }
        // Dropped before its response was posted (closing, queue gone).
        if r.pointee.state != .completing { hostOutstanding &-= 1 }
        recycleReceive(slot: slot)
        if r.pointee.bufferIndex >= 0 {
            poller.bufferCache.put(r.pointee.bufferIndex)
            r.pointee.bufferIndex = -1
        }
        r.pointee.state = .free
        freeSlots[freeCount] = Int32(slot)
        freeCount &+= 1
        if isClosing {
            group.checkDrained(self)
        } else if parkedCount > 0 {
            let next = parked[parkedHead]
            parkedHead = (parkedHead &+ 1) % depth
            parkedCount &-= 1
            start(receiveIndex: Int(next.index), byteLength: Int(next.length))
        }
    }

    // MARK: Teardown

    /// The send watchdog (called about once a second from the poll loop).
    ///
    /// Work we posted (a response SEND, an RDMA READ) that has not completed
    /// for `timeoutMilliseconds` means the host stopped taking it: most
    /// often it stopped posting receives, and our SEND sits in RNR retry
    /// forever, because our QP's RNR retry count is the one the host put in
    /// its CM REQ (7, "forever", from Linux and librdmacm). Such a queue
    /// would pin its slots and shared data buffers for good; it is closed,
    /// which moves the QP to error and flushes everything back.
    func checkSendProgress(nowMilliseconds now: UInt64, timeoutMilliseconds: UInt64) {
        guard sendDepth > 0, !isClosing else {
            sendStalledSince = nil
            return
        }
        if sendProgress != watchedSendProgress || sendStalledSince == nil {
            watchedSendProgress = sendProgress
            sendStalledSince = now
            return
        }
        if let since = sendStalledSince, now &- since >= timeoutMilliseconds {
            logger.warning(
                "closing a queue whose host took no completion for \(now &- since) ms",
                metadata: ["qid": "\(parameters.queueID)", "outstanding": "\(sendDepth)", "host": "\(peer)"])
            close()
        }
    }

    /// Starts closing: the QP goes to error (flushing posted WRs), waiting
    /// requests are dropped, the Target is told. Destruction follows when
    /// every WR has completed and every slot is free (`isDrained`); no
    /// LAST_WQE_REACHED is awaited, since rxe never sends it.
    func close() {
        guard !isClosing else { return }
        isClosing = true
        logger.debug(
            "closing connection", metadata: ["qp": "\(queuePairNumber)", "qid": "\(parameters.queueID)"])
        disconnectRequested.store(true, ordering: .sequentiallyConsistent)
        try? cmID?.disconnect()
        try? queuePair?.moveToError()
        // WRs queued but never posted will never complete: undo them here.
        dropQueuedSends(from: pendingSendHead)
        for list in [waitingBuffer, waitingTransfer, waitingResponse] {
            var l = list
            while let slot = l.popFirst(requests) { release(Int(slot)) }
        }
        waitingBuffer = RequestList()
        waitingTransfer = RequestList()
        waitingResponse = RequestList()
        while parkedCount > 0 {
            recycleReceive(Int(parked[parkedHead].index))
            parkedHead = (parkedHead &+ 1) % depth
            parkedCount &-= 1
        }
        // Reposts already queued for a dead private receive queue go nowhere.
        ownReceivePool?.discardQueued()
        targetQueue?.transportDidDisconnect()
        targetNotified = true
        group.checkDrained(self)
    }

    /// True when nothing of this connection is in flight on the device or in the Target.
    var isDrained: Bool { isClosing && targetNotified && sendDepth == 0 && freeCount == slotCount }

    /// Releases the verbs resources (the CM id stays for the CM thread).
    func destroy() {
        guard !isDestroyed else { return }
        isDestroyed = true
        poller.unreserve(poller.completionEntries(depth: depth))
        targetQueue = nil
        queuePair = nil
        responseRegion = nil
        ownReceivePool?.queuePair = nil
    }
}
