import Backends
import NVMe
import Target
import Testing

/// Replays the Linux host's bring-up (reference §1.7) over the in-process
/// transport, checking every field the host checks (§1.8, §1.9).
@Suite struct BringUpTests {
    @Test func linuxHostBringUpIOAndShutdown() throws {
        let device = TestMemoryDevice(blockCount: 8192)
        let (target, subsystem, group) = try makeTarget(devices: [device])
        let options = TransportOptions(inCapsuleDataSize: 4096, maxIOSize: 128 * 1024, maxQueueDepth: 128)
        let admin = try TestHost(group, options: options)

        // 1. Connect (admin): SQSIZE 31, KATO 5 s, CNTLID FFFFh.
        let connect = admin.connect(subsystem: subsystem.nqn)
        #expect(connect.ok)
        let cntlid = UInt16(truncatingIfNeeded: connect.entry.dword0)
        #expect(cntlid >= 1 && cntlid <= 0xFFEF)
        #expect(connect.entry.dword0 >> 16 & 0x3 == 0)  // ATR/ASCR clear: no authentication
        #expect(connect.entry.submissionQueueID == 0)

        // 3. CAP (8 bytes).
        let capReply = admin.propertyGet(PropertyOffset.capabilities, eightBytes: true)
        #expect(capReply.ok)
        let cap = UInt64(capReply.entry.dword0) | UInt64(capReply.entry.dword1) << 32
        #expect(cap >> 48 & 0xF == 0)  // MPSMIN: 4 KiB host pages
        #expect(cap >> 37 & 1 == 1)  // CSS NVM
        #expect(cap >> 43 & 1 == 0)  // so the host writes CC.CSS = 0
        #expect(cap & 0xFFFF == 127)  // MQES
        #expect(cap >> 24 & 0xFF > 0)  // TO
        #expect(cap >> 59 & 1 == 0)  // no CRWMS: no CRTO read
        #expect(cap >> 60 & 1 == 0)  // no CRIMS: host stays on CNS 00

        // 4.–8. CC (EN 0), CAP, CC (EN 1), poll CSTS.RDY.
        #expect(admin.propertySet(PropertyOffset.configuration, 0x0046_0000).ok)
        #expect(admin.propertyGet(PropertyOffset.capabilities, eightBytes: true).ok)
        #expect(admin.propertyGet(PropertyOffset.status).entry.dword0 & 1 == 0)
        #expect(admin.propertySet(PropertyOffset.configuration, 0x0046_0001).ok)
        let csts = admin.propertyGet(PropertyOffset.status)
        #expect(csts.ok && csts.entry.dword0 & 0x3 == 1)  // RDY, no CFS
        #expect(admin.propertyGet(PropertyOffset.configuration).entry.dword0 == 0x0046_0001)

        // 9. VS 1.3.
        #expect(admin.propertyGet(PropertyOffset.version).entry.dword0 == 0x0001_0300)

        // 10. Identify Controller: every field of §1.8 the host checks.
        let idc = admin.identify(cns: IdentifyCNS.controller)
        #expect(idc.ok && idc.data.count == 4096)
        let b = idc.data
        #expect(le16(b, 78) == cntlid)  // CNTLID equals Connect's
        #expect(le16(b, 320) != 0)  // KAS
        let sgls = le32(b, 536)
        #expect(sgls & 0x3 == 1 && sgls & 0x4 != 0 && sgls & (1 << 20) != 0)
        #expect(sgls == 0x0010_0005)
        #expect(le32(b, 1792) == 4 + 4096 / 16)  // IOCCSZ
        #expect(le32(b, 1796) >= 1)  // IORCSZ
        #expect(le16(b, 1800) == 0)  // ICDOFF
        #expect(b[1803] == 1)  // MSDBD
        #expect(b[76] & 0x2 != 0)  // CMIC bit 1
        #expect(b[76] & 0x8 == 0)  // no ANA
        #expect(b[77] == 5)  // MDTS: 128 KiB
        #expect(le16(b, 514) == 128)  // MAXCMD
        #expect(b[111] == 1)  // CNTRLTYPE I/O
        #expect(b[512] == 0x66 && b[513] == 0x44)
        #expect(le32(b, 80) == 0x0001_0300)
        #expect(nulString(b, 768, 256) == subsystem.nqn)
        #expect(ascii(b, 4, 20) == "SWIFT0001           ")
        #expect(le32(b, 516) == 32 && le32(b, 540) == 32)  // NN, MNAN
        #expect(le16(b, 520) & 0x0C == 0x0C)  // DSM, Write Zeroes
        #expect(b[525] & 1 == 1)  // VWC
        #expect(le32(b, 92) & 0x100 != 0)  // OAES: namespace attribute notices
        #expect(b[259] == 3)  // AERL

        // 11. LPA bit 1 → Commands Supported and Effects.
        #expect(b[261] & 0x2 != 0)
        let effects = admin.getLog(LogPageID.commandEffects, length: 4096, nsid: 0)
        #expect(effects.ok)
        #expect(le32(effects.data, 4 * Int(AdminOpcode.identify)) & 1 == 1)
        #expect(le32(effects.data, 1024 + 4 * Int(IOOpcode.write)) == 3)

        // 14. Keep Alive.
        #expect(admin.run(SubmissionQueueEntry(opcode: AdminOpcode.keepAlive)).ok)

        // 15. Number of Queues: ask for 4 (0's based 3).
        let nq = admin.setFeature(FeatureID.numberOfQueues, 0x0003_0003)
        #expect(nq.ok && nq.entry.dword0 == 0x007E_007E)

        // 16. I/O queue connect.
        let io = try TestHost(group, options: options)
        // The Connect data arrives in-capsule (1024 ≤ ICD and SGLS bit 20 set), as Linux sends it.
        let ioConnect = io.connect(
            subsystem: subsystem.nqn, queueID: 1, sqsize: 127, kato: 0, controllerID: cntlid, inCapsule: true)
        #expect(ioConnect.ok && UInt16(truncatingIfNeeded: ioConnect.entry.dword0) == cntlid)

        // 17. Async Event Configuration, then one AER (stays outstanding).
        #expect(admin.setFeature(FeatureID.asyncEventConfiguration, 0x100).ok)
        let aer = admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7)
        #expect(aer != nil)
        #expect(admin.queue.pendingCompletions == 0)

