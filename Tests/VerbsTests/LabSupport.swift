import Glibc
import Testing

@testable import Verbs

/// Lab tests need a real RDMA device (Soft-RoCE in the QEMU lab guest), named by
/// `NVMF_LAB_DEVICE` (`lab/run` sets it). Without it they are skipped, with the reason.
enum Lab {
    static let device: String? = {
        guard let value = getenv("NVMF_LAB_DEVICE"), value.pointee != 0 else { return nil }
        return String(cString: value)
    }()

    static let enabled = device != nil

    /// Monotonic seconds, for deadlines.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Orderly close of a connection: `initiator` sends DREQ, the peer sees
    /// DISCONNECTED and answers with its own `disconnect()` (the DREP), then
    /// the initiator sees DISCONNECTED. Without the peer's reply the initiator
    /// would wait for a CM timeout.
    static func disconnect(
        _ initiator: ConnectionID, on initiatorChannel: EventChannel, peer: ConnectionID,
        on peerChannel: EventChannel
    ) throws {
        try initiator.disconnect()
        let peerSide = try peerChannel.expect(.disconnected)
        #expect(peerSide.id === peer)
        try peer.disconnect()
        let initiatorSide = try initiatorChannel.expect(.disconnected)
        #expect(initiatorSide.id === initiator)
    }

    static let skipReason: Comment =
        "no RDMA device: run ./rxe-setup.sh (or lab/run), then set NVMF_LAB_DEVICE=rxe0"

    /// The IPv4 address to bind and connect to: `NVMF_LAB_ADDRESS`, else the
    /// address in the device's GID table.
    static func address() throws -> String {
        if let value = getenv("NVMF_LAB_ADDRESS"), value.pointee != 0 { return String(cString: value) }
        let context = try Device.find(named: device).open()
        guard let text = context.ipv4Address() else {
            throw VerbsError(verb: "ibv_query_gid", errno: ENOENT)
        }
        return text
    }
}

/// Parent of every lab suite: one serialized group, so lab tests never run in
/// parallel with each other (they share the device and `LiveResources.count`).
@Suite(.serialized, .enabled(if: Lab.enabled, Lab.skipReason))
struct LabTests {}

/// Fails the test (instead of hanging) when an expected CM event does not arrive.
struct UnexpectedEvent: Error, CustomStringConvertible {
    var description: String
}

extension EventChannel {
    /// Waits for the next event and checks its type.
    func expect(_ type: CMEventType, timeoutMilliseconds: Int32 = 10_000) throws -> CMEvent {
        guard let event = try nextEvent(timeoutMilliseconds: timeoutMilliseconds) else {
            throw UnexpectedEvent(description: "timed out waiting for \(type)")
        }
        guard event.type == type else {
            throw UnexpectedEvent(
                description: "expected \(type), got \(event.type) status \(event.status)")
        }
        return event
    }
}

extension CompletionQueue {
    /// Busy-polls until `count` completions arrived or 10 s passed (a deadline, not a sleep).
    func waitForCompletions(_ count: Int, seconds: Double = 10) throws -> [WorkCompletion] {
        let buffer = WorkCompletionBuffer(capacity: 16)
        var collected: [WorkCompletion] = []
        let deadline = Lab.now() + seconds
        while collected.count < count && Lab.now() < deadline {
            let got = try poll(into: buffer.completions)
            for index in 0..<got { collected.append(buffer[index]) }
        }
        return collected
    }
}

/// One side's verbs resources for a CM connection, all on the same device context.
struct Endpoint {
    let id: ConnectionID
    let completionQueue: CompletionQueue
    let queuePair: QueuePair
}

/// A listener plus helpers to connect loopback pairs over the lab device.
final class Loopback {
    let serverChannel: EventChannel
    let clientChannel: EventChannel
    let listener: ConnectionID
    let host: String
    let port: UInt16
    let context: DeviceContext
    let protectionDomain: ProtectionDomain

    init() throws {
        host = try Lab.address()
        serverChannel = try EventChannel()
        clientChannel = try EventChannel()
        listener = try ConnectionID(channel: serverChannel)
        try listener.bind(to: SocketAddress(host: host, port: 0)!)
        try listener.listen(backlog: 8)
        port = listener.localPort
        guard let context = listener.deviceContext else {
            throw UnexpectedEvent(description: "listener bound to \(host) has no device")
        }
        self.context = context
        protectionDomain = try ProtectionDomain(context: context)
    }

    /// Starts a client connection up to `rdma_connect` (address and route resolved, QP created).
    func startClient(
        privateData: [UInt8], completionQueue: CompletionQueue? = nil, receives: Int = 16
    ) throws -> Endpoint {
        let client = try ConnectionID(channel: clientChannel)
        try client.resolveAddress(SocketAddress(host: host, port: port)!)
        _ = try clientChannel.expect(.addressResolved)
        try client.resolveRoute()
        _ = try clientChannel.expect(.routeResolved)
        let cq = try completionQueue ?? CompletionQueue(context: context, capacity: 64)
        let qp = try QueuePair(
            connection: client, protectionDomain: protectionDomain, sendCompletionQueue: cq,
            receiveCompletionQueue: cq,
            capabilities: QueuePairCapabilities(
                maxSendWorkRequests: 32, maxReceiveWorkRequests: receives, maxReceiveSGEs: 1))
        try client.connect(privateData: privateData, initiatorDepth: 4, responderResources: 4)
        return Endpoint(id: client, completionQueue: cq, queuePair: qp)
    }

    /// Takes the next CONNECT_REQUEST and creates the server QP on its id (not yet accepted).
    func takeRequest(
        completionQueue: CompletionQueue, sharedReceiveQueue: SharedReceiveQueue? = nil
    ) throws -> (event: CMEvent, endpoint: Endpoint) {
        let request = try serverChannel.expect(.connectRequest)
        let qp = try QueuePair(
            connection: request.id, protectionDomain: protectionDomain,
            sendCompletionQueue: completionQueue,
            receiveCompletionQueue: completionQueue, sharedReceiveQueue: sharedReceiveQueue,
            capabilities: QueuePairCapabilities(
                maxSendWorkRequests: 32, maxReceiveWorkRequests: 16, maxReceiveSGEs: 2))
        return (request, Endpoint(id: request.id, completionQueue: completionQueue, queuePair: qp))
    }

    /// Connects one pair end to end: returns (client, server) once both saw ESTABLISHED.
    func connectPair(
        serverCQ: CompletionQueue, srq: SharedReceiveQueue? = nil, clientCQ: CompletionQueue? = nil
    )
        throws -> (client: Endpoint, server: Endpoint)
    {
        let client = try startClient(privateData: [1], completionQueue: clientCQ)
        let (_, server) = try takeRequest(completionQueue: serverCQ, sharedReceiveQueue: srq)
        try server.id.accept(initiatorDepth: 4, responderResources: 4)
        _ = try clientChannel.expect(.established)
        _ = try serverChannel.expect(.established)
        return (client, server)
    }
}
