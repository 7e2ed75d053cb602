import Testing

@testable import NVMe

@Suite struct CompletionQueueEntryTests {
    @Test func layoutMatchesTheReference() {
        let cqe = CompletionQueueEntry(
            dword0: 0x1122_3344, dword1: 0x5566_7788, submissionQueueHead: 0x0102, submissionQueueID: 3,
            commandID: 0xBEEF, status: NVMeStatus.lbaOutOfRange.rawValue)
        let expected = golden(
            16,
            [
                (0, [0x44, 0x33, 0x22, 0x11]), (4, [0x88, 0x77, 0x66, 0x55]), (8, [0x02, 0x01]),
                (10, [3, 0]),
                (12, [0xEF, 0xBE]),
                // SC 0x80 << 1 = 0x100, SCT 0, DNR 0x8000
                (14, [0x00, 0x81]),
            ])
        #expect(cqe.encoded == expected)
        let back = expected.withUnsafeBytes { CompletionQueueEntry(bytes: $0.baseAddress!) }
        #expect(back == cqe)
        #expect(back.nvmeStatus == .lbaOutOfRange)
        #expect(MemoryLayout<CompletionQueueEntry>.size == CompletionQueueEntry.wireSize)
    }
}
