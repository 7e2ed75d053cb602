import Testing

@testable import NVMe

@Suite struct NVMCommandsTests {
    @Test func writeZeroesFlags() {
        var e = ReadWriteCommand(
            opcode: IOOpcode.writeZeroes, namespaceID: 1, startingLBA: 5, blockCount: 0x10000
        ).entry
        #expect(ReadWriteCommand(e).blockCount == 0x10000)
        e.cdw12 |= 1 << 25
        #expect(ReadWriteCommand(e).deallocate)
    }

    @Test func datasetManagementRanges() {
        var e = SubmissionQueueEntry(opcode: IOOpcode.datasetManagement)
        e.cdw10 = 1
        e.cdw11 = 4
        let dsm = DatasetManagementCommand(e)
        #expect(dsm.rangeCount == 2 && dsm.deallocate)
        let data = golden(32, [(4, [8]), (8, [0x10]), (16 + 4, [1]), (16 + 8, [0, 0, 0, 0, 1])])
        data.withUnsafeBytes { b in
            #expect(
                DatasetManagementRange(b, index: 0)
                    == DatasetManagementRange(blockCount: 8, startingLBA: 0x10))
            #expect(
                DatasetManagementRange(b, index: 1)
                    == DatasetManagementRange(blockCount: 1, startingLBA: 1 << 32))
            #expect(DatasetManagementRange(b, index: 2) == nil)
            #expect(DatasetManagementRange(b, index: -1) == nil)
        }
    }
}
