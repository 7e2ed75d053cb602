import Testing

@testable import NVMe

@Suite struct PropertyCommandsTests {
    @Test func getAndSetLayouts() {
        let g = PropertyCommand.get(commandID: 1, offset: PropertyOffset.capabilities, eightBytes: true)
            .entry.encoded
        #expect(g[0] == 0x7F && g[4] == 0x04 && g[40] == 1 && le32(g, 44) == 0)
        let s = PropertyCommand.set(
            offset: PropertyOffset.configuration, value: 0x0046_0001, eightBytes: false
        ).entry.encoded
        #expect(s[4] == 0x00 && s[40] == 0 && le32(s, 44) == 0x14 && le64(s, 48) == 0x0046_0001)
        let view = PropertyCommand(s.withUnsafeBytes { SubmissionQueueEntry($0)! })
        #expect(!view.isGet && view.sizeField == 0 && view.offset == 0x14 && view.value == 0x0046_0001)
    }

    @Test func registerFields() {
        let cap = ControllerRegisters.capabilities(maxQueueEntries: 128, timeout500ms: 15)
        #expect(cap & 0xFFFF == 127)
        #expect(cap >> 16 & 1 == 1)
        #expect(cap >> 24 & 0xFF == 15)
        #expect(cap >> 37 & 1 == 1)
        #expect(cap >> 48 & 0xF == 0)  // MPSMIN 4 KiB
        #expect(ControllerRegisters.version(major: 1, minor: 3) == 0x0001_0300)
        let cc: UInt32 = 0x0046_0001
        #expect(ControllerRegisters.enable(cc))
        #expect(ControllerRegisters.ioSubmissionQueueEntrySize(cc) == 6)
        #expect(ControllerRegisters.ioCompletionQueueEntrySize(cc) == 4)
        #expect(ControllerRegisters.shutdownNotification(0x4000) == 1)
    }
}
