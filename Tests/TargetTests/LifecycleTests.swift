import Backends
import NVMe
import Testing

@testable import Target

/// Nothing leaks: once the transport reports its queues gone, the queues,
/// the controller and the transport objects are freed.
@Suite struct LifecycleTests {
    @Test func disconnectedQueuesAndControllersAreFreed() throws {
        let (_, subsystem, group) = try makeTarget()
        weak var controller: Controller?
        weak var adminQueue: TargetQueue?
        weak var ioQueue: TargetQueue?
        weak var transport: InProcessQueue?
        do {
            let admin = try TestHost(group)
            let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: subsystem.nqn).entry.dword0)
            admin.enable()
            let io = try TestHost(group)
            #expect(io.connect(subsystem: subsystem.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
            #expect(io.read(lba: 0, blocks: 1).ok)
            #expect(admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 7) != nil)
            controller = admin.queue.targetQueue.controller
            adminQueue = admin.queue.targetQueue
            ioQueue = io.queue.targetQueue
            transport = io.queue
            #expect(controller != nil)
            // Host goes away with an AER outstanding.
            admin.queue.hostDisconnect()
            io.queue.hostDisconnect()
        }
        #expect(controller == nil)
        #expect(adminQueue == nil)
        #expect(ioQueue == nil)
        #expect(transport == nil)
        #expect(group.queueCount == 0)
        #expect(subsystem.controllerCount == 0)
    }

    @Test func queueWaitsForBackendCompletionsBeforeLeaving() throws {
        let (_, subsystem, group) = try makeTarget()
        let admin = try TestHost(group)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: subsystem.nqn).entry.dword0)
        admin.enable()
        let io = try TestHost(group)
        #expect(io.connect(subsystem: subsystem.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        // A read in flight when the connection drops.
        let read = ReadWriteCommand(
            opcode: IOOpcode.read, namespaceID: 1, startingLBA: 0, blockCount: 1,
            dataPointer: .keyed(address: 0, length: 512, key: 1, invalidate: true))
        #expect(io.send(read.entry, slot: 3) != nil)
        #expect(io.queue.isBusy(slot: 3))
        io.queue.hostDisconnect()
        #expect(group.queueCount == 2)  // still waiting for the backend
        group.poll()
        #expect(!io.queue.isBusy(slot: 3))  // the slot came back
        #expect(group.queueCount == 1)
        #expect(io.queue.pendingCompletions == 0)  // nothing sent after the disconnect
    }
}
