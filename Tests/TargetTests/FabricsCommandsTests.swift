import NVMe
import Target
import Testing

/// Connect held to what the transport negotiated (`NegotiatedQueue`): the
/// QID and depth an RDMA CM handshake fixed before the first command.
@Suite struct FabricsCommandsTests {
    /// A target with an enabled admin queue; returns the subsystem, group and CNTLID.
    func withController() throws -> (Subsystem, PollGroup, UInt16, TestHost) {
        let (_, s, group) = try makeTarget()
        let admin = try TestHost(group, slots: 32, negotiated: NegotiatedQueue(queueID: 0, queueDepth: 32))
        let reply = admin.connect(subsystem: s.nqn, sqsize: 31)
        #expect(reply.ok, "admin Connect status \(reply.status)")
        admin.enable()
        return (s, group, UInt16(truncatingIfNeeded: reply.entry.dword0), admin)
    }

    @Test func connectQueueIDOtherThanTheTransportsIsRefusedAtQID() throws {
        let (s, group, cntlid, owner) = try withController()
        defer { withExtendedLifetime(owner) {} }
        // Negotiated as the admin queue, Connect says I/O queue 1.
        let asAdmin = try TestHost(group, slots: 32, negotiated: NegotiatedQueue(queueID: 0, queueDepth: 32))
        let r = asAdmin.connect(subsystem: s.nqn, queueID: 1, sqsize: 31, kato: 0, controllerID: cntlid)
        #expect(r.status == .connectInvalidParameters && r.status.doNotRetry, "status \(r.status)")
        #expect(r.entry.dword0 == UInt32(ConnectCommand.Offset.queueID))  // IATTR 0 (SQE), IPO 42
        #expect(!asAdmin.queue.targetQueue.isConnected)
        // Negotiated as I/O queue 2, Connect asks for a new controller (QID 0).
        let asIO = try TestHost(group, slots: 32, negotiated: NegotiatedQueue(queueID: 2, queueDepth: 32))
        let admin = asIO.connect(subsystem: s.nqn, queueID: 0, sqsize: 31)
        #expect(admin.status == .connectInvalidParameters && admin.entry.dword0 == 42, "status \(admin.status)")
        #expect(s.controllerCount == 1)
        // The refusal left nothing behind: I/O queue 1 is still free, and the
        // same queue connects once Connect names its own QID.
        let right = asIO.connect(subsystem: s.nqn, queueID: 2, sqsize: 31, kato: 0, controllerID: cntlid)
        #expect(right.ok, "status \(right.status)")
        #expect(asIO.queue.targetQueue.queueID == 2)
        let one = try TestHost(group, slots: 32, negotiated: NegotiatedQueue(queueID: 1, queueDepth: 32))
        #expect(one.connect(subsystem: s.nqn, queueID: 1, sqsize: 31, kato: 0, controllerID: cntlid).ok)
    }

    @Test func connectSQSIZEAboveTheNegotiatedDepthIsRefusedAtSQSIZE() throws {
        let (s, group, cntlid, owner) = try withController()
        defer { withExtendedLifetime(owner) {} }
        let io = try TestHost(group, slots: 16, negotiated: NegotiatedQueue(queueID: 1, queueDepth: 16))
        // SQSIZE 16 is 17 entries: one more than the transport built.
        let over = io.connect(subsystem: s.nqn, queueID: 1, sqsize: 16, kato: 0, controllerID: cntlid)
        #expect(over.status == .connectInvalidParameters && over.status.doNotRetry, "status \(over.status)")
        #expect(over.entry.dword0 == UInt32(ConnectCommand.Offset.submissionQueueSize))  // IPO 44
        #expect(!io.queue.targetQueue.isConnected)
        let exact = io.connect(subsystem: s.nqn, queueID: 1, sqsize: 15, kato: 0, controllerID: cntlid)
        #expect(exact.ok, "status \(exact.status)")
        #expect(io.queue.targetQueue.queueDepth == 16)
    }

    @Test func adminSQSIZEAboveTheNegotiatedDepthIsRefused() throws {
        let (_, s, group) = try makeTarget()
        let admin = try TestHost(group, slots: 8, negotiated: NegotiatedQueue(queueID: 0, queueDepth: 8))
        let over = admin.connect(subsystem: s.nqn, sqsize: 31)  // within the admin limit (32), above the QP's 8
        #expect(over.status == .connectInvalidParameters && over.entry.dword0 == 44, "status \(over.status)")
        #expect(s.controllerCount == 0)
        #expect(admin.connect(subsystem: s.nqn, sqsize: 7).ok)
        #expect(s.controllerCount == 1)
    }

