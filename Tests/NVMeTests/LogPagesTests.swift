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
        let groups = [
            ANALog.Group(groupID: 1, state: .optimized, namespaceIDs: [1, 3], changeCount: 5),
            ANALog.Group(groupID: 4, state: .inaccessible, namespaceIDs: [4], changeCount: 7),
        ]
        let ana = encoded(ANALog.size(groups: groups, includeNamespaces: true)) {
            ANALog.encode(changeCount: 9, groups: groups, includeNamespaces: true, into: $0)
        }
        // Header, then each descriptor (ANAGRPID, NNSIDS, CHGCNT, ANAS) followed by its NSIDs.
        #expect(
            ana
                == golden(
                    16 + 32 + 8 + 32 + 4,
                    [
                        (0, [9]), (8, [2]), (16, [1, 0, 0, 0, 2]), (24, [5]), (32, [0x01]), (48, [1, 0, 0, 0, 3]),
                        (56, [4, 0, 0, 0, 1]), (64, [7]), (72, [0x03]), (88, [4]),
                    ]))
        // RGO: descriptors only, NNSIDS 0.
        let groupsOnly = encoded(ANALog.size(groups: groups, includeNamespaces: false)) {
            ANALog.encode(changeCount: 9, groups: groups, includeNamespaces: false, into: $0)
        }
        #expect(
            groupsOnly
                == golden(
                    16 + 64, [(0, [9]), (8, [2]), (16, [1]), (24, [5]), (32, [1]), (48, [4]), (56, [7]), (64, [3])]))
    }
}
