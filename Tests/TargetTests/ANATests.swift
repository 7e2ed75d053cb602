import Backends
import NVMe
import Target
import Testing

/// Asymmetric Namespace Access (issue 14): two listeners of one subsystem
/// are two paths; each reports its own state per ANA group.
@Suite struct ANATests {
    static let pathA = ListenerAddress(address: "10.0.0.1", serviceID: "4420")
    static let pathB = ListenerAddress(address: "10.0.0.2", serviceID: "4420", portID: 2)

    /// A subsystem with ANA reporting, NSIDs 1 and 2 (groups 1 and 2 by default) and NSID 3 in group 1.
    func makeANATarget(anaReporting: Bool = true) throws -> (NVMfTarget, Subsystem, PollGroup) {
        let target = NVMfTarget()
        let s = try target.addSubsystem(
            nqn: "nqn.2026-01.io.swift:ana", serialNumber: "ANA1", allowAnyHost: true, maxNamespaces: 8,
            anaReporting: anaReporting)
        try s.addNamespace(device: TestMemoryDevice())
        try s.addNamespace(device: TestMemoryDevice())
        try s.addNamespace(device: TestMemoryDevice(), namespaceID: 3, anaGroupID: anaReporting ? 1 : nil)
        try s.addListener(Self.pathA)
        try s.addListener(Self.pathB)
        try s.start()
        return (target, s, target.makePollGroup())
    }

