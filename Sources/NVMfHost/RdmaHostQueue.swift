import CVerbs
import NVMe
import Verbs

#if canImport(Glibc)
    import Glibc
#endif

/// One NVMe-oF queue over RDMA, host side: an RDMA CM connection, its QP and CQ,
/// and registered memory for command capsules, response capsules and data.
///
/// Each of the `depth` command slots owns a 64-byte capsule, a 16-byte response
/// receive and `dataBytesPerSlot` of data; the slot index is the command ID.
/// Reads and large writes hand the target a keyed SGL into the slot's data (the
/// target moves it by RDMA WRITE or READ); writes up to the target's in-capsule
/// size go in the capsule itself, as a second SGE of the SEND (no copy).
///
/// A command is done when both its response has arrived and its SEND has
/// completed: only then may the slot's capsule and data be reused.
///
/// Built on the thread that connects; afterwards one thread at a time owns it
/// (the perf worker that polls it). Submitting and polling do not allocate.
public final class RdmaHostQueue: CommandChannel {
    public struct Options: Sendable {
        /// 0 for the admin queue.
        public var queueID: UInt16
        /// Commands outstanding at once (HRQSIZE); may shrink to the target's CRQSIZE.
        public var depth: Int
        /// The largest transfer one command makes.
        public var dataBytesPerSlot: Int
        /// Bytes of write data that may travel in the capsule (0: always keyed SGLs).
        public var inCapsuleDataBytes: Int
        /// Arm the CQ on a completion channel (interrupt mode) instead of busy polling only.
        public var interrupts: Bool
        /// Bound on address and route resolution and on the connection handshake.
        public var connectTimeoutMilliseconds: Int

        public init(
            queueID: UInt16, depth: Int, dataBytesPerSlot: Int, inCapsuleDataBytes: Int = 0,
            interrupts: Bool = false, connectTimeoutMilliseconds: Int = 5000
        ) {
            self.queueID = queueID
            self.depth = depth
            self.dataBytesPerSlot = dataBytesPerSlot
            self.inCapsuleDataBytes = inCapsuleDataBytes
            self.interrupts = interrupts
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        }
    }

    public let queueID: UInt16
    /// Commands outstanding at once, as negotiated.
    public let depth: Int
    public let dataBytesPerSlot: Int
    public let inCapsuleDataBytes: Int
    /// `address:port`, for messages.
    public let peer: String

    let events: EventChannel
    let connection: ConnectionID
    let protectionDomain: ProtectionDomain
    /// Set in interrupt mode: readable when the armed CQ has a completion.
    public let completionChannel: CompletionChannel?
    let completionQueue: CompletionQueue
    let queuePair: QueuePair
    let capsules: MemoryRegion
    let responses: MemoryRegion
    let data: MemoryRegion
    /// One prebuilt SEND per slot and its two SGEs (capsule, in-capsule data).
    let sendRequests: UnsafeMutablePointer<SendWorkRequest>
    let sendSGEs: UnsafeMutablePointer<ibv_sge>
    /// Per slot: `awaitingSend` | `awaitingResponse` while the command is out.
    let slotState: UnsafeMutablePointer<UInt8>
    /// Per slot: the response, kept until the SEND also completes.
    let slotResponse: UnsafeMutablePointer<CompletionQueueEntry>
    let workCompletions = WorkCompletionBuffer(capacity: 64)
    /// SQE-only sends go inline when the device allows it (no DMA read of the capsule).
    let sendsInline: Bool

    /// The thread that may submit and poll (debug builds check it): the one that
    /// connected, until `claimOwnership()` hands the queue to another.
    private var owner = pthread_self()

    /// Makes the calling thread the queue's only user (a perf worker, at its start).
    public func claimOwnership() { owner = pthread_self() }

    /// True on the owning thread; used in debug-build assertions only.
    @inline(__always)
    func isOwner() -> Bool { pthread_equal(owner, pthread_self()) != 0 }

