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
