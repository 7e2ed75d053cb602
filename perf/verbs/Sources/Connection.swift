import Verbs

/// One benchmark connection: CM id, PD, one CQ for both queues, a QP with its
/// own receive queue, and one registered buffer. Built once; the timed loops
/// only post and poll.
final class Connection {
    let channel: EventChannel
    let listener: ConnectionID?
    let id: ConnectionID
    let protectionDomain: ProtectionDomain
    let completionQueue: CompletionQueue
    let queuePair: QueuePair
    let memory: MemoryRegion
    /// The peer's buffer (for RDMA READ), from the CM private data.
    let peer: RemoteAddress

    static let depth = 64

    init(options: Options) throws {
        channel = try EventChannel()
        guard let address = SocketAddress(host: options.address, port: options.port) else {
            throw UnexpectedEvent("not a numeric IP address: \(options.address)")
        }
        let cmID: ConnectionID
        var incoming: CMEvent? = nil
        if options.isServer {
            let listener = try ConnectionID(channel: channel)
            try listener.bind(to: address)
            try listener.listen(backlog: 1)
            print("listening on \(address)")
            flushStandardOutput()
            let request = try Self.expect(.connectRequest, on: channel)
            cmID = request.id
            incoming = request
            self.listener = listener
        } else {
            cmID = try ConnectionID(channel: channel)
            try cmID.resolveAddress(address)
            _ = try Self.expect(.addressResolved, on: channel)
            try cmID.resolveRoute()
            _ = try Self.expect(.routeResolved, on: channel)
            listener = nil
        }
        id = cmID
        guard let context = cmID.deviceContext else { throw UnexpectedEvent("CM id has no device") }
        protectionDomain = try ProtectionDomain(context: context)
        completionQueue = try CompletionQueue(context: context, capacity: 2 * Self.depth)
        queuePair = try QueuePair(
            connection: cmID, protectionDomain: protectionDomain, sendCompletionQueue: completionQueue,
            receiveCompletionQueue: completionQueue,
            capabilities: QueuePairCapabilities(
                maxSendWorkRequests: Self.depth, maxReceiveWorkRequests: Self.depth, maxReceiveSGEs: 1,
                maxInlineData: options.inline ? options.size : 0))
        memory = try protectionDomain.allocateRegion(
            byteCount: max(2 * options.size, 4096), access: .all)

        // Private data carries this side's buffer address and rkey (12 bytes).
        var mine = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: memory.address.littleEndian) { mine.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: memory.rkey.littleEndian) { mine.replaceSubrange(8..<12, with: $0) }
        let theirs: [UInt8]
        if let request = incoming {
            try cmID.accept(
                privateData: mine, initiatorDepth: request.responderResources,
                responderResources: request.initiatorDepth)
            _ = try Self.expect(.established, on: channel)
            theirs = request.privateData
        } else {
            try cmID.connect(privateData: mine, initiatorDepth: 1, responderResources: 1)
            theirs = try Self.expect(.established, on: channel).privateData
        }
        guard theirs.count >= 12 else { throw UnexpectedEvent("short private data") }
        let peerAddress = theirs[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let rkey = theirs[8..<12].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        peer = RemoteAddress(address: peerAddress, rkey: rkey)
    }

    /// Waits for the peer's disconnect (server) or disconnects (client).
    func close(initiate: Bool) throws {
        if initiate { try id.disconnect() }
        _ = try Self.expect(.disconnected, on: channel)
    }

    static func expect(_ type: CMEventType, on channel: EventChannel) throws -> CMEvent {
        guard let event = try channel.nextEvent(timeoutMilliseconds: 60_000) else {
            throw UnexpectedEvent("timed out waiting for \(type)")
        }
        guard event.type == type else {
            throw UnexpectedEvent("expected \(type), got \(event.type) (\(event.status))")
        }
        return event
    }
}

struct UnexpectedEvent: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
