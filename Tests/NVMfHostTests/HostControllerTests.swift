import Backends
import NVMe
import NVMfHost
import Target
import Testing

/// The host state machine against the real target core (in process), and
/// against scripted refusals.
@Suite struct HostControllerTests {
    static let hostNQN = "nqn.2014-08.org.nvmexpress:uuid:0f0e0d0c-0b0a-4908-8706-050403020100"
    static let hostID: [UInt8] = Array(1...16)

    func makeTarget() throws -> (NVMfTarget, PollGroup) {
        let target = NVMfTarget()
        let subsystem = try target.addSubsystem(nqn: "nqn.2026-12.io.swift:host", allowAnyHost: true)
        try subsystem.addNamespace(device: MemoryBlockDevice(name: "m0", blockCount: 2048, blockSize: 4096))
        try subsystem.addNamespace(device: MemoryBlockDevice(name: "m1", blockCount: 4096, blockSize: 512))
        try subsystem.addListener(ListenerAddress(address: "10.0.0.1", serviceID: "4420", portID: 1))
        try subsystem.start()
        let other = try target.addSubsystem(nqn: "nqn.2026-12.io.swift:closed")
        try other.addListener(ListenerAddress(address: "10.0.0.1", serviceID: "4420", portID: 1))
        try other.start()
        return (target, target.makePollGroup())
    }

    @Test func bringUpIdentifyNamespacesKeepAliveAndShutdown() throws {
        let (_, group) = try makeTarget()
        let admin = try InProcessChannel(group)
        let controller = try HostController(
            admin: admin, subsystemNQN: "nqn.2026-12.io.swift:host", hostNQN: Self.hostNQN, hostID: Self.hostID,
            keepAliveTimeoutMilliseconds: 5000)
        #expect(controller.state == .connected)
        #expect(controller.controllerID != 0xFFFF)
        // Identify before enable is refused by the host itself.
        #expect(throws: HostError.self) { _ = try controller.activeNamespaceIDs() }

        try controller.enable()
        #expect(controller.state == .ready)
        #expect(controller.version == 0x0001_0300)
        #expect(controller.maxQueueEntries == 128)
        #expect(controller.identify.controllerID == controller.controllerID)
        #expect(controller.identify.subsystemNQN == "nqn.2026-12.io.swift:host")
        #expect(controller.inCapsuleDataBytes == 4096)
        #expect(controller.maxDataTransferBytes == 128 * 1024)
        // The CC write enabled the controller with 64-byte SQEs and 16-byte CQEs.
        let ccWrite = try #require(admin.executed.first { PropertyCommand($0).offset == PropertyOffset.configuration })
        #expect(PropertyCommand(ccWrite).value == 0x0046_0001)

        #expect(try controller.activeNamespaceIDs() == [1, 2])
        #expect(try controller.namespaceGeometry(1) == NamespaceGeometry(id: 1, blockCount: 2048, blockSize: 4096))
        #expect(try controller.namespaceGeometry(2) == NamespaceGeometry(id: 2, blockCount: 4096, blockSize: 512))
        #expect(throws: HostError.self) { _ = try controller.namespaceGeometry(9) }

        try controller.keepAlive()
        try controller.shutdown()
        #expect(controller.state == .shutDown)
        #expect(throws: HostError.self) { try controller.keepAlive() }
    }

    @Test func discoveryLogListsWhatThisHostMayReach() throws {
        let (_, group) = try makeTarget()
        let admin = try InProcessChannel(group)
        let controller = try HostController(
            admin: admin, subsystemNQN: TransportID.discoveryNQN, hostNQN: Self.hostNQN, hostID: Self.hostID,
            keepAliveTimeoutMilliseconds: 0)
        try controller.enable()
        let entries = try controller.discoveryLog()
        // The closed subsystem does not allow this host: only the open one (and discovery itself).
        let nvm = entries.filter { $0.subsystemType == 2 }
        #expect(nvm.map(\.subsystemNQN) == ["nqn.2026-12.io.swift:host"])
        #expect(nvm.first?.transportAddress == "10.0.0.1")
        #expect(nvm.first?.transportServiceID == "4420")
    }

