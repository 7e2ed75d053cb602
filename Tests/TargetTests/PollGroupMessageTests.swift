import Backends
import NVMe
import Synchronization
import Target
import Testing

/// Counts how often a barrier's completion ran (from whichever thread).
final class CompletionCount: Sendable {
    let value = Atomic<Int>(0)
    func bump() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

@Suite struct PollGroupMessageTests {
    @Test func aMessageToEveryGroupCompletesOnceAfterTheLastGroupRanIt() throws {
        let (target, _, first) = try makeTarget()
        let others = [target.makePollGroup(), target.makePollGroup()]
        let done = CompletionCount()
        let barrier = target.postToEveryPollGroup(.synchronize) { done.bump() }
        #expect(!barrier.isComplete)
        first.poll()
        others[0].poll()
        #expect(done.count == 0, "one group has not run it yet")
        others[1].poll()
        #expect(barrier.isComplete)
        #expect(done.count == 1)
        for g in [first] + others { g.poll() }
        #expect(done.count == 1, "a barrier completes once")
    }

    @Test func withNoGroupTheCompletionRunsAtOnce() {
        let target = NVMfTarget()
        let done = CompletionCount()
        #expect(target.postToEveryPollGroup(.synchronize) { done.bump() }.isComplete)
        #expect(done.count == 1)
    }

    @Test func postingWakesTheGroupAndMessagesRunInOrder() throws {
        let (target, s, group) = try makeTarget(devices: [TestMemoryDevice(name: "a"), TestMemoryDevice(name: "b")])
        let wakes = CompletionCount()
        group.setWaker { wakes.bump() }
        let host = try TestHost(group)
        let cntlid = UInt16(truncatingIfNeeded: host.connect(subsystem: s.nqn).entry.dword0)
        host.enable()
        let io = try TestHost(group)
        #expect(io.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        #expect(io.read(nsid: 1, lba: 0, blocks: 1).ok)
        let before = wakes.count
        let done = CompletionCount()
        try s.removeNamespace(1) { done.bump() }
        #expect(wakes.count > before, "a sleeping loop learns of the message")
        let sync = target.postToEveryPollGroup(.synchronize)
        group.processMessages()
        #expect(done.count == 1, "the release, posted first, ran first")
        #expect(sync.isComplete)
    }

    @Test func aStoppedGroupPassesEveryBarrier() throws {
        let (target, _, group) = try makeTarget()
        let queued = target.postToEveryPollGroup(.synchronize)
        group.shutdown()
        #expect(queued.isComplete, "messages queued before shutdown are passed")
        #expect(target.postToEveryPollGroup(.synchronize).isComplete, "a stopped group is no longer messaged")
        let late = PollGroupBarrier(count: 1) {}
        group.post(.synchronize, barrier: late)
        #expect(late.isComplete)
    }

    @Test func removingANamespaceWaitsForItsInFlightIOThenClosesTheChannel() throws {
        let device = TestMemoryDevice(name: "busy")
        let (target, s, group) = try makeTarget(devices: [device])
        let admin = try TestHost(group)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: s.nqn).entry.dword0)
        admin.enable()
        let io = try TestHost(group)
        #expect(io.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        #expect(io.write(nsid: 1, lba: 0, data: [UInt8](repeating: 0x5A, count: 512)).ok)

        // A read is submitted to the channel but not yet completed.
        let read = ReadWriteCommand(
            opcode: IOOpcode.read, namespaceID: 1, startingLBA: 0, blockCount: 1,
            dataPointer: .keyed(address: 0x1000, length: 512, key: 7, invalidate: true)
        ).entry
        let cid = try #require(io.send(read, slot: 1))
        let released = CompletionCount()
        try s.removeNamespace(1) { released.bump() }
        #expect(released.count == 0, "the group has not run the message yet")

        let reply = try #require(io.wait(for: cid))
        #expect(reply.ok, "I/O in flight when the namespace went completes normally")
        #expect(reply.data.allSatisfy { $0 == 0x5A })
        #expect(released.count == 1, "released once the channel had nothing in flight")
        #expect(io.read(nsid: 1, lba: 0, blocks: 1).status == .invalidNamespace)
        _ = target
    }
}

@Suite struct DeviceRegistryTests {
    @Test func aDeviceIsClaimedByOneNamespaceAndDeletedOnlyWhenFree() throws {
        let target = NVMfTarget()
        let device = TestMemoryDevice(name: "Malloc0")
        try target.registerDevice(device)
        #expect(throws: TargetError.duplicateDevice("Malloc0")) {
            try target.registerDevice(TestMemoryDevice(name: "Malloc0"))
        }
        #expect(target.deviceNames == ["Malloc0"])

        let s = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:reg", allowAnyHost: true)
        try s.addNamespace(device: device)
        #expect(target.deviceClaim(named: "Malloc0") == "nqn.2026-01.io.swift:reg nsid 1")
        #expect(throws: TargetError.deviceClaimed("Malloc0", by: "nqn.2026-01.io.swift:reg nsid 1")) {
            try s.addNamespace(device: device)
        }
        #expect(s.namespaceIDs == [1], "the refused add left nothing behind")
        #expect(throws: TargetError.deviceClaimed("Malloc0", by: "nqn.2026-01.io.swift:reg nsid 1")) {
            try target.deleteDevice(named: "Malloc0")
        }
        #expect(device.closes == 0)

        let group = target.makePollGroup()
        try s.start()
        let host = try TestHost(group)
        #expect(host.connect(subsystem: s.nqn).ok)
        try s.removeNamespace(1)
        #expect(target.deviceClaim(named: "Malloc0") != nil, "a poll group may still hold it")
        group.poll()
        #expect(target.deviceClaim(named: "Malloc0") == nil)
        try target.deleteDevice(named: "Malloc0")
        #expect(device.closes == 1, "deleting closes the device")
        #expect(target.deviceNames.isEmpty)
        #expect(throws: TargetError.unknownDevice("Malloc0")) { try target.deleteDevice(named: "Malloc0") }
    }

    @Test func removingASubsystemReleasesEveryClaim() throws {
        let target = NVMfTarget()
        let devices = [TestMemoryDevice(name: "d0"), TestMemoryDevice(name: "d1")]
        for d in devices { try target.registerDevice(d) }
        let s = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:gone", allowAnyHost: true)
        for d in devices { try s.addNamespace(device: d) }
        let released = CompletionCount()
        try target.removeSubsystem(nqn: s.nqn) { released.bump() }
        #expect(released.count == 1, "no poll group: released at once, once")
        for d in devices { try target.deleteDevice(named: d.name) }
        #expect(devices.allSatisfy { $0.closes == 1 })
    }
}