    /// An enabled admin queue and I/O queue 1 through `listener`.
    func connectPath(_ s: Subsystem, _ group: PollGroup, _ listener: ListenerAddress, kato: UInt32 = 5000) throws
        -> (TestHost, TestHost)
    {
        let admin = try TestHost(group, listener: listener)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: s.nqn, kato: kato).entry.dword0)
        admin.enable()
        let io = try TestHost(group, listener: listener)
        #expect(io.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        return (admin, io)
    }

    @Test func identifyReportsANAWhenReportingIsOn() throws {
        let (_, s, group) = try makeANATarget()
        let (admin, _) = try connectPath(s, group, Self.pathA)
        let id = admin.identify(cns: IdentifyCNS.controller).data
        #expect(id[IdentifyControllerData.Offset.multiPathCapabilities] == 0x0B)  // multi-port, multi-ctrl, ANA
        #expect(le32(id, IdentifyControllerData.Offset.asyncEventsSupported) & (1 << 11) != 0)
        #expect(id[IdentifyControllerData.Offset.anaTransitionTime] == 10)
        #expect(id[IdentifyControllerData.Offset.anaCapabilities] == 0x5F)
        #expect(le32(id, IdentifyControllerData.Offset.anaGroupMax) == 8)
        #expect(le32(id, IdentifyControllerData.Offset.numberOfANAGroupIDs) == 8)
        #expect(le32(admin.identify(cns: IdentifyCNS.namespace, nsid: 2).data, 92) == 2)
        #expect(le32(admin.identify(cns: IdentifyCNS.namespace, nsid: 3).data, 92) == 1)
        #expect(le32(admin.identify(cns: IdentifyCNS.independentNamespace, nsid: 3).data, 4) == 1)
        #expect(admin.setFeature(FeatureID.asyncEventConfiguration, 1 << 11).ok)
    }

    @Test func withoutReportingNothingOfANAIsReported() throws {
        let (_, s, group) = try makeANATarget(anaReporting: false)
        let (admin, io) = try connectPath(s, group, Self.pathA)
        let id = admin.identify(cns: IdentifyCNS.controller).data
        #expect(id[IdentifyControllerData.Offset.multiPathCapabilities] == 0x03)
        #expect(id[IdentifyControllerData.Offset.anaCapabilities] == 0)
        #expect(le32(admin.identify(cns: IdentifyCNS.namespace, nsid: 1).data, 92) == 0)
        #expect(admin.getLog(LogPageID.asymmetricNamespaceAccess, length: 4096).status == NVMeStatus.invalidLogPage)
        #expect(admin.setFeature(FeatureID.asyncEventConfiguration, 1 << 11).status == NVMeStatus.invalidField)
        #expect(throws: TargetError.anaReportingDisabled(s.nqn)) {
            try s.setANAState(.inaccessible, listener: Self.pathA)
        }
        #expect(io.read(lba: 0, blocks: 1).ok)
    }

    @Test func theLogPageListsGroupsWithThisPathsStates() throws {
        let (_, s, group) = try makeANATarget()
        let (adminA, _) = try connectPath(s, group, Self.pathA)
        let (adminB, _) = try connectPath(s, group, Self.pathB)
        try s.setANAState(.nonOptimized, listener: Self.pathB)
        try s.setANAState(.inaccessible, listener: Self.pathB, groupID: 2)

        let a = adminA.getLog(LogPageID.asymmetricNamespaceAccess, length: 4096).data
        let b = adminB.getLog(LogPageID.asymmetricNamespaceAccess, length: 4096).data
        #expect(le64(a, 0) == le64(b, 0) && le64(a, 0) > 1, "one change count for the subsystem")
        #expect(le16(a, 8) == 2 && le16(b, 8) == 2, "two groups hold namespaces")
        // Group 1 (NSIDs 1, 3), then group 2 (NSID 2).
        #expect(le32(a, 16) == 1 && le32(a, 20) == 2 && a[32] == 0x01 && le32(a, 48) == 1 && le32(a, 52) == 3)
        #expect(le32(a, 56) == 2 && le32(a, 60) == 1 && a[72] == 0x01 && le32(a, 88) == 2)
        #expect(b[32] == 0x02 && b[72] == 0x03, "path B: group 1 non-optimized, group 2 inaccessible")
        // RGO (LSP bit 0): descriptors without NSIDs.
        let rgo = adminB.run(
            GetLogPageCommand(
                logPageID: LogPageID.asymmetricNamespaceAccess, namespaceID: 0xFFFF_FFFF, offset: 0, length: 4096,
                specific: 1
            ).entry
        ).data
        #expect(le32(rgo, 16) == 1 && le32(rgo, 20) == 0 && rgo[32] == 0x02)
        #expect(le32(rgo, 48) == 2 && le32(rgo, 52) == 0 && rgo[64] == 0x03)
    }

    @Test func eachStateGivesItsPathStatusAndOnlyOnItsPath() throws {
        let (_, s, group) = try makeANATarget()
        let (adminA, ioA) = try connectPath(s, group, Self.pathA)
        let (adminB, ioB) = try connectPath(s, group, Self.pathB)
        let pattern = [UInt8](repeating: 0xA7, count: 512)
        let expected: [(ANAState, NVMeStatus?)] = [
            (.inaccessible, .anaInaccessible), (.persistentLoss, .anaPersistentLoss), (.change, .anaTransition),
            (.nonOptimized, nil), (.optimized, nil),
        ]
        for (state, status) in expected {
            try s.setANAState(state, listener: Self.pathA, groupID: 1)
            let write = ioA.write(nsid: 1, lba: 4, data: pattern)
            let read = ioA.read(nsid: 3, lba: 4, blocks: 1)
            if let status {
                #expect(write.status == status && read.status == status, "\(state)")
                #expect(!status.doNotRetry, "a path error must let the host retry on another path")
            } else {
                #expect(write.ok && read.ok, "\(state)")
            }
            // Group 2 through path A and everything through path B are untouched.
            #expect(ioA.read(nsid: 2, lba: 0, blocks: 1).ok)
            #expect(ioB.read(nsid: 1, lba: 4, blocks: 1).ok)
        }
        // Nothing a refused write carried reached the medium.
        try s.setANAState(.inaccessible, listener: Self.pathA)
        #expect(ioA.write(nsid: 1, lba: 9, data: pattern).status == .anaInaccessible)
        #expect(ioB.read(nsid: 1, lba: 9, blocks: 1).data == [UInt8](repeating: 0, count: 512))
        withExtendedLifetime((adminA, adminB)) {}
    }

    @Test func everyChangeRaisesTheEventOnThatPathsControllers() throws {
        let (_, s, group) = try makeANATarget()
        let (adminA, ioA) = try connectPath(s, group, Self.pathA)
        let (adminB, ioB) = try connectPath(s, group, Self.pathB)
        for admin in [adminA, adminB] {
            #expect(admin.setFeature(FeatureID.asyncEventConfiguration, 1 << 11).ok)
        }
        #expect(adminB.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7) != nil)
        var now: UInt64 = 0
        for (i, state) in [ANAState.inaccessible, .optimized, .nonOptimized, .persistentLoss, .optimized].enumerated() {
            #expect(
                adminA.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7 - UInt32(i % 2)) != nil
            )
            try s.setANAState(state, listener: Self.pathA)
            now += 10
            group.tick(now: now)
            let events = adminA.drain()
            #expect(events.count == 1 && events.first.map { AsyncEvent(dword0: $0.entry.dword0) } == .anaChange)
            #expect(adminB.drain().isEmpty, "path B did not change")
            // Reading the log (no RAE) re-arms the event.
            let log = adminA.getLog(LogPageID.asymmetricNamespaceAccess, length: 4096).data
            #expect(log[32] == state.rawValue)
            // Setting the same state again is no change: no event.
            #expect(adminA.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 5) != nil)
            try s.setANAState(state, listener: Self.pathA)
            group.tick(now: now + 1)
            #expect(adminA.drain().isEmpty)
            // The AER in slot 5 stays outstanding; the next change completes it.
            try s.setANAState(.nonOptimized, listener: Self.pathA, groupID: 8)
            group.tick(now: now + 2)
            #expect(adminA.drain().count == 1)
            _ = adminA.getLog(LogPageID.asymmetricNamespaceAccess, length: 4096)
            try s.setANAState(state, listener: Self.pathA)
        }
        withExtendedLifetime((ioA, ioB)) {}
    }

    @Test func aGroupLeftInChangeBecomesInaccessibleAfterANATT() throws {
        let (_, s, group) = try makeANATarget()
        // KATO 0: the ticks below span 40 s of the poll group's clock.
        let (adminA, ioA) = try connectPath(s, group, Self.pathA, kato: 0)
        try s.setANAState(.change, listener: Self.pathA, groupID: 2)
        group.tick(now: 1_000)  // the transition's clock starts
        group.tick(now: 1_000 + 9_999)
        #expect(ioA.read(nsid: 2, lba: 0, blocks: 1).status == .anaTransition)
        group.tick(now: 1_000 + 10_000)
        #expect(s.anaStates(listener: Self.pathA)?[1] == .inaccessible)
        #expect(ioA.read(nsid: 2, lba: 0, blocks: 1).status == .anaInaccessible)
        #expect(ioA.read(nsid: 1, lba: 0, blocks: 1).ok)
        // The final state set in time ends the transition.
        try s.setANAState(.change, listener: Self.pathA, groupID: 2)
        group.tick(now: 20_000)
        try s.setANAState(.optimized, listener: Self.pathA, groupID: 2)
        group.tick(now: 40_000)
        #expect(s.anaStates(listener: Self.pathA)?[1] == .optimized)
        withExtendedLifetime(adminA) {}
    }

    @Test func badANARequestsAreRefusedByName() throws {
        let (target, s, _) = try makeANATarget()
        defer { withExtendedLifetime(target) {} }
        #expect(throws: TargetError.invalidANAGroup(9)) {
            try s.setANAState(.optimized, listener: Self.pathA, groupID: 9)
        }
        #expect(throws: TargetError.invalidANAGroup(0)) {
            try s.setANAState(.optimized, listener: Self.pathA, groupID: 0)
        }
        #expect(throws: TargetError.unknownListener("10.9.9.9 port 4420")) {
            try s.setANAState(.optimized, listener: ListenerAddress(address: "10.9.9.9"))
        }
        #expect(throws: TargetError.invalidANAGroup(9)) {
            try s.addNamespace(device: TestMemoryDevice(), anaGroupID: 9)
        }
        // Removing a listener forgets its states; adding it back starts optimized.
        try s.setANAState(.inaccessible, listener: Self.pathB)
        try s.removeListener(Self.pathB)
        try s.addListener(Self.pathB)
        #expect(s.anaStates(listener: Self.pathB)?.allSatisfy { $0 == .optimized } == true)
    }
}