    @Test func refusedConnectsSayWhy() throws {
        let (_, group) = try makeTarget()
        // A host the subsystem does not allow.
        let closed = try InProcessChannel(group)
        let refused = #expect(throws: HostError.self) {
            _ = try HostController(
                admin: closed, subsystemNQN: "nqn.2026-12.io.swift:closed", hostNQN: Self.hostNQN,
                hostID: Self.hostID, keepAliveTimeoutMilliseconds: 5000)
        }
        #expect(refused?.description.contains("invalid host") == true)
        // A subsystem that does not exist.
        let missing = try InProcessChannel(group)
        let unknown = #expect(throws: HostError.self) {
            _ = try HostController(
                admin: missing, subsystemNQN: "nqn.2026-12.io.swift:none", hostNQN: Self.hostNQN,
                hostID: Self.hostID, keepAliveTimeoutMilliseconds: 5000)
        }
        #expect(unknown?.description.contains("SUBNQN") == true)
    }

    @Test func eachConnectStatusIsDecodedIntoWords() {
        let cases: [(UInt8, UInt32, String)] = [
            (0x80, 0, "incompatible format"),
            (0x81, 0, "controller busy"),
            (0x82, 1 << 16 | 256, "SUBNQN"),
            (0x82, 1 << 16 | 512, "HOSTNQN"),
            (0x82, 1 << 16 | 16, "CNTLID"),
            (0x82, 44, "SQSIZE"),
            (0x82, 48, "KATO"),
            (0x83, 0, "restart discovery"),
            (0x84, 0, "invalid host"),
        ]
        for (code, dword0, words) in cases {
            let status = NVMeStatus(codeType: .commandSpecific, code: code, doNotRetry: true)
            let channel = ScriptedChannel {
                CompletionQueueEntry(dword0: dword0, commandID: $0.commandID, status: status.rawValue)
            }
            let error = #expect(throws: HostError.self) {
                _ = try HostController(
                    admin: channel, subsystemNQN: "nqn.x:y", hostNQN: Self.hostNQN, hostID: Self.hostID,
                    keepAliveTimeoutMilliseconds: 0)
            }
            #expect(error?.description.contains(words) == true, "\(code) \(dword0): \(error?.description ?? "")")
            #expect(error?.status == status)
        }
        #expect(StatusWords.reject(.invalidHostSendQueueSize).contains("HSQSIZE"))
        #expect(StatusWords.reject(.noResources).contains("no resources"))
    }

    @Test func aControllerThatNeverBecomesReadyOrFailsIsReported() throws {
        // CSTS stays 0: enable gives up after CAP.TO (2 × 500 ms here), not forever.
        var csts: UInt32 = 0
        let channel = ScriptedChannel { command in
            if command.opcode == FabricsCommandType.opcode,
                command.namespaceID == UInt32(FabricsCommandType.propertyGet)
            {
                let offset = PropertyCommand(command).offset
                if offset == PropertyOffset.capabilities { return CompletionQueueEntry(dword0: 0x0200_007F) }
                if offset == PropertyOffset.status { return CompletionQueueEntry(dword0: csts) }
            }
            return CompletionQueueEntry(dword0: 1)
        }
        let controller = try HostController(
            admin: channel, subsystemNQN: "nqn.x:y", hostNQN: Self.hostNQN, hostID: Self.hostID,
            keepAliveTimeoutMilliseconds: 0)
        let notReady = #expect(throws: HostError.self) { try controller.enable() }
        #expect(notReady?.description.contains("CSTS.RDY not reached within 1000 ms") == true)

        csts = 2  // CFS
        let second = try HostController(
            admin: channel, subsystemNQN: "nqn.x:y", hostNQN: Self.hostNQN, hostID: Self.hostID,
            keepAliveTimeoutMilliseconds: 0)
        let fatal = #expect(throws: HostError.self) { try second.enable() }
        #expect(fatal?.description.contains("fatal") == true)
    }
}
