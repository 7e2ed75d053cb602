import Backends
import NVMe
import Target
import Testing

/// One host (by host identifier) with an enabled controller and I/O queue 1.
final class ReservationHost {
    let admin: TestHost
    let io: TestHost
    let hostID: [UInt8]

    init(_ s: Subsystem, _ group: PollGroup, id: UInt8) throws {
        hostID = [UInt8](repeating: id, count: 16)
        let nqn =
            "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000\(id < 16 ? "0" : "")\(String(id, radix: 16))"
        admin = try TestHost(group)
        let cntlid = UInt16(
            truncatingIfNeeded: admin.connect(subsystem: s.nqn, kato: 0, host: nqn, hostID: hostID).entry.dword0)
        admin.enable()
        io = try TestHost(group)
        #expect(io.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid, host: nqn, hostID: hostID).ok)
    }

    private func command(_ opcode: UInt8, cdw10: UInt32, length: Int, cdw11: UInt32 = 0) -> SubmissionQueueEntry {
        var c = SubmissionQueueEntry(opcode: opcode, namespaceID: 1)
        c.cdw10 = cdw10
        c.cdw11 = cdw11
        c.dataPointer = .keyed(address: 0x1000, length: UInt32(length), key: 1, invalidate: false)
        return c
    }

    static func keys(_ a: UInt64, _ b: UInt64 = 0) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: a >> (8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: b >> (8 * $0)) }
    }

    /// RREGA 0 register, 1 unregister, 2 replace.
    @discardableResult
    func register(action: UInt32 = 0, current: UInt64 = 0, new: UInt64, ignoreKey: Bool = false, cptpl: UInt32 = 0)
        -> NVMeStatus
    {
        io.run(
            command(
                IOOpcode.reservationRegister, cdw10: action | (ignoreKey ? 8 : 0) | cptpl << 30, length: 16),
            data: Self.keys(current, new)
        ).status
    }

    @discardableResult
    func acquire(_ type: ReservationType, action: UInt32 = 0, key: UInt64, preempt: UInt64 = 0) -> NVMeStatus {
        io.run(
            command(IOOpcode.reservationAcquire, cdw10: action | UInt32(type.rawValue) << 8, length: 16),
            data: Self.keys(key, preempt)
        ).status
    }

    @discardableResult
    func release(_ type: UInt8, clear: Bool = false, key: UInt64) -> NVMeStatus {
        io.run(
            command(IOOpcode.reservationRelease, cdw10: (clear ? 1 : 0) | UInt32(type) << 8, length: 8),
            data: Array(Self.keys(key).prefix(8))
        ).status
    }

    func report(bytes: Int = 4096, extended: Bool = true) -> TestHost.Reply {
        io.run(
            command(IOOpcode.reservationReport, cdw10: UInt32(bytes / 4 - 1), length: bytes, cdw11: extended ? 1 : 0))
    }

    func flush() -> NVMeStatus { io.run(SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 1)).status }

    func writeZeroes() -> NVMeStatus {
        io.run(ReadWriteCommand(opcode: IOOpcode.writeZeroes, namespaceID: 1, startingLBA: 2, blockCount: 1).entry)
            .status
    }

    func deallocate() -> NVMeStatus {
        var dsm = SubmissionQueueEntry(opcode: IOOpcode.datasetManagement, namespaceID: 1)
        dsm.cdw11 = 4
        dsm.dataPointer = .keyed(address: 0x1000, length: 16, key: 1, invalidate: false)
        var range = [UInt8](repeating: 0, count: 16)
        range[4] = 1  // one block
        range[8] = 3  // at LBA 3
        return io.run(dsm, data: range).status
    }

    /// The notices in this host's log 80h, read one by one.
    func notices() -> [(type: UInt8, count: UInt64, nsid: UInt32)] {
        var out: [(UInt8, UInt64, UInt32)] = []
        for _ in 0..<8 {
            let page = admin.getLog(LogPageID.reservationNotification, length: 64).data
            if page[8] == 0 { break }
            out.append((page[8], le64(page, 0), le32(page, 12)))
        }
        return out
    }
}

@Suite struct ReservationTests {
    func makeHosts(_ hosts: Int) throws -> (NVMfTarget, Subsystem, PollGroup, [ReservationHost]) {
        let (target, s, group) = try TargetTests.makeTarget(devices: [TestMemoryDevice()], allowAnyHost: true)
        let hosts = try (1...hosts).map { try ReservationHost(s, group, id: UInt8($0)) }
        return (target, s, group, hosts)
    }