    /// SENDs chained by `submit` and not yet posted (`flush()`).
    private var pendingHead: UnsafeMutablePointer<SendWorkRequest>?
    private var pendingTail: UnsafeMutablePointer<ibv_send_wr>?

    /// Commands submitted and not yet done.
    public private(set) var outstanding = 0
    /// Why the queue stopped working; every later call fails with it.
    public private(set) var failure: HostError?

    static let awaitingSend: UInt8 = 1
    static let awaitingResponse: UInt8 = 2
    /// wr_id tag of a SEND; receives use the bare slot index.
    static let sendTag: UInt64 = 1 << 32

    /// Connects queue `options.queueID` to `address:port` (RDMA CM with the NVMe-oF
    /// private data). The Fabrics Connect command is the caller's next step.
    public init(address: String, port: UInt16, options: Options) throws(HostError) {
        peer = address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        guard options.depth >= 2, options.depth <= 4096 else {
            throw HostError("queue depth \(options.depth) is outside 2–4096")
        }
        guard options.dataBytesPerSlot > 0, options.dataBytesPerSlot <= 1 << 30 else {
            throw HostError("I/O size \(options.dataBytesPerSlot) bytes is outside 1 B–1 GiB")
        }
        guard let destination = SocketAddress(host: address, port: port) else {
            throw HostError("\(address) is not a numeric IP address")
        }
        queueID = options.queueID
        dataBytesPerSlot = options.dataBytesPerSlot
        inCapsuleDataBytes = options.queueID == 0 ? 0 : max(options.inCapsuleDataBytes, 0)
        let timeout = Int32(clamping: options.connectTimeoutMilliseconds)
        let what = "queue \(options.queueID) to \(peer)"
        do {
            events = try EventChannel()
            connection = try ConnectionID(channel: events)
            try connection.resolveAddress(destination, timeoutMilliseconds: timeout)
            try Self.expect(.addressResolved, events, timeout, what)
            try connection.resolveRoute(timeoutMilliseconds: timeout)
            try Self.expect(.routeResolved, events, timeout, what)
            guard let context = connection.deviceContext else {
                throw HostError("\(what): no RDMA device reaches \(address)")
            }
            protectionDomain = try ProtectionDomain(context: context)
            completionChannel = options.interrupts ? try CompletionChannel(context: context) : nil
            try completionChannel?.setNonBlocking()
            completionQueue = try CompletionQueue(
                context: context, capacity: 2 * options.depth + 1, channel: completionChannel)
            var made: QueuePair?
            // Inline capsules first; a device that cannot inline 64 bytes gets plain SENDs.
            for inline in [SubmissionQueueEntry.wireSize, 0] where made == nil {
                made = try? QueuePair(
                    connection: connection, protectionDomain: protectionDomain,
                    sendCompletionQueue: completionQueue, receiveCompletionQueue: completionQueue,
                    capabilities: QueuePairCapabilities(
                        maxSendWorkRequests: options.depth + 1, maxReceiveWorkRequests: options.depth,
                        maxSendSGEs: 2, maxReceiveSGEs: 1, maxInlineData: inline))
            }
            guard let made else { throw HostError("\(what): the RDMA device refused to create a queue pair") }
            queuePair = made
            sendsInline = made.capabilities.maxInlineData >= SubmissionQueueEntry.wireSize
            capsules = try protectionDomain.allocateRegion(
                byteCount: options.depth * SubmissionQueueEntry.wireSize, access: [.localWrite])
            responses = try protectionDomain.allocateRegion(
                byteCount: options.depth * CompletionQueueEntry.wireSize, access: [.localWrite])
            // The target reads write data and writes read data here by the keyed SGL's rkey.
            data = try protectionDomain.allocateRegion(
                byteCount: options.depth * options.dataBytesPerSlot, access: [.localWrite, .remoteRead, .remoteWrite])
        } catch let error as HostError {
            throw error
        } catch {
            throw HostError("\(what): \(error)")
        }
        sendRequests = .allocate(capacity: options.depth)
        sendRequests.initialize(repeating: SendWorkRequest(), count: options.depth)
        sendSGEs = .allocate(capacity: 2 * options.depth)
        sendSGEs.initialize(repeating: ibv_sge(), count: 2 * options.depth)
        slotState = .allocate(capacity: options.depth)
        slotState.initialize(repeating: 0, count: options.depth)
        slotResponse = .allocate(capacity: options.depth)
        slotResponse.initialize(repeating: CompletionQueueEntry(), count: options.depth)

        do {
            for slot in 0..<options.depth {
                try queuePair.postReceive(
                    id: UInt64(slot),
                    responses.scatterGatherEntry(
                        offset: slot * CompletionQueueEntry.wireSize, length: CompletionQueueEntry.wireSize))
            }
            var privateData = [UInt8](repeating: 0, count: RDMAConnectRequestPrivateData.wireSize)
            privateData.withUnsafeMutableBytes {
                RDMAConnectRequestPrivateData(
                    queueID: options.queueID, hostReceiveQueueSize: UInt16(options.depth),
                    hostSendQueueSize: UInt16(options.depth - 1)
                ).encode(into: $0)
            }
            // The target RDMA READs write data from us: offer it read resources; we issue none.
            try connection.connect(privateData: privateData, initiatorDepth: 0, responderResources: 16)
        } catch {
            throw HostError("\(what): \(error)")
        }
        let established = try Self.awaitEstablished(events, timeout, what, address: address, port: port)
        // CRQSIZE: the target's receive queue; never submit more than it holds.
        var negotiated = options.depth
        if established.count >= RDMAAcceptPrivateData.wireSize {
            let accept = established.withUnsafeBytes { RDMAAcceptPrivateData(decoding: $0) }
            if let crqsize = accept?.controllerReceiveQueueSize, crqsize > 0 {
                negotiated = min(negotiated, Int(crqsize))
            }
        }
        depth = negotiated
        for slot in 0..<options.depth {
            let capsule = capsules.scatterGatherEntry(
                offset: slot * SubmissionQueueEntry.wireSize, length: SubmissionQueueEntry.wireSize)
            sendSGEs[2 * slot] = capsule.raw
        }
        do {
            try events.setNonBlocking()
            if completionChannel != nil { try completionQueue.requestNotification() }
        } catch {
            throw HostError("\(what): \(error)")
        }
    }

