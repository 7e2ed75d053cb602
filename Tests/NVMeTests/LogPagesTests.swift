import Testing

@testable import NVMe

@Suite struct LogPagesTests {
    @Test func getLogPageFields() {
        let c = GetLogPageCommand(logPageID: 0x70, offset: 1024, length: 4096, retainAsyncEvent: true)
        let b = c.entry.encoded
        #expect(
            b[40] == 0x70 && b[41] & 0x80 != 0 && le16(b, 42) == 1023 && le16(b, 44) == 0
                && le64(b, 48) == 1024)
        let v = GetLogPageCommand(b.withUnsafeBytes { SubmissionQueueEntry($0)! })
        #expect(v.length == 4096 && v.offset == 1024 && v.retainAsyncEvent && v.logPageID == 0x70)
        var e = SubmissionQueueEntry(opcode: 2)
        e.cdw10 = 0xFFFF_0001
        e.cdw11 = 0xFFFF
        #expect(GetLogPageCommand(e).length == 0x1_0000_0000 * 4)  // no overflow
    }

    @Test func errorEntryLayout() {
        let e = ErrorLogEntry(
            errorCount: 3, submissionQueueID: 1, commandID: 0x22, statusField: 0x8004,
            parameterErrorLocation: 44, lba: 9, namespaceID: 1)
        let b = encoded(64) {
            $0.zeroFill()
            e.encode(into: $0, at: 0)
        }
        #expect(
            b == golden(64, [(0, [3]), (8, [1, 0, 0x22, 0, 0x04, 0x80, 44, 0]), (16, [9]), (24, [1])]))
    }

    @Test func smartLayout() {
        var s = SMARTHealthLog()
        s.dataUnitsRead = 2
        s.dataUnitsWritten = 3
        s.hostReadCommands = 4
        s.hostWriteCommands = 5
        let b = encoded(512) { s.encode(into: $0) }
        #expect(
            b
                == golden(
                    512, [(1, [0x2A, 0x01]), (3, [100, 10]), (32, [2]), (48, [3]), (64, [4]), (80, [5])]))
        #expect(SMARTHealthLog.dataUnits(bytes: 512) == 1)
        #expect(SMARTHealthLog.dataUnits(bytes: 512_000) == 1)
        #expect(SMARTHealthLog.dataUnits(bytes: 512_512) == 2)
    }

    @Test func firmwareEffectsAndANA() {
        let fw = encoded(512) { FirmwareSlotLog.encode(revision: "1.0", into: $0) }
        #expect(fw == golden(512, [(0, [1]), (8, Array("1.0     ".utf8))]))
        let fx = encoded(4096) {
            CommandEffectsLog.encode(admin: [(0x06, 1)], io: [(0x01, 3)], into: $0)
        }
        #expect(fx == golden(4096, [(24, [1]), (1028, [3])]))
        let ana = encoded(ANALog.size(namespaceCount: 2, includeNamespaces: true)) {
            ANALog.encode(changeCount: 5, namespaceIDs: [1, 3], includeNamespaces: true, into: $0)
        }
        #expect(
            ana
                == golden(
                    56,
                    [
                        (0, [5]), (8, [1]), (16, [1, 0, 0, 0, 2]), (24, [5]), (32, [1]), (48, [1, 0, 0, 0, 3]),
                    ]))
    }
}
