import Backends
import NVMe
import Target
import Testing

@Suite struct AsyncEventTests {
    @Test func removingANamespaceRaisesTheEventAndTheChangedList() throws {
        let (_, subsystem, group) = try makeTarget(devices: [TestMemoryDevice(), TestMemoryDevice()])
        let admin = try TestHost(group)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: subsystem.nqn).entry.dword0)
        admin.enable()
        let io = try TestHost(group)
        #expect(io.connect(subsystem: subsystem.nqn, queueID: 1, sqsize: 31, kato: 0, controllerID: cntlid).ok)
        #expect(io.read(nsid: 2, lba: 0, blocks: 1).ok)
        #expect(admin.setFeature(FeatureID.asyncEventConfiguration, 0x100).ok)
        #expect(admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7) != nil)

        try subsystem.removeNamespace(2)
        group.tick(now: 0)
        let events = admin.drain()
        #expect(events.count == 1)
        #expect(events.first?.ok == true)
        #expect(events.first.map { AsyncEvent(dword0: $0.entry.dword0) } == .namespaceAttributeChanged)

        let log = admin.getLog(LogPageID.changedNamespaceList, length: 4096)
        #expect(log.ok && le32(log.data, 0) == 2 && le32(log.data, 4) == 0)
        // Reading the log cleared it.
        let again = admin.getLog(LogPageID.changedNamespaceList, length: 4096)
        #expect(le32(again.data, 0) == 0)

        let list = admin.identify(cns: IdentifyCNS.activeNamespaceList, nsid: 0)
        #expect(le32(list.data, 0) == 1 && le32(list.data, 4) == 0)
        #expect(admin.identify(cns: IdentifyCNS.namespaceDescriptors, nsid: 2).status == NVMeStatus.invalidNamespace)
        let gone = admin.identify(cns: IdentifyCNS.namespace, nsid: 2)
        #expect(gone.ok && le64(gone.data, 8) == 0)  // NCAP 0: not present
        #expect(io.read(nsid: 2, lba: 0, blocks: 1).status == NVMeStatus.invalidNamespace)
        #expect(io.read(nsid: 1, lba: 0, blocks: 1).ok)

        // The next change raises a new event once the log was read and an AER waits.
        #expect(admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 6) != nil)
        try subsystem.addNamespace(device: TestMemoryDevice(), namespaceID: 3)
        group.tick(now: 1)
        #expect(admin.drain().count == 1)
        #expect(io.read(nsid: 3, lba: 0, blocks: 1).ok)
    }

    @Test func eventsAreNotSentWhenNotEnabled() throws {
        let (_, subsystem, group) = try makeTarget(devices: [TestMemoryDevice(), TestMemoryDevice()])
        let admin = try TestHost(group)
        #expect(admin.connect(subsystem: subsystem.nqn).ok)
        admin.enable()
        #expect(admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7) != nil)
        try subsystem.removeNamespace(1)
        group.tick(now: 0)
        #expect(admin.drain().isEmpty)
        // The list is still kept for the host to read.
        #expect(le32(admin.getLog(LogPageID.changedNamespaceList, length: 4096).data, 0) == 1)
    }

    @Test func resetAndShutdownLeaveOutstandingRequestsToTheAdminQueue() throws {
        let (_, subsystem, group) = try makeTarget()
        let admin = try TestHost(group)
        #expect(admin.connect(subsystem: subsystem.nqn).ok)
        admin.enable()
        #expect(admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7) != nil)
        // SPDK's initiator reuses the AER's CID for the Property Set at once;
        // a late abort would answer that Property Set.
        #expect(admin.propertySet(PropertyOffset.configuration, 0x0046_4001).ok)  // CC.SHN = 01b
        #expect(admin.drain().isEmpty, "no AER completion on shutdown")
        #expect(admin.propertySet(PropertyOffset.configuration, 0x0046_0000).ok)  // CC.EN = 0
        #expect(admin.drain().isEmpty, "nor on reset")
        #expect(admin.propertyGet(PropertyOffset.status).entry.dword0 & 1 == 0)
    }
}