    deinit {
        if failure == nil { try? connection.disconnect() }
        sendRequests.deallocate()
        sendSGEs.deallocate()
        slotState.deallocate()
        slotResponse.deallocate()
    }

    /// Disconnects (orderly: the target sees DISCONNECTED and frees the queue).
    public func close() {
        guard failure == nil else { return }
        try? connection.disconnect()
        failure = HostError("queue \(queueID) to \(peer) is closed")
    }

    /// Start of slot `slot`'s data buffer (for filling writes and checking reads).
    @inline(__always)
    public func dataBuffer(_ slot: Int) -> UnsafeMutableRawPointer {
        data.bytes.baseAddress! + slot &* dataBytesPerSlot
    }

    /// True while `slot` holds a command not yet done.
    @inline(__always)
    public func isBusy(_ slot: Int) -> Bool { slotState[slot] != 0 }

    // MARK: I/O path

    /// Submits Read (02h) or Write (01h) of `blockCount` blocks at `startingLBA` in
    /// slot `slot`, moving `byteCount` bytes through the slot's data buffer. The
    /// command goes out at the next `flush()`.
    ///
    /// - Returns: false when the queue has failed (see `failure`) or the post was refused.
    @inline(__always)
    public func submit(
        slot: Int, opcode: UInt8, namespaceID: UInt32, startingLBA: UInt64, blockCount: Int, byteCount: Int
    ) -> Bool {
        assert(isOwner(), "an RdmaHostQueue is used by the thread that owns it only")
        guard _fastPath(failure == nil) else { return false }
        precondition(slot >= 0 && slot < depth && slotState[slot] == 0, "slot is busy or out of range")
        precondition(byteCount <= dataBytesPerSlot, "transfer larger than the slot's buffer")
        var entry = SubmissionQueueEntry(
            opcode: opcode, commandID: UInt16(truncatingIfNeeded: slot), namespaceID: namespaceID)
        entry.flags = SubmissionQueueEntry.sglFlags
        entry.cdw10 = UInt32(truncatingIfNeeded: startingLBA)
        entry.cdw11 = UInt32(truncatingIfNeeded: startingLBA >> 32)
        entry.cdw12 = UInt32(truncatingIfNeeded: (blockCount &- 1) & 0xFFFF)
        let inCapsule = opcode == IOOpcode.write && byteCount <= inCapsuleDataBytes
        let dataAddress = UInt64(UInt(bitPattern: dataBuffer(slot)))
        entry.dataPointer =
            inCapsule
            ? .inCapsule(offset: 0, length: UInt32(truncatingIfNeeded: byteCount))
            : .keyed(
                address: dataAddress, length: UInt32(truncatingIfNeeded: byteCount), key: data.rkey,
                invalidate: false)
        return post(entry, slot: slot, inCapsuleBytes: inCapsule ? byteCount : 0)
    }

