import CVerbs
import Testing

@testable import Verbs

@Suite struct SendWorkRequestListTests {
    @Test func layoutsMatchC() {
        #expect(MemoryLayout<SendWorkRequest>.size == MemoryLayout<ibv_send_wr>.size)
        #expect(MemoryLayout<SendWorkRequest>.size == 128)
        #expect(MemoryLayout<ReceiveWorkRequest>.size == 32)
        #expect(MemoryLayout<ScatterGatherEntry>.size == 16)
        #expect(MemoryLayout<ScatterGatherEntry>.stride == MemoryLayout<ibv_sge>.stride)
        #expect(MemoryLayout<WorkCompletion>.size == 48)
    }

    @Test func writeWriteSendChainIsBuiltAndLinked() {
        let list = SendWorkRequestList(capacity: 4, maxSGEsPerRequest: 2)
        let data = ScatterGatherEntry(address: 0x1000, length: 4096, lkey: 7)
        let tail = ScatterGatherEntry(address: 0x2000, length: 512, lkey: 7)
        let response = ScatterGatherEntry(address: 0x3000, length: 16, lkey: 9)
        list.appendRDMAWrite(id: 1, data, to: RemoteAddress(address: 0xAB00, rkey: 0x55))
        list.appendRDMAWrite(id: 2, tail, to: RemoteAddress(address: 0xBB00, rkey: 0x55))
        list.appendSendWithInvalidate(id: 3, response, invalidating: 0x55)
        #expect(list.count == 3)

        #expect(list[0].opcode == .rdmaWrite)
        #expect(list[0].flags == [])
        #expect(list[0].remote == RemoteAddress(address: 0xAB00, rkey: 0x55))
        #expect(list.sge(0, 0) == data)
        #expect(list[1].remote.address == 0xBB00)
        #expect(list[2].opcode == .sendWithInvalidate)
        #expect(list[2].flags == .signaled)
        #expect(list[2].invalidateRKey == 0x55)
        #expect(list[2].id == 3)
        #expect(list.sge(2, 0) == response)

        // Walk the C chain exactly as ibv_post_send will.
        let ids = list.withChain { head -> [UInt64] in
            var ids: [UInt64] = []
            var node: UnsafeMutablePointer<ibv_send_wr>? = head
            while let current = node {
                ids.append(current.pointee.wr_id)
                #expect(current.pointee.num_sge == 1)
                node = current.pointee.next
            }
            return ids
        }
        #expect(ids == [1, 2, 3])
        // After the post the permanent link is back, ready for a longer chain.
        #expect(list.head.pointee.next?.pointee.next?.pointee.next != nil)
    }

    @Test func rdmaReadAndMultiSGESend() {
        let list = SendWorkRequestList(capacity: 2, maxSGEsPerRequest: 3)
        let sink = ScatterGatherEntry(address: 0x4000, length: 8192, lkey: 3)
        list.appendRDMARead(id: 10, into: sink, from: RemoteAddress(address: 0xFEED_0000, rkey: 0x1234))
        let parts = [
            ScatterGatherEntry(address: 1, length: 2, lkey: 3),
            ScatterGatherEntry(address: 4, length: 5, lkey: 6),
            ScatterGatherEntry(address: 7, length: 8, lkey: 9),
        ]
        parts.withUnsafeBufferPointer {
            list.append(id: 11, opcode: .send, sges: $0, flags: [.signaled, .solicited])
        }
        #expect(list[0].opcode == .rdmaRead)
        #expect(list[0].flags == .signaled)
        #expect(list[0].remote.rkey == 0x1234)
        #expect(list[1].sgeCount == 3)
        #expect((0..<3).map { list.sge(1, $0) } == parts)
        #expect(list[1].flags.contains(.solicited))
        // Reuse after removeAll starts a fresh chain with no stale link.
        list.removeAll()
        #expect(list.isEmpty)
        list.appendSend(id: 12, sink, flags: [])
        #expect(list.count == 1)
        #expect(list.withChain { $0.pointee.next == nil })
        #expect(list[0].flags == [])
    }

    @Test func flagsHaveTheCValues() {
        #expect(SendFlags.signaled.rawValue == IBV_SEND_SIGNALED.rawValue)
        #expect(SendFlags.fence.rawValue == IBV_SEND_FENCE.rawValue)
        #expect(SendFlags.inline.rawValue == IBV_SEND_INLINE.rawValue)
        #expect(SendOpcode.sendWithInvalidate.rawValue == IBV_WR_SEND_WITH_INV.rawValue)
        #expect(SendOpcode.rdmaRead.rawValue == IBV_WR_RDMA_READ.rawValue)
    }

    @Test func failedPostRecordsTheFirstUnpostedRequest() {
        let list = SendWorkRequestList(capacity: 3)
        let sge = ScatterGatherEntry(address: 1, length: 1, lkey: 1)
        for id in 0..<3 { list.appendSend(id: UInt64(id), sge) }
        let bad = list.head.pointee.next  // the provider stopped at the second request
        #expect(throws: VerbsError(verb: "ibv_post_send", errno: ENOMEM)) {
            try list.finishPost(returnCode: ENOMEM, badRequest: bad)
        }
        #expect(list.firstFailedIndex == 1)
        #expect(list.count == 3)
        #expect(throws: Never.self) { try list.finishPost(returnCode: 0, badRequest: nil) }
        #expect(list.isEmpty)
        #expect(list.firstFailedIndex == nil)
    }
}
