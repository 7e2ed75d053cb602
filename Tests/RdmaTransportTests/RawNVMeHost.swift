import NVMe
import Testing
import Verbs

/// A minimal RDMA NVMe-oF host built directly on Verbs, for lab tests that
/// must send what the Linux initiator never would (bad SGLs, ICD on the
/// admin queue, more commands than the queue depth).
///
/// One QP; capsules go out from a registered send area, CQEs land in posted
/// 16-byte receive buffers; `hostData` is registered for remote read/write
/// so keyed SGLs can point at it.
final class RawNVMeHost {
    let channel: EventChannel
    let id: ConnectionID
    let protectionDomain: ProtectionDomain
    let completionQueue: CompletionQueue
    let queuePair: QueuePair
    let sendArea: MemoryRegion
    let receiveArea: MemoryRegion
    let hostData: MemoryRegion
    let receiveCount: Int

    /// Connects to `address:port` as queue `queueID` with `depth` entries;
    /// posts `receives` CQE buffers (0: a host that never takes completions).
    /// A refused connection (CM REJECTED), when the caller asked for it
    /// with `expectingRefusal` instead of a recorded test failure.
    struct Refused: Error {}

    init(
        address: String, port: UInt16, queueID: UInt16 = 0, depth: UInt16 = 32, receives: Int = 32,
        expectingRefusal: Bool = false, hostDataBytes: Int = 1 << 21, establishTimeoutMilliseconds: Int = 10_000
    )
        throws
    {
        channel = try EventChannel()
        id = try ConnectionID(channel: channel)
        let destination = try #require(SocketAddress(host: address, port: port))
        try id.resolveAddress(destination)
        try Self.expect(channel, .addressResolved)
        try id.resolveRoute()
        try Self.expect(channel, .routeResolved)
        let context = try #require(id.deviceContext)
        protectionDomain = try ProtectionDomain(context: context)
        completionQueue = try CompletionQueue(context: context, capacity: 256)
        queuePair = try QueuePair(
            connection: id, protectionDomain: protectionDomain, sendCompletionQueue: completionQueue,
            receiveCompletionQueue: completionQueue,
            capabilities: QueuePairCapabilities(
                maxSendWorkRequests: 64, maxReceiveWorkRequests: 64, maxReceiveSGEs: 1))
        sendArea = try protectionDomain.allocateRegion(byteCount: 64 * 8192, access: [.localWrite])
        receiveArea = try protectionDomain.allocateRegion(byteCount: 16 * 64, access: [.localWrite])
        hostData = try protectionDomain.allocateRegion(byteCount: hostDataBytes, access: .all)
        receiveCount = receives
        for index in 0..<receives {
            try queuePair.postReceive(
                id: UInt64(index), receiveArea.scatterGatherEntry(offset: index * 16, length: 16))
        }
        var data = [UInt8](repeating: 0, count: 32)
        data.withUnsafeMutableBytes {
            RDMAConnectRequestPrivateData(
                queueID: queueID, hostReceiveQueueSize: depth, hostSendQueueSize: depth - 1
            ).encode(into: $0)
        }
        try id.connect(privateData: data, initiatorDepth: 0, responderResources: 16)
        if expectingRefusal {
            let event = try channel.nextEvent(timeoutMilliseconds: 10_000)
            guard event?.type == .established else { throw Refused() }
            return
        }
        try Self.expect(channel, .established, timeoutMilliseconds: establishTimeoutMilliseconds)
    }

    deinit { try? id.disconnect() }

    static func expect(_ channel: EventChannel, _ type: CMEventType, timeoutMilliseconds: Int = 10_000) throws {
        let event = try #require(
            try channel.nextEvent(timeoutMilliseconds: Int32(clamping: timeoutMilliseconds)),
            "no \(type) within \(timeoutMilliseconds) ms")
        try #require(event.type == type, "expected \(type), got \(event.type) status \(event.status)")
    }

    /// Sends one capsule: the SQE plus `inCapsule` bytes after it (slot `slot` of the send area).
    func send(_ command: SubmissionQueueEntry, inCapsule: [UInt8] = [], slot: Int = 0) throws {
        let base = sendArea.bytes.baseAddress! + slot * 8192
        command.write(to: base)
        for (i, byte) in inCapsule.enumerated() {
            base.storeBytes(of: byte, toByteOffset: 64 + i, as: UInt8.self)
        }
        try queuePair.postSend(
            id: 1000 + UInt64(slot),
            sendArea.scatterGatherEntry(offset: slot * 8192, length: 64 + inCapsule.count))
    }

    /// CQEs polled but not yet handed out: one poll can return several.
    private var polled: [CompletionQueueEntry] = []
    /// A receive or send failed: no more CQEs will come.
    private var failed = false

    /// Waits (busy-polling, bounded) for the next CQE.
    func nextCompletion(spins: Int = 50_000_000) throws -> CompletionQueueEntry? {
        let buffer = WorkCompletionBuffer(capacity: 8)
        for _ in 0..<spins {
            if !polled.isEmpty { return polled.removeFirst() }
            if failed { return nil }
            let n = try completionQueue.poll(into: buffer.completions)
            for i in 0..<n {
                let wc = buffer[i]
                guard wc.opcode.isReceive || !wc.isSuccess else { continue }
                guard wc.isSuccess else {
                    failed = true
                    continue
                }
                let index = Int(wc.workRequestID)
                polled.append(CompletionQueueEntry(bytes: receiveArea.bytes.baseAddress! + index * 16))
            }
        }
        return polled.isEmpty ? nil : polled.removeFirst()
    }

    /// Sends `command` and returns its CQE.
    func submit(_ command: SubmissionQueueEntry, inCapsule: [UInt8] = []) throws
        -> CompletionQueueEntry
    {
        try send(command, inCapsule: inCapsule)
        return try #require(try nextCompletion(), "no completion for opcode \(command.opcode)")
    }

    /// Posts CQE receive buffers `range` (at most 64), for a host that
    /// started with too few and now lets stalled responses in.
    func postReceives(_ range: Range<Int>) throws {
        for index in range {
            try queuePair.postReceive(
                id: UInt64(index), receiveArea.scatterGatherEntry(offset: index * 16, length: 16))
        }
    }

    /// Waits for the connection to be torn down by the target (DISCONNECTED).
    func waitForDisconnect(timeoutMilliseconds: Int32 = 15_000) throws -> Bool {
        while let event = try channel.nextEvent(timeoutMilliseconds: timeoutMilliseconds) {
            if event.type == .disconnected { return true }
        }
        return false
    }
}
