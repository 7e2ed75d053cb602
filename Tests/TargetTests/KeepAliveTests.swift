import Backends
import NVMe
import Target
import Testing

@Suite struct KeepAliveTests {
    @Test func expiryTearsDownTheControllerAndItsQueues() throws {
        let (_, subsystem, group) = try makeTarget()
        let admin = try TestHost(group)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: subsystem.nqn, kato: 1000).entry.dword0)
        admin.enable()
        let io = try TestHost(group)
        #expect(io.connect(subsystem: subsystem.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        #expect(admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7) != nil)
        #expect(
            admin.queue.targetQueue.execute(
                SubmissionQueueEntry(opcode: 0), data: .empty, slot: 1) != .pending)  // count traffic

        group.tick(now: 10_000)  // arms: deadline 11_000
        group.tick(now: 10_999)
        #expect(subsystem.controllerCount == 1)
        #expect(!admin.queue.disconnectRequested)
        group.tick(now: 11_000)
        #expect(subsystem.controllerCount == 0)
        #expect(admin.queue.disconnectRequested)
        #expect(io.queue.disconnectRequested)

        // Commands on the dead controller are refused, never executed.
        #expect(admin.identify(cns: IdentifyCNS.controller).status == .abortedSQDeletion)

        // The transport finishes the disconnects: queues leave the group.
        io.queue.hostDisconnect()
        admin.queue.hostDisconnect()
        #expect(group.queueCount == 0)
        #expect(!admin.queue.isBusy(slot: 7))  // the AER was completed (aborted)
    }

    @Test func trafficAndKeepAliveCommandsKeepItAlive() throws {
        let (_, subsystem, group) = try makeTarget()
        let admin = try TestHost(group)
        #expect(admin.connect(subsystem: subsystem.nqn, kato: 1000).ok)
        admin.enable()
        group.tick(now: 0)
        for step in 1...10 {
            #expect(admin.run(SubmissionQueueEntry(opcode: AdminOpcode.keepAlive)).ok)
            group.tick(now: UInt64(step) * 900)
        }
        #expect(subsystem.controllerCount == 1)
        group.tick(now: 20_000)
        #expect(subsystem.controllerCount == 0)
    }

    @Test func keepAliveTimerFeatureChangesTheTimeout() throws {
        let (_, subsystem, group) = try makeTarget()
        let admin = try TestHost(group)
        #expect(admin.connect(subsystem: subsystem.nqn, kato: 1000).ok)
        admin.enable()
        #expect(admin.setFeature(FeatureID.keepAliveTimer, 5000).ok)
        #expect(admin.run(FeaturesCommand.get(featureID: FeatureID.keepAliveTimer).entry).entry.dword0 == 5000)
        group.tick(now: 0)
        group.tick(now: 4000)
        #expect(subsystem.controllerCount == 1)
        group.tick(now: 5000)
        #expect(subsystem.controllerCount == 0)
    }
}

/// Issue 12, defects 4 and 5: a controller that must keep its keep-alive
/// timer cannot be talked out of it.
@Suite struct KeepAlivePolicyTests {
    func kato(_ admin: TestHost) -> UInt32 {
        admin.run(FeaturesCommand.get(featureID: FeatureID.keepAliveTimer).entry).entry.dword0
    }

    /// nvmet refuses it too: Set Features KATO 0 on a discovery controller
    /// would let a host hold a discovery controller forever.
    @Test func discoveryControllerCannotSwitchKeepAliveOff() throws {
        let (_, _, group) = try makeTarget()
        let host = try TestHost(group)
        #expect(host.connect(subsystem: NVMe.discoverySubsystemNQN, kato: 0).ok)
        host.enable()
        #expect(kato(host) == 120_000)
        let off = host.setFeature(FeatureID.keepAliveTimer, 0)
        #expect(off.status == NVMeStatus.invalidField && off.status.doNotRetry)
        #expect(kato(host) == 120_000)
        #expect(host.setFeature(FeatureID.keepAliveTimer, 30_000).ok)
        #expect(kato(host) == 30_000)
    }

    /// min_kato raises small timeouts and, when set, forbids KATO 0 on NVM controllers.
    @Test func minimumKeepAliveTimeoutIsHonoured() throws {
        let (_, s, group) = try makeTarget()
        let options = TransportOptions(minKeepAliveTimeoutMS: 10_000)
        let admin = try TestHost(group, options: options)
        #expect(admin.connect(subsystem: s.nqn, kato: 0).ok)
        admin.enable()
        #expect(kato(admin) == 10_000)
        #expect(admin.setFeature(FeatureID.keepAliveTimer, 0).status == NVMeStatus.invalidField)
        #expect(admin.setFeature(FeatureID.keepAliveTimer, 2_000).ok)
        #expect(kato(admin) == 10_000)
        #expect(admin.setFeature(FeatureID.keepAliveTimer, 60_000).ok)
        #expect(kato(admin) == 60_000)

        // Without min_kato, KATO 0 keeps the spec's meaning on an NVM controller.
        let plain = try TestHost(group)
        #expect(plain.connect(subsystem: s.nqn, kato: 0).ok)
        plain.enable()
        #expect(kato(plain) == 0)
        #expect(plain.setFeature(FeatureID.keepAliveTimer, 0).ok)
    }
}

/// Issue 12, defect 2: a queue that never completes Connect is
/// disconnected after `TargetQueue.connectTimeoutMS`, so a host that opens
/// connections and stays silent cannot hold them.
@Suite struct ConnectDeadlineTests {
    @Test func queueWithoutConnectIsDisconnected() throws {
        let (_, s, group) = try makeTarget()
        let silent = try TestHost(group)
        let connected = try TestHost(group)
        #expect(connected.connect(subsystem: s.nqn, kato: 0).ok)
        group.tick(now: 1_000)  // arms the silent queue's deadline
        group.tick(now: 1_000 + TargetQueue.connectTimeoutMS - 1)
        #expect(!silent.queue.disconnectRequested)
        group.tick(now: 1_000 + TargetQueue.connectTimeoutMS)
        #expect(silent.queue.disconnectRequested)
        #expect(!connected.queue.disconnectRequested)
        // A queue that connects in time is never touched.
        let late = try TestHost(group)
        group.tick(now: 50_000)
        #expect(late.connect(subsystem: s.nqn, kato: 0).ok)
        group.tick(now: 50_000 + 2 * TargetQueue.connectTimeoutMS)
        #expect(!late.queue.disconnectRequested)
    }
}
