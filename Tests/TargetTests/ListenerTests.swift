import Backends
import NVMe
import Target
import Testing

/// A transport that records what the target asks of it.
final class RecordingTransport: Transport {
    let transportType = DiscoveryLogEntry.transportRDMA
    var listening: [ListenerAddress] = []
    var stopped: [ListenerAddress] = []
    var refuse: Set<String> = []

    struct Refused: Error {}

    func listen(_ address: ListenerAddress) throws {
        if refuse.contains(address.address) { throw Refused() }
        listening.append(address)
    }

    func stopListening(_ address: ListenerAddress) {
        stopped.append(address)
        listening.removeAll { $0.isSameEndpoint(as: address) }
    }
}

@Suite struct ListenerTests {
    static let first = ListenerAddress(address: "10.0.0.1", serviceID: "4420", portID: 1)
    static let second = ListenerAddress(address: "10.0.0.2", serviceID: "4420", portID: 2)

    @Test func connectIsAdmittedOnlyThroughOneOfTheSubsystemsListeners() throws {
        let (target, s, group) = try makeTarget()
        try target.addListener(Self.second)  // the target listens there, the subsystem does not
        let through = try TestHost(group, listener: ListenerAddress(address: "10.0.0.1", portID: 9))
        #expect(through.connect(subsystem: s.nqn).ok, "PORTID does not matter, the endpoint does")

        let elsewhere = try TestHost(group, listener: Self.second)
        let refused = elsewhere.connect(subsystem: s.nqn)
        #expect(refused.status == .connectInvalidParameters)
        #expect(
            refused.entry.dword0
                == ConnectResponse.invalidParameter(offset: ConnectData.Offset.subsystemNQN, inData: true),
            "the subsystem is not reachable there, as if unknown (nvmet)")
        #expect(
            try TestHost(group, listener: Self.second).connect(subsystem: NVMe.discoverySubsystemNQN).ok,
            "discovery answers on every listener")
    }

    @Test func theTargetDrivesItsTransportsListeners() throws {
        let target = NVMfTarget()
        let s = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:listeners", allowAnyHost: true)
        try s.addListener(Self.first)
        let transport = RecordingTransport()
        try target.attach(transport)
        #expect(transport.listening == [Self.first], "attach listens where the config said")

        try s.addListener(Self.second)
        #expect(transport.listening == [Self.first, Self.second], "a runtime listener starts listening")
        try s.addListener(Self.second)
        #expect(transport.listening.count == 2, "adding it twice listens once")

        let other = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:other", allowAnyHost: true)
        try other.addListener(Self.second)
        try s.removeListener(Self.second)
        #expect(transport.stopped.isEmpty, "another subsystem still uses it")
        try other.removeListener(Self.second)
        #expect(transport.stopped == [Self.second])
        #expect(!target.listenerAddresses.contains(Self.second))
        #expect(throws: TargetError.unknownListener("10.0.0.2 port 4420")) { try s.removeListener(Self.second) }

        transport.refuse = ["10.0.0.9"]
        let bad = ListenerAddress(address: "10.0.0.9")
        #expect(throws: TargetError.self) { try s.addListener(bad) }
        #expect(!s.listeners.contains(bad), "a failed listen leaves nothing behind")
        #expect(!target.listenerAddresses.contains(bad))
    }

    @Test func removingAListenerClosesTheQueuesThatCameThroughIt() throws {
        let (target, s, group) = try makeTarget()
        try s.addListener(Self.second)
        let generation = target.discoveryGenerationCounter

        let viaFirst = try TestHost(group, listener: Self.first)
        let cntlid = UInt16(truncatingIfNeeded: viaFirst.connect(subsystem: s.nqn).entry.dword0)
        viaFirst.enable()
        let ioViaSecond = try TestHost(group, listener: Self.second)
        #expect(ioViaSecond.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        let ioViaFirst = try TestHost(group, listener: Self.first)
        #expect(ioViaFirst.connect(subsystem: s.nqn, queueID: 2, kato: 0, controllerID: cntlid).ok)

        let adminViaSecond = try TestHost(group, listener: Self.second)
        #expect(adminViaSecond.connect(subsystem: s.nqn).ok)

        try s.removeListener(Self.second)
        #expect(ioViaSecond.queue.disconnectRequested, "an I/O queue that came through it")
        #expect(adminViaSecond.queue.disconnectRequested, "a controller whose admin queue came through it")
        #expect(!viaFirst.queue.disconnectRequested && !ioViaFirst.queue.disconnectRequested, "the other path stays")
        #expect(s.controllerCount == 1)
        #expect(target.discoveryGenerationCounter > generation, "discovery drops it")
        #expect(!s.listeners.contains { $0.isSameEndpoint(as: Self.second) })
    }
}
