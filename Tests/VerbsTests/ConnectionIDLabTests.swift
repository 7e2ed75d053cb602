import Testing

@testable import Verbs

/// Over a real device (rxe in the lab): RDMA CM connection set-up and tear-down.
extension LabTests {
    @Suite struct ConnectionIDLabTests {
        @Test func connectAndAcceptCarryPrivateDataBothWaysThenDisconnectOnBothSides() throws {
            let lab = try Loopback()
            let cq = try CompletionQueue(context: lab.context, capacity: 64)
            let hostData: [UInt8] = (0..<32).map { UInt8($0 &* 3 &+ 1) }
            let client = try lab.startClient(privateData: hostData)
            let (request, server) = try lab.takeRequest(completionQueue: cq)
            #expect(Array(request.privateData.prefix(32)) == hostData)
            #expect(request.initiatorDepth == 4)
            #expect(request.responderResources == 4)
            #expect(request.listenID === lab.listener)

            let targetData: [UInt8] = (0..<32).map { UInt8(0xF0 ^ $0) }
            try server.id.accept(privateData: targetData, initiatorDepth: 2, responderResources: 4)
            let established = try lab.clientChannel.expect(.established)
            #expect(Array(established.privateData.prefix(32)) == targetData)
            #expect(established.id === client.id)
            let serverEstablished = try lab.serverChannel.expect(.established)
            #expect(serverEstablished.id === server.id)
            #expect(try client.queuePair.queryState() == .readyToSend)
            #expect(try server.queuePair.queryState() == .readyToSend)

            try Lab.disconnect(client.id, on: lab.clientChannel, peer: server.id, on: lab.serverChannel)
            #expect(try client.queuePair.queryState() == .error)
            #expect(try server.queuePair.queryState() == .error)
        }

        @Test func rejectPrivateDataReachesThePeer() throws {
            let lab = try Loopback()
            let cq = try CompletionQueue(context: lab.context, capacity: 16)
            let client = try lab.startClient(privateData: [9, 9])
            let request = try lab.serverChannel.expect(.connectRequest)
            let status: [UInt8] = [0x02, 0x00, 0x00, 0x00]  // NVMe-oF RDMA reject: INVALID_RECFMT
            try request.id.reject(privateData: status)
            let rejected = try lab.clientChannel.expect(.rejected)
            #expect(rejected.id === client.id)
            #expect(rejected.status == 28)
            #expect(rejected.consumerRejectData.map { Array($0.prefix(4)) } == status)
            _ = cq
        }
    }
}