    enum Role: CaseIterable { case holder, registrant, other }
    enum Operation: CaseIterable { case read, write, flush, writeZeroes, deallocate, register, acquire, release }

    /// The spec's access table (Command Behavior in the Presence of a Reservation), written out.
    static func allowed(_ type: ReservationType, _ role: Role, _ op: Operation) -> Bool {
        let allHold = type == .writeExclusiveAllRegistrants || type == .exclusiveAccessAllRegistrants
        let exclusiveAccess = [.exclusiveAccess, .exclusiveAccessRegistrantsOnly, .exclusiveAccessAllRegistrants]
            .contains(type)
        let effective: Role = role == .registrant && allHold ? .holder : role
        switch op {
        case .register: return true  // registering (or re-registering with the same key) is always allowed
        case .acquire: return effective == .holder  // same type again; anyone else conflicts
        case .release: return effective != .other  // a registrant that does not hold: a no-op, success
        case .read:
            switch effective {
            case .holder: return true
            case .registrant: return type != .exclusiveAccess
            case .other: return !exclusiveAccess
            }
        case .write, .flush, .writeZeroes, .deallocate:
            switch effective {
            case .holder: return true
            case .registrant: return type.rawValue >= 3
            case .other: return false
            }
        }
    }

    @Test func everyTypeRoleAndCommandFollowsTheAccessTable() throws {
        var checked = 0
        for type in ReservationType.allCases {
            for role in Role.allCases {
                for op in Operation.allCases {
                    let (_, _, _, h) = try makeHosts(3)
                    let (holder, registrant, other) = (h[0], h[1], h[2])
                    #expect(holder.register(new: 0xA) == .success)
                    #expect(registrant.register(new: 0xB) == .success)
                    #expect(holder.acquire(type, key: 0xA) == .success)
                    let host = role == .holder ? holder : role == .registrant ? registrant : other
                    let key: UInt64 = role == .holder ? 0xA : role == .registrant ? 0xB : 0xC
                    let status: NVMeStatus
                    switch op {
                    case .read: status = host.io.read(lba: 0, blocks: 1).status
                    case .write: status = host.io.write(lba: 1, data: [UInt8](repeating: 7, count: 512)).status
                    case .flush: status = host.flush()
                    case .writeZeroes: status = host.writeZeroes()
                    case .deallocate: status = host.deallocate()
                    case .register: status = host.register(new: key)
                    case .acquire: status = host.acquire(type, key: key)
                    case .release: status = host.release(type.rawValue, key: key)
                    }
                    let expected = Self.allowed(type, role, op)
                    #expect(
                        expected ? status.isSuccess : status == .reservationConflict,
                        "\(type) \(role) \(op): \(status)")
                    checked += 1
                }
            }
        }
        #expect(checked == 6 * 3 * 8)
    }

    @Test func reportListsEveryRegistrantInTheExtendedForm() throws {
        let (_, _, _, h) = try makeHosts(3)
        #expect(h[0].register(new: 0x1111, cptpl: 3) == .success, "the Linux host sets CPTPL 3 on every register")
        #expect(h[1].register(new: 0x2222) == .success)
        #expect(h[0].acquire(.writeExclusiveRegistrantsOnly, key: 0x1111) == .success)
        // The Linux host first asks for the 64-byte header to learn the count.
        let header = h[2].report(bytes: 64)
        #expect(header.ok && le16(header.data, 5) == 2 && header.data[4] == 3 && header.data[9] == 0)
        let full = h[2].report().data
        #expect(le32(full, 0) == 2, "GEN: two registers")
        #expect(le16(full, 64) == 0xFFFF && full[66] == 1 && le64(full, 72) == 0x1111)
        #expect(Array(full[80..<96]) == h[0].hostID)
        #expect(full[130] == 0 && le64(full, 136) == 0x2222 && Array(full[144..<160]) == h[1].hostID)
        #expect(h[2].report(extended: false).status == .hostIdentifierInconsistentFormat)
        #expect(h[2].report(bytes: 32).status == NVMeStatus.invalidField)
        // Under an All Registrants type every registrant is marked as holding it.
        #expect(h[0].acquire(.writeExclusiveAllRegistrants, action: 1, key: 0x1111, preempt: 0x1111) == .success)
        let all = h[2].report().data
        #expect(all[4] == 5 && all[66] == 1 && all[130] == 1)
    }

    @Test func preemptFencesTheOtherHostAndTellsIt() throws {
        let (_, s, group, h) = try makeHosts(2)
        let (survivor, dead) = (h[0], h[1])
        #expect(dead.register(new: 0xDEAD) == .success)
        #expect(survivor.register(new: 0x5AFE) == .success)
        #expect(dead.acquire(.writeExclusive, key: 0xDEAD) == .success)
        #expect(survivor.io.write(lba: 1, data: [UInt8](repeating: 1, count: 512)).status == .reservationConflict)
        #expect(dead.io.write(lba: 1, data: [UInt8](repeating: 2, count: 512)).ok)
        #expect(dead.admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7) != nil)

        // The survivor preempts the dead host's registration and reservation.
        #expect(survivor.acquire(.writeExclusive, action: 1, key: 0x5AFE, preempt: 0xDEAD) == .success)
        #expect(dead.io.write(lba: 1, data: [UInt8](repeating: 3, count: 512)).status == .reservationConflict)
        #expect(survivor.io.write(lba: 1, data: [UInt8](repeating: 4, count: 512)).ok)
        #expect(survivor.io.read(lba: 1, blocks: 1).data == [UInt8](repeating: 4, count: 512))
        // The dead host hears of it: the event, then log 80h.
        group.tick(now: 1)
        let events = dead.admin.drain()
        #expect(
            events.count == 1 && events.first.map { AsyncEvent(dword0: $0.entry.dword0) } == .reservationLogAvailable)
        let notices = dead.notices()
        #expect(notices.count == 1 && notices.first?.type == 1 && notices.first?.nsid == 1 && notices.first?.count == 1)
        #expect(survivor.notices().isEmpty)
        // Its key is gone: anything it tries with it conflicts.
        #expect(dead.acquire(.writeExclusive, key: 0xDEAD) == .reservationConflict)
        #expect(dead.release(1, key: 0xDEAD) == .reservationConflict)
        // Preempting a key nobody has is a conflict; PRKEY 0 outside types 5 and 6 an invalid field.
        #expect(survivor.acquire(.writeExclusive, action: 1, key: 0x5AFE, preempt: 0x7777) == .reservationConflict)
        #expect(dead.register(new: 0xD1) == .success)
        #expect(dead.acquire(.writeExclusive, action: 1, key: 0xD1, preempt: 0) == NVMeStatus.invalidField)
        // Preempt and abort behaves as preempt (nothing to abort in flight here).
        #expect(dead.acquire(.exclusiveAccess, action: 2, key: 0xD1, preempt: 0x5AFE) == .success)
        #expect(survivor.io.read(lba: 1, blocks: 1).status == .reservationConflict)
        #expect(s.controllerCount == 2)
    }

    @Test func releaseClearAndUnregisterTellTheRightHosts() throws {
        let (_, _, _, h) = try makeHosts(3)
        for (i, host) in h.enumerated() { #expect(host.register(new: UInt64(i + 1)) == .success) }
        #expect(h[0].acquire(.exclusiveAccessRegistrantsOnly, key: 1) == .success)
        #expect(h[0].release(2, key: 1) == NVMeStatus.invalidField, "wrong type")
        #expect(h[1].release(4, key: 1) == .reservationConflict, "wrong key")
        #expect(h[0].release(4, key: 1) == .success)
        #expect(h[1].notices().map(\.type) == [2] && h[2].notices().map(\.type) == [2] && h[0].notices().isEmpty)
        // The holder of a Registrants Only reservation unregistering releases it too.
        #expect(h[1].acquire(.writeExclusiveRegistrantsOnly, key: 2) == .success)
        #expect(h[1].register(action: 1, current: 2, new: 0) == .success)
        #expect(h[0].notices().map(\.type) == [2] && h[2].notices().map(\.type) == [2])
        #expect(h[0].report().data[4] == 0, "no reservation left")
        // Clear: everything goes, the others hear "reservation preempted".
        #expect(h[0].acquire(.writeExclusive, key: 1) == .success)
        #expect(h[2].release(0, clear: true, key: 3) == .success)
        #expect(h[0].notices().map(\.type) == [3] && h[2].notices().isEmpty)
        let report = h[0].report().data
        #expect(le16(report, 5) == 0 && report[4] == 0)
        // The Linux host's "unregister": replace with key 0 keeps it registered with key 0.
        #expect(h[0].register(new: 9) == .success)
        #expect(h[0].register(action: 2, current: 9, new: 0) == .success)
        #expect(le16(h[0].report().data, 5) == 1)
    }

    @Test func badRequestsGetTheirStatus() throws {
        let (_, _, _, h) = try makeHosts(2)
        #expect(h[0].register(new: 5) == .success)
        #expect(h[0].register(new: 6) == .reservationConflict, "registered with another key")
        #expect(h[0].register(action: 2, current: 4, new: 6) == .reservationConflict, "wrong current key")
        #expect(h[0].register(action: 2, current: 4, new: 6, ignoreKey: true) == .success, "IEKEY")
        #expect(h[1].register(action: 1, current: 0, new: 0) == .reservationConflict, "not registered")
        #expect(h[0].register(action: 5, new: 1) == NVMeStatus.invalidField, "reserved RREGA")
        #expect(h[0].register(new: 6, cptpl: 1) == NVMeStatus.invalidField, "reserved CPTPL")
        var iekey = SubmissionQueueEntry(opcode: IOOpcode.reservationAcquire, namespaceID: 1)
        iekey.cdw10 = 8 | 1 << 8
        iekey.dataPointer = .keyed(address: 0x1000, length: 16, key: 1, invalidate: false)
        #expect(h[0].io.run(iekey, data: ReservationHost.keys(6)).status == NVMeStatus.invalidField)
        var badType = iekey
        badType.cdw10 = 7 << 8
        #expect(h[0].io.run(badType, data: ReservationHost.keys(6)).status == NVMeStatus.invalidField)
        var short = iekey
        short.cdw10 = 1 << 8
        short.dataPointer = .keyed(address: 0x1000, length: 8, key: 1, invalidate: false)
        #expect(h[0].io.run(short, data: ReservationHost.keys(6)).status == NVMeStatus.dataSGLLengthInvalid)
        var otherNamespace = iekey
        otherNamespace.cdw10 = 1 << 8
        otherNamespace.namespaceID = 9
        #expect(h[0].io.run(otherNamespace, data: ReservationHost.keys(6)).status == NVMeStatus.invalidNamespace)
    }

    @Test func aHostWithoutAnIdentifierCannotRegister() throws {
        let (_, s, group) = try TargetTests.makeTarget(devices: [TestMemoryDevice()], allowAnyHost: true)
        let nobody = try ReservationHost(s, group, id: 0)
        #expect(nobody.register(new: 1) == NVMeStatus.invalidField)
        #expect(nobody.io.write(lba: 0, data: [UInt8](repeating: 0, count: 512)).ok, "I/O without a reservation runs")
    }

    @Test func theMaskAndPersistenceFeaturesAreNamespaceSpecific() throws {
        let (_, _, _, h) = try makeHosts(2)
        let admin = h[1].admin
        #expect(
            admin.run(
                FeaturesCommand.set(featureID: FeatureID.reservationNotificationMask, value: 0x2, namespaceID: 1).entry
            ).ok)
        #expect(
            admin.run(
                FeaturesCommand.set(featureID: FeatureID.reservationNotificationMask, value: 0x1, namespaceID: 1).entry
            ).status == NVMeStatus.invalidField)
        #expect(
            admin.run(FeaturesCommand.get(featureID: FeatureID.reservationNotificationMask, namespaceID: 1).entry).entry
                .dword0 == 0x2)
        // Registration Preempted is masked: no notice for host 2.
        #expect(h[0].register(new: 1) == .success)
        #expect(h[1].register(new: 2) == .success)
        #expect(h[0].acquire(.writeExclusive, action: 1, key: 1, preempt: 2) == .success)
        #expect(h[1].notices().isEmpty)
        // PTPL: no persistence file, so setting it is refused; clearing is fine; Get says 0.
        #expect(
            admin.run(FeaturesCommand.set(featureID: FeatureID.reservationPersistence, value: 1, namespaceID: 1).entry)
                .status == NVMeStatus.invalidField)
        #expect(
            admin.run(FeaturesCommand.set(featureID: FeatureID.reservationPersistence, value: 0, namespaceID: 1).entry)
                .ok)
        #expect(
            admin.run(FeaturesCommand.get(featureID: FeatureID.reservationPersistence, namespaceID: 1).entry).entry
                .dword0 == 0)
        #expect(
            admin.run(FeaturesCommand.get(featureID: FeatureID.reservationPersistence, namespaceID: 0xFFFF_FFFF).entry)
                .status == NVMeStatus.invalidNamespace)
    }

    @Test func identifyReportsReservations() throws {
        let (_, _, _, h) = try makeHosts(1)
        let ctrl = h[0].admin.identify(cns: IdentifyCNS.controller).data
        #expect(le16(ctrl, IdentifyControllerData.Offset.optionalNVMCommands) & 0x20 != 0)
        let ns = h[0].admin.identify(cns: IdentifyCNS.namespace, nsid: 1).data
        #expect(ns[31] == 0xFE && ns[30] & 1 == 1)
    }
}

