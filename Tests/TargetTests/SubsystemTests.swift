import Backends
import NVMe
import Target
import Testing

@Suite struct SubsystemTests {
    @Test func nqnValidation() {
        #expect(NQN.isValid("nqn.2026-01.io.swift:test"))
        #expect(NQN.isValid("nqn.2014-08.org.nvmexpress.discovery"))
        #expect(NQN.isValid("nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"))
        #expect(!NQN.isValid("nqn.2014-08.org.nvmexpress:uuid:1111"))
        #expect(!NQN.isValid("iqn.2026-01.io.swift:test"))
        #expect(!NQN.isValid("nqn.2026-13.io.swift:test"))
        #expect(!NQN.isValid("nqn.26-01.io.swift"))
        #expect(!NQN.isValid("nqn.2026-01.:x"))
        #expect(!NQN.isValid("nqn.2026-01.io.swift:" + String(repeating: "x", count: 210)))
        let target = NVMfTarget()
        #expect(throws: TargetError.invalidNQN("bad")) { try target.addSubsystem(nqn: "bad") }
        #expect(throws: TargetError.invalidNQN(NVMe.discoverySubsystemNQN)) {
            try target.addSubsystem(nqn: NVMe.discoverySubsystemNQN)
        }
    }

    @Test func identityHostsAndRanges() throws {
        let target = NVMfTarget()
        let s = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:a", modelNumber: "Model")
        #expect(s.serialNumber.count == 16 && s.modelNumber == "Model")
        #expect(throws: TargetError.duplicateSubsystem(s.nqn)) { try target.addSubsystem(nqn: s.nqn) }
        #expect(throws: TargetError.invalidControllerIDRange) {
            try target.addSubsystem(nqn: "nqn.2026-01.io.swift:b", controllerIDRange: 1...0xFFF0)
        }
        try s.addHost(TestHost.hostNQN)
        #expect(s.allowedHosts == [TestHost.hostNQN])
        #expect(throws: TargetError.invalidNQN("x")) { try s.addHost("x") }
        s.removeHost(TestHost.hostNQN)
        #expect(s.allowedHosts.isEmpty)
        #expect(target.subsystemNQNs == [s.nqn])
        try target.removeSubsystem(nqn: s.nqn)
        #expect(target.subsystem(nqn: s.nqn) == nil)
    }

    @Test func namespacesAreUniqueAndLimited() throws {
        let target = NVMfTarget()
        let a = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:a", maxNamespaces: 2)
        let b = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:b")
        let shared = DeviceUUID.random()
        let ns = try a.addNamespace(device: TestMemoryDevice(uuid: shared))
        #expect(ns.namespaceID == 1 && ns.uuid == shared.array && ns.nguid == shared.array)
        // The same UUID in another subsystem of the target is refused.
        #expect(throws: TargetError.duplicateIdentifier) { try b.addNamespace(device: TestMemoryDevice(uuid: shared)) }
        let eui: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        #expect(try b.addNamespace(device: TestMemoryDevice(), eui64: eui).eui64 == eui)
        #expect(throws: TargetError.duplicateIdentifier) { try b.addNamespace(device: TestMemoryDevice(), eui64: eui) }
        #expect(throws: TargetError.invalidNamespaceID(1)) {
            try a.addNamespace(device: TestMemoryDevice(), namespaceID: 1)
        }
        #expect(throws: TargetError.invalidNamespaceID(3)) {
            try a.addNamespace(device: TestMemoryDevice(), namespaceID: 3)
        }
        try a.addNamespace(device: TestMemoryDevice())
        #expect(throws: TargetError.namespaceLimit) { try a.addNamespace(device: TestMemoryDevice()) }
        #expect(a.namespaceIDs == [1, 2])
        // Removing frees the identifiers.
        try a.removeNamespace(1)
        #expect(throws: TargetError.unknownNamespace(1)) { try a.removeNamespace(1) }
        #expect(try b.addNamespace(device: TestMemoryDevice(uuid: shared)).namespaceID == 2)
    }

    @Test func statesGateConnectAndIO() throws {
        let target = NVMfTarget()
        let s = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:a", allowAnyHost: true)
        try s.addNamespace(device: TestMemoryDevice())
        let group = target.makePollGroup()
        #expect(s.state == .inactive)
        let early = try TestHost(group).connect(subsystem: s.nqn)
        #expect(early.status == .connectInvalidParameters)  // inactive subsystems are not there
        try s.start()
        #expect(throws: TargetError.invalidState) { try s.start() }
        let admin = try TestHost(group)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: s.nqn).entry.dword0)
        admin.enable()
        let io = try TestHost(group)
        #expect(io.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        #expect(io.read(lba: 0, blocks: 1).ok)
        try s.pause()
        #expect(s.state == .paused)
        let held = io.read(lba: 0, blocks: 1)
        #expect(held.status == .namespaceNotReady && !held.status.doNotRetry)
        try s.resume()
        #expect(io.read(lba: 0, blocks: 1).ok)
        s.stop()
        #expect(s.state == .inactive && s.controllerCount == 0)
        #expect(admin.queue.disconnectRequested && io.queue.disconnectRequested)
    }
}