    /// Writes the capsule and posts its SEND (with the in-capsule data as a second SGE).
    @inline(__always)
    func post(_ entry: SubmissionQueueEntry, slot: Int, inCapsuleBytes: Int) -> Bool {
        entry.write(to: capsules.bytes.baseAddress! + slot &* SubmissionQueueEntry.wireSize)
        let sges = sendSGEs + 2 &* slot
        var flags: SendFlags = .signaled
        var sgeCount: Int32 = 1
        if inCapsuleBytes > 0 {
            sges[1] = ibv_sge(
                addr: UInt64(UInt(bitPattern: dataBuffer(slot))), length: UInt32(truncatingIfNeeded: inCapsuleBytes),
                lkey: data.lkey)
            sgeCount = 2
        } else if sendsInline {
            flags.insert(.inline)
        }
        sendRequests[slot].set(
            id: Self.sendTag | UInt64(slot), opcode: .send, sges: sges, sgeCount: sgeCount, flags: flags)
        // Chain it behind the SENDs not yet posted; `flush()` posts them all with one call.
        let request = UnsafeMutableRawPointer(sendRequests + slot).assumingMemoryBound(to: ibv_send_wr.self)
        request.pointee.next = nil
        if let pendingTail {
            pendingTail.pointee.next = request
        } else {
            pendingHead = sendRequests + slot
        }
        pendingTail = request
        slotState[slot] = Self.awaitingSend | Self.awaitingResponse
        outstanding &+= 1
        return true
    }

    /// Posts every SEND submitted since the last flush, chained, with one `ibv_post_send`.
    ///
    /// One doorbell for a poll pass's worth of commands: on Soft-RoCE each post is
    /// a system call, so a command per post was a system call per I/O.
    /// - Returns: false when the post failed (the queue is then failed).
    @inline(__always)
    @discardableResult
    public func flush() -> Bool {
        guard let head = pendingHead else { return failure == nil }
        pendingHead = nil
        pendingTail = nil
        do {
            try queuePair.postSend(chain: head)
        } catch {
            fail("posting commands failed: \(error)")
            return false
        }
        return true
    }