/// A store in memory that can be told to fail.
final class MemoryReservationStore: ReservationStore, @unchecked Sendable {
    var saved: PersistedReservation?
    var saves = 0
    var failing = false
    let path = "memory"

    func load() throws(ReservationStoreError) -> PersistedReservation? { saved }

    func save(_ state: PersistedReservation?) throws(ReservationStoreError) {
        if failing { throw ReservationStoreError("disk full") }
        saves += 1
        saved = state
    }
}

@Suite struct ReservationPersistenceTests {
    func makeTarget(store: MemoryReservationStore, hosts: Int = 2) throws
        -> (NVMfTarget, Subsystem, PollGroup, [ReservationHost])
    {
        let target = NVMfTarget()
        let s = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:ptpl", allowAnyHost: true)
        try s.addNamespace(device: TestMemoryDevice(), reservationStore: store)
        try s.start()
        let group = target.makePollGroup()
        return (target, s, group, try (1...hosts).map { try ReservationHost(s, group, id: UInt8($0)) })
    }

    @Test func withPTPLTheStateSurvivesARestart() throws {
        let store = MemoryReservationStore()
        do {
            let (_, _, _, h) = try makeTarget(store: store)
            #expect(h[0].admin.identify(cns: IdentifyCNS.namespace, nsid: 1).data[31] == 0xFF, "RESCAP bit 0")
            #expect(h[0].register(new: 0xFFFF_FFFF_FFFF_FFF0, cptpl: 3) == .success)
            #expect(h[1].register(new: 7) == .success)
            #expect(h[0].acquire(.exclusiveAccess, key: 0xFFFF_FFFF_FFFF_FFF0) == .success)
            #expect(h[0].report().data[9] == 1, "PTPLS")
            #expect(store.saves == 3)
        }
        // A new target over the same store: the host finds its reservation.
        let (_, _, _, h) = try makeTarget(store: store)
        let report = h[1].report().data
        #expect(report[4] == 2 && le16(report, 5) == 2 && report[9] == 1)
        #expect(le64(report, 72) == 0xFFFF_FFFF_FFFF_FFF0 && report[66] == 1)
        #expect(h[1].io.read(lba: 0, blocks: 1).status == .reservationConflict)
        #expect(h[0].io.read(lba: 0, blocks: 1).ok)
        // CPTPL 2 turns persistence off: the store records "nothing".
        #expect(h[0].register(new: 0xFFFF_FFFF_FFFF_FFF0, cptpl: 2) == .success)
        #expect(store.saved == nil)
        let (_, _, _, again) = try makeTarget(store: store)
        #expect(le16(again[0].report().data, 5) == 0, "without PTPL the state is gone after a restart")
    }

