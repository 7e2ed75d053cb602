import CVerbs
import Testing

@testable import Verbs

/// Over a real device (rxe in the lab): data movement through queue pairs.
extension LabTests {
    @Suite struct QueuePairLabTests {
        @Test func sendReceiveThroughOneSRQSharedByTwoQueuePairs() throws {
            let lab = try Loopback()
            let serverCQ = try CompletionQueue(context: lab.context, capacity: 64)
            let srq = try SharedReceiveQueue(
                protectionDomain: lab.protectionDomain, capacity: 16, maxSGEsPerRequest: 2)
            let serverMemory = try lab.protectionDomain.allocateRegion(
                byteCount: 8 * 1024, access: .localWrite)
            let receives = ReceiveWorkRequestList(capacity: 4, maxSGEsPerRequest: 2)
            for slot in 0..<4 {
                // 2 SGEs per receive: 16-byte header, then the rest of the message.
                receives.append(
                    id: UInt64(slot), serverMemory.scatterGatherEntry(offset: slot * 1024, length: 16),
                    serverMemory.scatterGatherEntry(offset: slot * 1024 + 16, length: 1008))
            }
            try srq.postReceive(receives)
            #expect(receives.isEmpty)

            let first = try lab.connectPair(serverCQ: serverCQ, srq: srq)
            let second = try lab.connectPair(serverCQ: serverCQ, srq: srq)
            #expect(first.server.queuePair.sharedReceiveQueue === srq)

            let clientMemory = try lab.protectionDomain.allocateRegion(
                byteCount: 4096, access: .localWrite)
            for index in 0..<100 { clientMemory.bytes[index] = UInt8(index) }
            for index in 0..<100 { clientMemory.bytes[2048 + index] = UInt8(200 &- index) }
            try first.client.queuePair.postSend(
                id: 77, clientMemory.scatterGatherEntry(offset: 0, length: 100))
            try second.client.queuePair.postSend(
                id: 78, clientMemory.scatterGatherEntry(offset: 2048, length: 100))

            let received = try serverCQ.waitForCompletions(2)
            #expect(received.count == 2)
            #expect(received.allSatisfy { $0.isSuccess && $0.opcode == .receive && $0.byteLength == 100 })
            let qpNumbers = Set(received.map(\.queuePairNumber))
            #expect(qpNumbers == [first.server.queuePair.number, second.server.queuePair.number])
            for completion in received {
                let base = Int(completion.workRequestID) * 1024
                let fromFirst = completion.queuePairNumber == first.server.queuePair.number
                for index in 0..<100 {
                    #expect(
                        serverMemory.bytes[base + index] == (fromFirst ? UInt8(index) : UInt8(200 &- index)))
                }
            }
            // Each client has its own CQ: one SEND completion on each.
            let sentFirst = try first.client.completionQueue.waitForCompletions(1)
            let sentSecond = try second.client.completionQueue.waitForCompletions(1)
            #expect(sentFirst.map(\.workRequestID) == [77])
            #expect(sentSecond.map(\.workRequestID) == [78])
            #expect((sentFirst + sentSecond).allSatisfy { $0.isSuccess && $0.opcode == .send })
        }

        @Test func rdmaWriteAndReadMoveVerifiedData() throws {
            let lab = try Loopback()
            let serverCQ = try CompletionQueue(context: lab.context, capacity: 64)
            let srq = try SharedReceiveQueue(
                protectionDomain: lab.protectionDomain, capacity: 8, maxSGEsPerRequest: 1)
            let target = try lab.protectionDomain.allocateRegion(byteCount: 64 * 1024, access: .all)
            let capsules = try lab.protectionDomain.allocateRegion(byteCount: 4096, access: .localWrite)
            try srq.postReceive(id: 5, capsules.scatterGatherEntry(length: 64))
            let pair = try lab.connectPair(serverCQ: serverCQ, srq: srq)
            let remote = RemoteAddress(address: target.address, rkey: target.rkey)

            let local = try lab.protectionDomain.allocateRegion(byteCount: 64 * 1024, access: .localWrite)
            for index in 0..<(32 * 1024) { local.bytes[index] = UInt8(truncatingIfNeeded: index &* 7) }
            // WRITE (unsignaled) + SEND (signaled) in one chain: the SEND lands after the data.
            let chain = SendWorkRequestList(capacity: 4)
            chain.appendRDMAWrite(id: 1, local.scatterGatherEntry(length: 32 * 1024), to: remote)
            chain.appendSend(id: 2, local.scatterGatherEntry(length: 64))
            try pair.client.queuePair.postSend(chain)
            let sendDone = try pair.client.completionQueue.waitForCompletions(1)
            #expect(sendDone.map(\.workRequestID) == [2])
            let capsule = try serverCQ.waitForCompletions(1)
            #expect(capsule.first?.workRequestID == 5)
            #expect(
                (0..<(32 * 1024)).allSatisfy { target.bytes[$0] == UInt8(truncatingIfNeeded: $0 &* 7) })

            // RDMA READ back into the second half of the local buffer.
            try pair.client.queuePair.postRDMARead(
                id: 3, into: local.scatterGatherEntry(offset: 32 * 1024, length: 32 * 1024), from: remote)
            let readDone = try pair.client.completionQueue.waitForCompletions(1)
            #expect(readDone.first?.isSuccess == true)
            #expect(readDone.first?.opcode == .rdmaRead)
            #expect(readDone.first.map { Int($0.byteLength) } == 32 * 1024)
            #expect(
                (0..<(32 * 1024)).allSatisfy {
                    local.bytes[32 * 1024 + $0] == UInt8(truncatingIfNeeded: $0 &* 7)
                })
        }

        @Test func readWithABadRKeyFailsWithRemoteAccessError() throws {
            let lab = try Loopback()
            let serverCQ = try CompletionQueue(context: lab.context, capacity: 64)
            let srq = try SharedReceiveQueue(
                protectionDomain: lab.protectionDomain, capacity: 8, maxSGEsPerRequest: 1)
            let pair = try lab.connectPair(serverCQ: serverCQ, srq: srq)
            let local = try lab.protectionDomain.allocateRegion(byteCount: 4096, access: .localWrite)
            try pair.client.queuePair.postRDMARead(
                id: 9, into: local.scatterGatherEntry(length: 64),
                from: RemoteAddress(address: 0x1000, rkey: 0xBAD))
            let done = try pair.client.completionQueue.waitForCompletions(1)
            #expect(done.first?.workRequestID == 9)
            #expect(done.first?.isSuccess == false)
            #expect(
                done.first.map {
                    $0.status == .remoteAccessError || $0.status == .remoteInvalidRequestError
                }
                    == true)
        }
    }
}
