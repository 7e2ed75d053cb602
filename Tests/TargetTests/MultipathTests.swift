import Backends
import NVMe
import Target
import Testing

/// Multipath by the spec: each admin Connect is a new controller of the
/// same subsystem; I/O Connects attach by (SUBNQN, HOSTNQN, CNTLID).
@Suite struct MultipathTests {
    @Test func secondPathIsSecondController() throws {
        let device = TestMemoryDevice()
        let (_, s, group) = try makeTarget(devices: [device])
        let other = "nqn.2014-08.org.nvmexpress:uuid:99999999-2222-3333-4444-555555555555"
        try s.addHost(other)
        let pathA = try TestHost(group)
        let pathB = try TestHost(group)
        let a = UInt16(truncatingIfNeeded: pathA.connect(subsystem: s.nqn).entry.dword0)
        let b = UInt16(truncatingIfNeeded: pathB.connect(subsystem: s.nqn).entry.dword0)
        #expect(a != b)
        #expect(s.controllerCount == 2)
        pathA.enable()
        pathB.enable()
        let idA = pathA.identify(cns: IdentifyCNS.controller)
        let idB = pathB.identify(cns: IdentifyCNS.controller)
        #expect(idA.data[76] & 0x2 != 0 && idB.data[76] & 0x2 != 0)
        #expect(le16(idA.data, 78) == a && le16(idB.data, 78) == b)
        #expect(Array(idA.data[4..<64]) == Array(idB.data[4..<64]))  // same subsystem identity (SN, MN)
        // The namespace has the same identifiers through both controllers.
        #expect(
            pathA.identify(cns: IdentifyCNS.namespaceDescriptors, nsid: 1).data
                == pathB.identify(cns: IdentifyCNS.namespaceDescriptors, nsid: 1).data)

        // I/O queue 1 of each controller.
        let ioA = try TestHost(group)
        let ioB = try TestHost(group)
        #expect(ioA.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: a).ok)
        #expect(ioB.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: b).ok)
        #expect(ioB.queue.targetQueue.controllerID == b)
        // Data written through one path reads back through the other.
        let pattern = (0..<512).map { UInt8(truncatingIfNeeded: $0 ^ 0x5A) }
        #expect(ioA.write(lba: 3, data: pattern).ok)
        #expect(ioB.read(lba: 3, blocks: 1).data == pattern)

        // Another host may not attach to this host's controller.
        let wrongHost = try TestHost(group).connect(subsystem: s.nqn, queueID: 2, kato: 0, controllerID: a, host: other)
        #expect(wrongHost.status == .connectInvalidParameters && wrongHost.entry.dword0 == 0x1_0010)

        // Losing path A leaves path B working.
        ioA.queue.hostDisconnect()
        pathA.queue.hostDisconnect()
        #expect(s.controllerCount == 1)
        #expect(ioB.read(lba: 3, blocks: 1).ok)
        // Path A's I/O queue ID may be reused by a new controller.
        let pathC = try TestHost(group)
        let c = UInt16(truncatingIfNeeded: pathC.connect(subsystem: s.nqn).entry.dword0)
        pathC.enable()
        #expect(try TestHost(group).connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: c).ok)
    }
}