    @Test func negotiatedDepthIsCappedAtTheSlotCount() throws {
        let (_, s, group) = try makeTarget()
        let admin = try TestHost(group, slots: 8, negotiated: NegotiatedQueue(queueID: 0, queueDepth: 32))
        #expect(admin.queue.targetQueue.negotiated == NegotiatedQueue(queueID: 0, queueDepth: 8))
        #expect(admin.connect(subsystem: s.nqn, sqsize: 8).entry.dword0 == 44)
        #expect(admin.connect(subsystem: s.nqn, sqsize: 7).ok)
    }

    @Test func smallerSQSIZEThanNegotiatedIsAccepted() throws {
        let (s, group, cntlid, admin) = try withController()
        #expect(admin.queue.targetQueue.queueDepth == 32)
        let io = try TestHost(group, slots: 64, negotiated: NegotiatedQueue(queueID: 3, queueDepth: 64))
        let r = io.connect(subsystem: s.nqn, queueID: 3, sqsize: 15, kato: 0, controllerID: cntlid)
        #expect(r.ok, "status \(r.status)")
        #expect(io.queue.targetQueue.queueID == 3 && io.queue.targetQueue.queueDepth == 16)
    }

    @Test func withoutNegotiationConnectAloneDecides() throws {
        let (_, s, group) = try makeTarget()
        // 8 slots, nothing negotiated: SQSIZE 31 and any QID are Connect's business.
        let admin = try TestHost(group, slots: 8)
        #expect(admin.queue.targetQueue.negotiated == nil)
        let r = admin.connect(subsystem: s.nqn, sqsize: 31)
        #expect(r.ok, "status \(r.status)")
        #expect(admin.queue.targetQueue.queueDepth == 32)
    }
}

/// Issue 12, defect 7: SPDK v24.01's `spdk_nvme_identify` and
/// `spdk_nvme_perf` were refused with Connect Invalid Parameters (IPO 512,
/// HOSTNQN) because they send an empty HOSTNQN unless `hostnqn:` is given.
@Suite struct SPDKInitiatorConnectTests {
    /// SPDK's admin Connect: CM HSQSIZE 31 / HRQSIZE 32, SQSIZE 31, KATO
    /// 10 s, keyed 1 KiB SGL, CNTLID FFFFh, a host ID, and HOSTNQN "".
    func spdkConnect(_ host: TestHost, subsystem: String, queueID: UInt16 = 0, sqsize: UInt16 = 31, cntlid: UInt16)
        -> TestHost.Reply
    {
        host.connect(
            subsystem: subsystem, queueID: queueID, sqsize: sqsize, kato: 10_000, controllerID: cntlid, host: "")
    }

    @Test func emptyHostNQNConnectsToASubsystemOpenToAnyHost() throws {
        let (_, s, group) = try makeTarget(allowAnyHost: true)
        let admin = try TestHost(group, slots: 32, negotiated: NegotiatedQueue(queueID: 0, queueDepth: 32))
        let reply = spdkConnect(admin, subsystem: s.nqn, cntlid: 0xFFFF)
        #expect(reply.ok, "status \(reply.status) dword0 \(reply.entry.dword0)")
        admin.enable()
        #expect(admin.identify(cns: IdentifyCNS.controller).ok)
        let cntlid = UInt16(truncatingIfNeeded: reply.entry.dword0)
        let io = try TestHost(group, slots: 128, negotiated: NegotiatedQueue(queueID: 1, queueDepth: 128))
        #expect(spdkConnect(io, subsystem: s.nqn, queueID: 1, sqsize: 127, cntlid: cntlid).ok)
        #expect(io.read(lba: 0, blocks: 8).ok)
        // Discovery takes it too (spdk_nvme_identify without subnqn).
        let discovery = try TestHost(group)
        #expect(spdkConnect(discovery, subsystem: NVMe.discoverySubsystemNQN, cntlid: 0xFFFF).ok)
    }

    @Test func emptyHostNQNIsNotOnAnAllowList() throws {
        let (_, s, group) = try makeTarget(allowAnyHost: false)
        let admin = try TestHost(group)
        #expect(spdkConnect(admin, subsystem: s.nqn, cntlid: 0xFFFF).status == .connectInvalidHost)
    }
}