    /// Takes completions off the CQ and reports each finished command in `done`.
    ///
    /// - Returns: how many entries of `done` were filled; 0 and `failure` set when the
    ///   connection broke or the target answered a command ID that is not outstanding.
    @inline(__always)
    public func poll(into done: UnsafeMutableBufferPointer<CommandDone>) -> Int {
        assert(isOwner(), "an RdmaHostQueue is used by the thread that owns it only")
        guard _fastPath(failure == nil) else { return 0 }
        let room = min(done.count, workCompletions.completions.count)
        let polled: Int
        do {
            polled = try completionQueue.poll(
                into: UnsafeMutableBufferPointer(rebasing: workCompletions.completions[0..<room]))
        } catch {
            fail("polling the completion queue failed: \(error)")
            return 0
        }
        var filled = 0
        for index in 0..<polled {
            let completion = workCompletions.completions[index]
            guard _fastPath(completion.isSuccess) else {
                fail("the connection failed: \(completion.status) (\(completion.opcode))")
                return 0
            }
            let id = completion.workRequestID
            let slot: Int
            if id & Self.sendTag != 0 {
                slot = Int(truncatingIfNeeded: id & 0xFFFF_FFFF)
                guard slot < depth, slotState[slot] & Self.awaitingSend != 0 else {
                    fail("a SEND completed for slot \(slot), which has none outstanding")
                    return 0
                }
                slotState[slot] &= ~Self.awaitingSend
            } else {
                let receive = Int(truncatingIfNeeded: id)
                guard receive < depth, completion.byteLength >= UInt32(CompletionQueueEntry.wireSize) else {
                    fail("the target sent a response of \(completion.byteLength) bytes; a response capsule is 16")
                    return 0
                }
                let response = CompletionQueueEntry(
                    bytes: responses.bytes.baseAddress! + receive &* CompletionQueueEntry.wireSize)
                // The buffer is copied: give it straight back to the target.
                do {
                    try queuePair.postReceive(id: UInt64(receive), responseSGE(receive))
                } catch {
                    fail("reposting a response buffer failed: \(error)")
                    return 0
                }
                slot = Int(response.commandID)
                guard slot < depth, slotState[slot] & Self.awaitingResponse != 0 else {
                    fail("the target completed command ID \(slot), which is not outstanding")
                    return 0
                }
                slotResponse[slot] = response
                slotState[slot] &= ~Self.awaitingResponse
            }
            if slotState[slot] == 0 {
                outstanding &-= 1
                if filled < done.count {
                    done[filled] = CommandDone(
                        slot: UInt16(truncatingIfNeeded: slot), status: slotResponse[slot].status)
                    filled &+= 1
                }
            }
        }
        return filled
    }

    /// Reads pending CM events: a DISCONNECTED from the target ends the queue.
    ///
    /// Cheap (one non-blocking read); callers do it every few milliseconds, not per I/O.
    /// - Returns: false once the queue has failed.
    public func checkConnection() -> Bool {
        guard failure == nil else { return false }
        while let event = try? events.nextEvent() {
            switch event.type {
            case .disconnected, .deviceRemoval, .timewaitExit:
                try? connection.disconnect()
                fail("the target closed the connection (\(event.type))")
                return false
            default:
                continue
            }
        }
        return true
    }

    /// Arms the CQ again after a wake-up (interrupt mode), acknowledging what fired.
    public func rearm() {
        guard let completionChannel else { return }
        while (try? completionChannel.nextEvent()) ?? nil != nil {}
        completionQueue.acknowledgeEvents()
        do { try completionQueue.requestNotification() } catch { fail("arming the CQ failed: \(error)") }
    }

    /// Marks the queue failed (the first reason sticks).
    public func fail(_ reason: String) {
        if failure == nil { failure = HostError("queue \(queueID) to \(peer): \(reason)") }
    }

    // MARK: Control commands (CommandChannel)

