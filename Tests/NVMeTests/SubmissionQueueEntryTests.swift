import Testing

@testable import NVMe

@Suite struct SubmissionQueueEntryTests {
    /// A Read of 8 blocks at LBA 0x1_0000_0002, CID 0x1234, NSID 1, keyed SGL with invalidate.
    let fixture = golden(
        64,
        [
            (0, [0x02, 0x40, 0x34, 0x12]), (4, [1, 0, 0, 0]),
            (24, [0x00, 0x10, 0, 0, 0, 0, 0, 0]),  // address 0x1000
            (32, [0x00, 0x10, 0x00]),  // length 4096
            (35, [0x78, 0x56, 0x34, 0x12]),  // key 0x12345678
            (39, [0x4F]),
            (40, [2, 0, 0, 0]), (44, [1, 0, 0, 0]), (48, [7, 0, 0, 0x40]),
        ])

    @Test func decodesEveryField() {
        let e = fixture.withUnsafeBytes { SubmissionQueueEntry($0)! }
        #expect(e.opcode == IOOpcode.read)
        #expect(e.flags == 0x40 && e.psdt == 1 && e.fuse == 0)
        #expect(e.commandID == 0x1234)
        #expect(e.namespaceID == 1)
        #expect(e.dataPointer.address == 0x1000)
        #expect(e.dataPointer.keyedLength == 4096)
        #expect(e.dataPointer.key == 0x1234_5678)
        #expect(e.dataPointer.kind == .keyed(invalidate: true))
        #expect(e.dataDirection == .controllerToHost)
        let rw = ReadWriteCommand(e)
        #expect(rw.startingLBA == 0x1_0000_0002)
        #expect(rw.blockCount == 8)
        #expect(rw.forceUnitAccess)
    }

    @Test func reencodesToTheSameBytes() {
        let e = fixture.withUnsafeBytes { SubmissionQueueEntry($0)! }
        #expect(e.encoded == fixture)
        #expect(MemoryLayout<SubmissionQueueEntry>.size == SubmissionQueueEntry.wireSize)
    }

    @Test func shortBufferIsRejected() {
        let short = [UInt8](repeating: 0, count: 63)
        #expect(short.withUnsafeBytes { SubmissionQueueEntry($0) } == nil)
    }

    @Test func directionFollowsOpcodeAndFabricsType() {
        #expect(SubmissionQueueEntry(opcode: IOOpcode.write).dataDirection == .hostToController)
        #expect(SubmissionQueueEntry(opcode: IOOpcode.flush).dataDirection == .none)
        #expect(SubmissionQueueEntry(opcode: 0x03).dataDirection == .bidirectional)
        let connect = ConnectCommand(queueID: 0, submissionQueueSize: 31, keepAliveTimeout: 0).entry
        #expect(connect.dataDirection == .hostToController)
        #expect(PropertyCommand.get(offset: 0, eightBytes: true).entry.dataDirection == .none)
    }
}
