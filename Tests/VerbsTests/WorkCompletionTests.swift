import CVerbs
import Testing

@testable import Verbs

@Suite struct WorkCompletionTests {
    @Test func fieldsReadThroughToTheCStructure() {
        var completion = WorkCompletion()
        completion.raw.wr_id = 0xDEAD_BEEF
        completion.raw.status = IBV_WC_SUCCESS
        completion.raw.opcode = IBV_WC_RECV
        completion.raw.byte_len = 64
        completion.raw.qp_num = 17
        completion.raw.wc_flags = IBV_WC_WITH_INV.rawValue
        completion.raw.invalidated_rkey = 0x4242
        #expect(completion.workRequestID == 0xDEAD_BEEF)
        #expect(completion.isSuccess)
        #expect(completion.opcode == .receive)
        #expect(completion.opcode.isReceive)
        #expect(completion.byteLength == 64)
        #expect(completion.queuePairNumber == 17)
        #expect(completion.hasInvalidatedRKey)
        #expect(completion.invalidatedRKey == 0x4242)
        #expect(!completion.hasImmediateData)
    }

    @Test func errorStatusIsNamed() {
        var completion = WorkCompletion()
        completion.raw.status = IBV_WC_WR_FLUSH_ERR
        #expect(!completion.isSuccess)
        #expect(completion.status == .flushError)
        #expect(completion.status.description == "Work Request Flushed Error")
        #expect(WorkCompletionOpcode.rdmaRead.description == "RDMA_READ")
        #expect(!WorkCompletionOpcode.send.isReceive)
        #expect(WorkCompletionOpcode.receiveRDMAWithImmediate.isReceive)
    }

    @Test func completionBufferIsPreallocatedAndZeroed() {
        let buffer = WorkCompletionBuffer(capacity: 32)
        #expect(buffer.capacity == 32)
        #expect(buffer[31].workRequestID == 0)
    }
}