    public func execute(
        _ command: SubmissionQueueEntry, dataOut: [UInt8], dataInLength: Int, timeoutMilliseconds: Int
    ) throws(HostError) -> CommandOutcome {
        if let failure { throw failure }
        guard let slot = (0..<depth).first(where: { slotState[$0] == 0 }) else {
            throw HostError("queue \(queueID) to \(peer): every slot is busy")
        }
        let length = max(dataOut.count, dataInLength)
        guard length <= dataBytesPerSlot else {
            throw HostError(
                "queue \(queueID): \(length) bytes of command data exceed the \(dataBytesPerSlot)-byte buffer")
        }
        let buffer = UnsafeMutableRawBufferPointer(start: dataBuffer(slot), count: dataBytesPerSlot)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.copyBytes(from: dataOut)
        var entry = command
        entry.commandID = UInt16(truncatingIfNeeded: slot)
        entry.flags = SubmissionQueueEntry.sglFlags
        entry.dataPointer =
            length == 0
            ? .keyed(address: 0, length: 0, key: 0, invalidate: false)
            : .keyed(
                address: UInt64(UInt(bitPattern: dataBuffer(slot))), length: UInt32(length), key: data.rkey,
                invalidate: false)
        guard post(entry, slot: slot, inCapsuleBytes: 0), flush() else { throw failure! }
        let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
        let done = UnsafeMutableBufferPointer<CommandDone>.allocate(capacity: depth)
        defer { done.deallocate() }
        var spins = 0
        while true {
            let count = poll(into: done)
            if let failure { throw failure }
            for index in 0..<count where Int(done[index].slot) == slot {
                return CommandOutcome(completion: slotResponse[slot], data: Array(buffer.prefix(dataInLength)))
            }
            spins &+= 1
            if spins & 0x3FF == 0 {
                guard checkConnection() else { throw failure! }
                if MonotonicClock.milliseconds() > deadline {
                    fail("no completion for a control command within \(timeoutMilliseconds) ms")
                    throw failure!
                }
                if spins > 1 << 16 { usleep(100) }
            }
        }
    }

    // MARK: Helpers

    func responseSGE(_ index: Int) -> ScatterGatherEntry {
        responses.scatterGatherEntry(
            offset: index * CompletionQueueEntry.wireSize, length: CompletionQueueEntry.wireSize)
    }

    static func expect(_ type: CMEventType, _ events: EventChannel, _ timeout: Int32, _ what: String)
        throws(HostError)
    {
        let event: CMEvent?
        do { event = try events.nextEvent(timeoutMilliseconds: timeout) } catch {
            throw HostError("\(what): \(error)")
        }
        guard let event else { throw HostError("\(what): no \(type) within \(timeout) ms") }
        guard event.type == type else {
            throw HostError("\(what): \(event.type) (status \(event.status)) while waiting for \(type)")
        }
    }

    /// Waits for ESTABLISHED and returns the accept's private data; a refusal in words.
    static func awaitEstablished(
        _ events: EventChannel, _ timeout: Int32, _ what: String, address: String, port: UInt16
    ) throws(HostError) -> [UInt8] {
        let event: CMEvent?
        do { event = try events.nextEvent(timeoutMilliseconds: timeout) } catch {
            throw HostError("\(what): \(error)")
        }
        guard let event else { throw HostError("\(what): the target did not answer within \(timeout) ms") }
        switch event.type {
        case .established:
            return event.privateData
        case .rejected:
            if let reject = event.consumerRejectData, reject.count >= RDMARejectPrivateData.wireSize,
                let decoded = reject.withUnsafeBytes({ RDMARejectPrivateData(decoding: $0) })
            {
                throw HostError("\(what): the target refused the connection: \(StatusWords.reject(decoded.status))")
            }
            if event.status == 8 {
                throw HostError("\(what): nothing listens for NVMe-oF on \(address) port \(port)")
            }
            throw HostError("\(what): the connection was rejected (IB CM reason \(event.status))")
        case .unreachable:
            throw HostError("\(what): the target is unreachable (status \(event.status))")
        default:
            throw HostError("\(what): \(event.type) (status \(event.status)) instead of ESTABLISHED")
        }
    }
}

/// A finished command: its slot (= command ID) and the response's STATUS word.
@frozen
public struct CommandDone: Sendable {
    public var slot: UInt16
    public var status: UInt16

    @inlinable public init(slot: UInt16 = 0, status: UInt16 = 0) {
        self.slot = slot
        self.status = status
    }

    /// SC and SCT are zero.
    @inlinable public var isSuccess: Bool { status & 0x0FFE == 0 }
}