    @Test func aStateThatCannotBePersistedIsNotAcknowledged() throws {
        let store = MemoryReservationStore()
        let (_, _, _, h) = try makeTarget(store: store)
        #expect(h[0].register(new: 1, cptpl: 3) == .success)
        store.failing = true
        #expect(h[1].register(new: 2) == NVMeStatus.internalError)
        #expect(h[0].acquire(.writeExclusive, key: 1) == NVMeStatus.internalError)
        store.failing = false
        let report = h[0].report().data
        #expect(le16(report, 5) == 1 && report[4] == 0, "both changes were undone")
        #expect(h[1].io.write(lba: 0, data: [UInt8](repeating: 1, count: 512)).ok)
    }

    @Test func setFeaturesPersistenceNeedsAFile() throws {
        let store = MemoryReservationStore()
        let (_, _, _, h) = try makeTarget(store: store)
        #expect(h[0].register(new: 1) == .success)
        let set = FeaturesCommand.set(featureID: FeatureID.reservationPersistence, value: 1, namespaceID: 1)
        #expect(h[0].admin.run(set.entry).ok)
        #expect(store.saved?.registrants.map(\.key) == [1])
        let get = FeaturesCommand.get(featureID: FeatureID.reservationPersistence, namespaceID: 1)
        #expect(h[0].admin.run(get.entry).entry.dword0 == 1)
    }
}
