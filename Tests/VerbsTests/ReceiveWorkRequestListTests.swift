import CVerbs
import Testing

@testable import Verbs

@Suite struct ReceiveWorkRequestListTests {
    @Test func twoSGEReceivesAreLinked() {
        let list = ReceiveWorkRequestList(capacity: 3, maxSGEsPerRequest: 2)
        for slot in 0..<3 {
            let capsule = ScatterGatherEntry(address: UInt64(0x1000 + slot * 64), length: 64, lkey: 5)
            let data = ScatterGatherEntry(address: UInt64(0x10000 + slot * 8192), length: 8192, lkey: 5)
            list.append(id: UInt64(100 + slot), capsule, data)
        }
        #expect(list.count == 3)
        let seen = list.withChain { head -> Int in
            var node: UnsafeMutablePointer<ibv_recv_wr>? = head
            var seen = 0
            while let current = node {
                #expect(current.pointee.wr_id == UInt64(100 + seen))
                #expect(current.pointee.num_sge == 2)
                #expect(current.pointee.sg_list[0].length == 64)
                #expect(current.pointee.sg_list[1].addr == UInt64(0x10000 + seen * 8192))
                seen += 1
                node = current.pointee.next
            }
            return seen
        }
        #expect(seen == 3)
        #expect(list.sge(2, 0).address == 0x1000 + 128)
    }

    @Test func failedPostKeepsTheListAndNamesTheIndex() {
        let list = ReceiveWorkRequestList(capacity: 2, maxSGEsPerRequest: 1)
        list.append(id: 1, ScatterGatherEntry(address: 1, length: 1, lkey: 1))
        list.append(id: 2, ScatterGatherEntry(address: 2, length: 1, lkey: 1))
        #expect(throws: VerbsError.self) {
            try list.finishPost(returnCode: ENOMEM, badRequest: list.head, "ibv_post_srq_recv")
        }
        #expect(list.firstFailedIndex == 0)
        #expect(list.count == 2)
    }
}