        // 18. Namespace scan.
        #expect(admin.run(IdentifyCommand(cns: IdentifyCNS.commandSetController, csi: 0).entry).ok)
        let list = admin.identify(cns: IdentifyCNS.activeNamespaceList, nsid: 0)
        #expect(list.ok && le32(list.data, 0) == 1 && le32(list.data, 4) == 0)
        let desc = admin.identify(cns: IdentifyCNS.namespaceDescriptors, nsid: 1)
        #expect(desc.ok)
        let ns = try #require(subsystem.namespace(1))
        #expect(desc.data[0] == 2 && desc.data[1] == 16 && Array(desc.data[4..<20]) == ns.nguid)
        #expect(desc.data[20] == 3 && desc.data[21] == 16 && Array(desc.data[24..<40]) == ns.uuid)
        #expect(desc.data[40] == 4 && desc.data[41] == 1 && desc.data[44] == 0)
        let idns = admin.identify(cns: IdentifyCNS.namespace, nsid: 1)
        #expect(idns.ok)
        #expect(le64(idns.data, 0) == 8192 && le64(idns.data, 8) == 8192)  // NSZE, NCAP
        #expect(idns.data[25] == 0 && idns.data[26] == 0)  // NLBAF, FLBAS
        #expect(idns.data[130] == 9)  // LBAF0.LBADS: 512 bytes
        #expect(idns.data[33] & 0x7 == 1)  // deallocated blocks read as zero
        #expect(Array(idns.data[104..<120]) == ns.nguid)

        // Verified I/O: in-capsule write, keyed write, keyed read back.
        let pattern = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        #expect(io.write(lba: 10, data: pattern, inCapsule: true).ok)
        let big = (0..<(64 * 1024)).map { UInt8(truncatingIfNeeded: $0 >> 3) }
        #expect(io.write(lba: 100, data: big).ok)
        #expect(device.bytes(lba: 10, count: 8) == pattern)
        let r1 = io.read(lba: 10, blocks: 8)
        #expect(r1.ok && r1.data == pattern && r1.entry.submissionQueueID == 1)
        let r2 = io.read(lba: 100, blocks: 128)
        #expect(r2.ok && r2.data == big)
        #expect(io.run(SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 1)).ok)
        #expect(device.flushes == 1)
        let wz = ReadWriteCommand(opcode: IOOpcode.writeZeroes, namespaceID: 1, startingLBA: 12, blockCount: 2).entry
        #expect(io.run(wz).ok)
        let afterWZ = io.read(lba: 10, blocks: 8)
        #expect(Array(afterWZ.data[0..<1024]) == Array(pattern[0..<1024]))
        #expect(afterWZ.data[1024..<2048].allSatisfy { $0 == 0 })
        var dsm = SubmissionQueueEntry(opcode: IOOpcode.datasetManagement, namespaceID: 1)
        dsm.cdw10 = 1  // two ranges
        dsm.cdw11 = 4  // AD
        dsm.dataPointer = .inCapsule(offset: 0, length: 32)
        let ranges = WireCopy.page(size: 32) {
            DatasetManagementRange(blockCount: 8, startingLBA: 100).encode(into: $0, index: 0)
            DatasetManagementRange(blockCount: 0, startingLBA: 0).encode(into: $0, index: 1)
        }
        #expect(io.run(dsm, data: ranges, inCapsule: true).ok)
        let afterDSM = io.read(lba: 100, blocks: 16)
        #expect(afterDSM.data[0..<4096].allSatisfy { $0 == 0 })
        #expect(Array(afterDSM.data[4096..<8192]) == Array(big[4096..<8192]))
        #expect(device.operations.filter { $0 == .deallocate }.count == 1)

        // SMART counts the reads and writes above.
        let smart = admin.getLog(LogPageID.smartHealth, length: 512)
        #expect(smart.ok)
        #expect(le64(smart.data, 64) == 4)  // host read commands
        #expect(le64(smart.data, 80) == 2)  // host write commands
        #expect(le64(smart.data, 48) == 1)  // data units written: 136 sectors → 1
        #expect(le64(smart.data, 32) == 1)

        // 20. Teardown: I/O queue goes, CC.SHN = 01b, SHST = 10b, admin goes.
        io.queue.hostDisconnect()
        let shn = admin.propertySet(PropertyOffset.configuration, 0x0046_4001)
        #expect(shn.ok)
        #expect(admin.propertyGet(PropertyOffset.status).entry.dword0 >> 2 & 0x3 == 2)
        admin.queue.hostDisconnect()
        #expect(subsystem.controllerCount == 0)
        #expect(group.queueCount == 0)
        #expect(!admin.queue.targetQueue.isConnected || admin.queue.isDisconnected)
        _ = target
    }
}
