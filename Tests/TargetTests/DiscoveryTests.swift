import Backends
import NVMe
import Target
import Testing

/// libnvme's discovery read sequence (reference §1.10) against three
/// subsystems of which the host may reach two.
@Suite struct DiscoveryTests {
    static let other = "nqn.2014-08.org.nvmexpress:uuid:99999999-2222-3333-4444-555555555555"

    func makeTarget() throws -> (NVMfTarget, [Subsystem]) {
        let target = NVMfTarget()
        let a = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:a", allowAnyHost: true)
        let b = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:b")
        try b.addHost(TestHost.hostNQN)
        let c = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:c")
        try c.addHost(Self.other)
        for s in [a, b, c] {
            try s.addListener(ListenerAddress(address: "10.0.0.1", serviceID: "4420", portID: 1))
            try s.start()
        }
        return (target, [a, b, c])
    }

    /// (a) 20-byte header, (b) NUMREC × 1024 at LPO 1024 in ≤ 4 KiB chunks,
    /// (c) header again; retry while GENCTR moved.
    func libnvmeRead(_ host: TestHost) -> (UInt64, [DiscoveryLogEntry]) {
        for _ in 0..<3 {
            let header = host.getLog(LogPageID.discovery, length: 20, nsid: 0)
            #expect(header.ok && header.data.count == 20)
            let generation = le64(header.data, 0)
            let count = Int(le64(header.data, 8))
            #expect(le16(header.data, 16) == 0)  // RECFMT
            var records: [UInt8] = []
            var offset = 1024
            while records.count < count * 1024 {
                let chunk = min(4096, count * 1024 - records.count)
                let r = host.getLog(LogPageID.discovery, offset: UInt64(offset), length: chunk, nsid: 0)
                #expect(r.ok && r.data.count == chunk)
                records += r.data
                offset += chunk
            }
            let again = host.getLog(LogPageID.discovery, length: 20, nsid: 0)
            guard le64(again.data, 0) == generation else { continue }
            let entries = records.withUnsafeBytes { raw in
                (0..<count).map { DiscoveryLogEntry(decoding: raw, at: $0 * 1024) }
            }
            return (generation, entries)
        }
        Issue.record("generation never settled")
        return (0, [])
    }

    @Test func hostSeesOnlyReachableSubsystems() throws {
        let (target, subsystems) = try makeTarget()
        let group = target.makePollGroup()
        let host = try TestHost(group)
        let connect = host.connect(subsystem: NVMe.discoverySubsystemNQN, kato: 0)
        #expect(connect.ok)
        host.enable()
        #expect(host.propertyGet(PropertyOffset.status).entry.dword0 & 1 == 1)
        let id = host.identify(cns: IdentifyCNS.controller)
        #expect(id.ok && id.data[111] == 2)  // CNTRLTYPE discovery
        #expect(nulString(id.data, 768, 256) == NVMe.discoverySubsystemNQN)
        #expect(le32(id.data, 92) & 0x8000_0000 != 0)  // OAES discovery change
        #expect(le16(id.data, 78) == UInt16(truncatingIfNeeded: connect.entry.dword0))

        let (generation, entries) = libnvmeRead(host)
        #expect(entries.map(\.subsystemNQN) == [subsystems[0].nqn, subsystems[1].nqn])
        for e in entries {
            #expect(e.transportType == 1 && e.addressFamily == 1 && e.subsystemType == 2)
            #expect(e.transportAddress == "10.0.0.1" && e.transportServiceID == "4420")
            #expect(e.controllerID == 0xFFFF && e.adminMaxSQSize >= 32 && e.portID == 1)
            #expect(e.rdmaQPType == 1 && e.rdmaConnectionManagement == 1)
        }
        #expect(generation == target.discoveryGenerationCounter)

        // Letting the host into c changes the page and its generation.
        try subsystems[2].addHost(TestHost.hostNQN)
        let (generation2, entries2) = libnvmeRead(host)
        #expect(generation2 > generation)
        #expect(entries2.count == 3)

        // Discovery controllers refuse I/O-only commands and other CNS values.
        #expect(host.identify(cns: IdentifyCNS.namespace, nsid: 1).status == NVMeStatus.invalidField)
        #expect(host.getLog(LogPageID.smartHealth, length: 512).status == NVMeStatus.invalidLogPage)

        // Shutdown, as nvme-cli does.
        #expect(host.propertySet(PropertyOffset.configuration, 0x0046_4001).ok)
        #expect(host.propertyGet(PropertyOffset.status).entry.dword0 >> 2 & 3 == 2)
        host.queue.hostDisconnect()
        #expect(group.queueCount == 0)
    }

    @Test func discoveryChangeRaisesAsyncEvent() throws {
        let (target, subsystems) = try makeTarget()
        let group = target.makePollGroup()
        let host = try TestHost(group)
        #expect(host.connect(subsystem: NVMe.discoverySubsystemNQN, kato: 0).ok)
        host.enable()
        #expect(host.setFeature(FeatureID.asyncEventConfiguration, 0x8000_0000).ok)
        #expect(host.setFeature(FeatureID.asyncEventConfiguration, 0x100).status == NVMeStatus.invalidField)
        #expect(host.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 5) != nil)
        group.tick(now: 0)
        #expect(host.drain().isEmpty)
        subsystems[0].removeHost("nqn.2026-01.io.swift:nobody")
        group.tick(now: 1)
        let events = host.drain()
        #expect(events.count == 1)
        #expect(events.first?.entry.dword0 == AsyncEvent.discoveryLogChanged.dword0)
    }
}
