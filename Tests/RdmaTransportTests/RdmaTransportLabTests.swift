import Backends
import Foundation
import Logging
import NVMe
import Synchronization
import Target
import Testing
import Verbs

@testable import RdmaTransport

/// End-to-end over Soft-RoCE in the lab guest: an in-process target with a
/// RAM namespace behind `RdmaTransport`, driven by the Linux kernel initiator
/// (nvme-cli) and by a raw RDMA CM initiator for bad connect requests.
@Suite(.serialized, .enabled(if: RdmaLab.enabled, RdmaLab.skipReason))
struct RdmaTransportLabTests {
    static let nqn = "nqn.2026-01.io.swift-nvmf:rdma-lab"
    static let port: UInt16 = 4420

    /// A running target: subsystem `nqn` with one 64 MiB RAM namespace.
    final class Fixture {
        let target = NVMfTarget(logger: Logger(label: "lab.target"))
        /// The real RAM device of `bdev_malloc_create`; its `storage` lets the
        /// test read what the initiator wrote.
        let device: MemoryBlockDevice
        let transport: RdmaTransport
        let subsystem: Subsystem

        init(
            mode: PollMode = .adaptive, noSRQ: Bool = false, allowAnyHost: Bool = true, extraListener: String? = nil,
            pollGroups: Int = 2, defaultOptions: Bool = false
        ) throws {
            device = try MemoryBlockDevice(name: "lab-mem", blockCount: 131072, blockSize: 512)
            var logger = Logger(label: "lab.rdma")
            logger.logLevel = .info
            subsystem = try target.addSubsystem(
                nqn: RdmaTransportLabTests.nqn, allowAnyHost: allowAnyHost)
            try subsystem.addNamespace(device: device)
            let listener = ListenerAddress(
                address: RdmaLab.address, serviceID: "\(RdmaTransportLabTests.port)")
            try subsystem.addListener(listener)
            try subsystem.start()
            var options = RdmaTransportOptions()
            if !defaultOptions {
                options.numSharedBuffers = 256
                options.maxSRQDepth = 512
            }
            options.noSRQ = noSRQ
            transport = try RdmaTransport(
                target: target, options: options, pollGroupCount: pollGroups, mode: mode, logger: logger)
            try target.attach(transport)
            if let extra = extraListener {
                let second = ListenerAddress(
                    addressFamily: extra.contains(":") ? 2 : 1, address: extra,
                    serviceID: "\(RdmaTransportLabTests.port)", portID: 2)
                try subsystem.addListener(second)
            }
            try transport.start()
        }

        deinit { transport.shutdown() }
    }

    func nvme(_ arguments: String...) throws -> RdmaLab.CommandResult {
        try RdmaLab.run(["nvme"] + arguments)
    }

    /// Connects with the kernel initiator, writes 1 MiB of a pattern with
    /// O_DIRECT, checks the target's RAM holds it, reads it back through the
    /// initiator, disconnects, and checks every connection was torn down.
    func writeReadBack(_ fixture: Fixture, address: String = RdmaLab.address) throws {
        let discovery = try nvme("discover", "-t", "rdma", "-a", address, "-s", "\(Self.port)")
        #expect(discovery.status == 0, "\(discovery.output)")
        #expect(discovery.output.contains(Self.nqn), "discovery log: \(discovery.output)")

        let connect = try nvme(
            "connect", "-t", "rdma", "-a", address, "-s", "\(Self.port)", "-n", Self.nqn)
        try #require(connect.status == 0, "nvme connect: \(connect.output)")
        defer { _ = try? nvme("disconnect", "-n", Self.nqn) }
        var node: String? = nil
        _ = RdmaLab.waitFor(seconds: 15) {
            node = RdmaLab.namespaceDevice(forSubsystem: Self.nqn)
            return node != nil
        }
        let device = try #require(node, "no /dev/nvmeXnY for \(Self.nqn)")

        let size = 1 << 20
        var pattern = [UInt8](repeating: 0, count: size)
        var generator = SystemRandomNumberGenerator()
        for i in 0..<size { pattern[i] = UInt8.random(in: 0...255, using: &generator) }
        let directory = FileManager.default.temporaryDirectory
        let patternFile = directory.appendingPathComponent("rdma-lab-pattern").path
        let readFile = directory.appendingPathComponent("rdma-lab-readback").path
        try Data(pattern).write(to: URL(fileURLWithPath: patternFile))
        // 128 KiB writes (MDTS), offset 1 MiB into the namespace.
        let write = try RdmaLab.run([
            "dd", "if=\(patternFile)", "of=\(device)", "bs=128k", "seek=8", "oflag=direct", "conv=fsync",
        ])
        try #require(write.status == 0, "dd write: \(write.output)")
        #expect(
            Array(fixture.device.storage[(1 << 20)..<((1 << 20) + size)]) == pattern,
            "target RAM differs from what was written")
        // 4 KiB reads exercise many RDMA WRITE + SEND chains.
        let read = try RdmaLab.run([
            "dd", "if=\(device)", "of=\(readFile)", "bs=4k", "skip=256", "count=256", "iflag=direct",
        ])
        try #require(read.status == 0, "dd read: \(read.output)")
        let back = try [UInt8](Data(contentsOf: URL(fileURLWithPath: readFile)))
        #expect(back == pattern, "read back differs")

        let disconnect = try nvme("disconnect", "-n", Self.nqn)
        #expect(
            disconnect.status == 0 && disconnect.output.contains("disconnected"), "\(disconnect.output)")
        let drained = RdmaLab.waitFor(seconds: 15) { fixture.transport.connectionCount == 0 }
        #expect(drained, "connections left after disconnect: \(fixture.transport.connectionCount)")
    }

    @Test func kernelInitiatorWritesAndReadsBackAdaptiveSRQ() throws {
        let before = LiveResources.count
        try writeReadBack(try Fixture(mode: .adaptive))
        // Shutdown freed every verbs object the transport made (QPs, CQs, SRQs, MRs, PDs, CM ids).
        #expect(LiveResources.count == before)
    }

    @Test func kernelInitiatorWritesAndReadsBackPollNoSRQ() throws {
        let before = LiveResources.count
        try writeReadBack(try Fixture(mode: .poll, noSRQ: true))
        // Shutdown freed every verbs object the transport made (QPs, CQs, SRQs, MRs, PDs, CM ids).
        #expect(LiveResources.count == before)
    }

    @Test func kernelInitiatorWritesAndReadsBackInterrupt() throws {
        let before = LiveResources.count
        try writeReadBack(try Fixture(mode: .interrupt))
        // Shutdown freed every verbs object the transport made (QPs, CQs, SRQs, MRs, PDs, CM ids).
        #expect(LiveResources.count == before)
    }

    /// SPDK's defaults as the daemon uses them: 4095 × 128 KiB registered
    /// buffers and a 4096-deep SRQ per poll group.
    ///
    /// The very first connect must be ESTABLISHED within 1 s, all SPDK's
    /// initiator waits (NVME_RDMA_QPAIR_CM_EVENT_TIMEOUT_US): it was not
    /// while that CONNECT_REQUEST built a poll group's CQ, SRQ and 4096
    /// receives, and spdk_nvme_identify failed after every target start.
    @Test func defaultOptions() throws {
        let started = Date()
        let fixture = try Fixture(defaultOptions: true)
        print("default options: listening after \(Date().timeIntervalSince(started)) s")
        let first = try RawNVMeHost(
            address: RdmaLab.address, port: Self.port, establishTimeoutMilliseconds: 1000)
        withExtendedLifetime(first) {}
        try writeReadBack(fixture)
    }

    /// Two listeners (IPv4 and IPv6 on the same port); the host connects over IPv6.
    @Test func ipv6ListenerNextToIPv4() throws {
        let v6 = "fd00::15"
        let add = try RdmaLab.run(["ip", "-6", "addr", "replace", "\(v6)/64", "dev", "eth0", "nodad"])
        try #require(add.status == 0, "ip -6 addr: \(add.output)")
        let fixture = try Fixture(extraListener: v6)
        let discovery = try nvme("discover", "-t", "rdma", "-a", v6, "-s", "\(Self.port)")
        #expect(discovery.output.contains(v6), "discovery over IPv6 lists the IPv6 listener: \(discovery.output)")
        try writeReadBack(fixture, address: v6)
    }

    @Test func unknownSubsystemAndDisallowedHostAreRefusedAndTheTargetStaysUp() throws {
        let fixture = try Fixture(allowAnyHost: false)
        let address = RdmaLab.address
        let unknown = try nvme(
            "connect", "-t", "rdma", "-a", address, "-s", "\(Self.port)", "-n",
            "nqn.2026-01.io.swift-nvmf:nobody")
        #expect(unknown.status != 0, "connect to an unknown NQN succeeded: \(unknown.output)")
        let denied = try nvme(
            "connect", "-t", "rdma", "-a", address, "-s", "\(Self.port)", "-n", Self.nqn)
        #expect(denied.status != 0, "connect from a host not allowed succeeded: \(denied.output)")
        #expect(RdmaLab.waitFor(seconds: 15) { fixture.transport.connectionCount == 0 })
        // The same host, once allowed, gets through on the same transport.
        let hostNQN = try String(contentsOfFile: "/etc/nvme/hostnqn", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try fixture.subsystem.addHost(hostNQN)
        try writeReadBack(fixture)
    }

    // MARK: Raw CM initiator

    struct ConnectOutcome {
        var type: CMEventType
        var rejectStatus: UInt16?
    }

    /// Connects with `privateData` and returns what the target answered.
    func rawConnect(privateData: [UInt8], responderResources: UInt8 = 16) throws -> ConnectOutcome {
        let channel = try EventChannel()
        let id = try ConnectionID(channel: channel)
        let destination = try #require(SocketAddress(host: RdmaLab.address, port: Self.port))
        try id.resolveAddress(destination)
        let resolved = try #require(try channel.nextEvent(timeoutMilliseconds: 10_000))
        try #require(resolved.type == .addressResolved, "\(resolved.type)")
        try id.resolveRoute()
        let routed = try #require(try channel.nextEvent(timeoutMilliseconds: 10_000))
        try #require(routed.type == .routeResolved, "\(routed.type)")
        let context = try #require(id.deviceContext)
        let pd = try ProtectionDomain(context: context)
        let cq = try CompletionQueue(context: context, capacity: 16)
        let qp = try QueuePair(
            connection: id, protectionDomain: pd, sendCompletionQueue: cq, receiveCompletionQueue: cq,
            capabilities: QueuePairCapabilities(
                maxSendWorkRequests: 4, maxReceiveWorkRequests: 4, maxReceiveSGEs: 1))
        try id.connect(
            privateData: privateData, initiatorDepth: 0, responderResources: responderResources)
        let answer = try #require(try channel.nextEvent(timeoutMilliseconds: 10_000))
        var status: UInt16? = nil
        if let data = answer.consumerRejectData, data.count >= 4 {
            status = UInt16(data[2]) | UInt16(data[3]) << 8
        }
        if answer.type == .established {
            try? id.disconnect()
            _ = try? channel.nextEvent(timeoutMilliseconds: 5_000)
        }
        withExtendedLifetime((qp, cq, pd)) {}
        return ConnectOutcome(type: answer.type, rejectStatus: status)
    }

    func privateData(recfmt: UInt16 = 0, qid: UInt16 = 0, hrqsize: UInt16 = 32, hsqsize: UInt16 = 31)
        -> [UInt8]
    {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes {
            RDMAConnectRequestPrivateData(
                recordFormat: recfmt, queueID: qid, hostReceiveQueueSize: hrqsize,
                hostSendQueueSize: hsqsize
            ).encode(into: $0)
        }
        return bytes
    }

    @Test func badConnectRequestsGetTheirRejectStatus() throws {
        let fixture = try Fixture()
        let cases: [(String, [UInt8], UInt8, RDMARejectStatus)] = [
            ("RECFMT 1", privateData(recfmt: 1), 16, .invalidRecordFormat),
            ("QID 200", privateData(qid: 200), 16, .invalidQueueID),
            ("admin HSQSIZE 63", privateData(hrqsize: 64, hsqsize: 63), 16, .invalidHostSendQueueSize),
            (
                "HRQSIZE < HSQSIZE+1", privateData(qid: 1, hrqsize: 8, hsqsize: 31), 16,
                .invalidHostReceiveQueueSize
            ),
            ("no private data (zero-padded)", [], 16, .invalidHostSendQueueSize),
            ("host IRD 0", privateData(), 0, .invalidIRD),
        ]
        for (name, data, ird, expected) in cases {
            let outcome = try rawConnect(privateData: data, responderResources: ird)
            #expect(outcome.type == .rejected, "\(name): \(outcome.type)")
            #expect(
                outcome.rejectStatus == expected.rawValue,
                "\(name): status \(String(describing: outcome.rejectStatus))")
        }
        // A good request is accepted, then the target tears it down on disconnect.
        let good = try rawConnect(privateData: privateData())
        #expect(good.type == .established)
        #expect(RdmaLab.waitFor(seconds: 15) { fixture.transport.connectionCount == 0 })
    }
}

/// Malformed commands from a raw host: each gets the status the reference
/// names, and the transport stays up and leak-free.
extension RdmaTransportLabTests {
    /// Nested so it runs serialized with the other lab tests (one port, one device).
    @Suite struct BadInputLabTests {
        func command(opcode: UInt8, cid: UInt16, sgl: SGLDescriptor) -> SubmissionQueueEntry {
            var c = SubmissionQueueEntry(opcode: opcode, commandID: cid)
            c.flags = SubmissionQueueEntry.sglFlags
            c.dataPointer = sgl
            return c
        }

        @Test func badSGLsAndAdminInCapsuleDataGetTheirStatus() throws {
            let fixture = try RdmaTransportLabTests.Fixture()
            let host = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port)
            let data = host.hostData
            // Identify with an SGL type the target does not support (Bit Bucket, 0x10).
            let badType = try host.submit(
                command(
                    opcode: 0x06, cid: 1, sgl: SGLDescriptor(address: 0, upper: UInt64(0x10) << 56 | 4096)))
            #expect(badType.commandID == 1)
            #expect(
                badType.nvmeStatus.code == 0x11 && badType.nvmeStatus.doNotRetry, "status \(badType.status)")
            // Get Log Page for 1 MiB: larger than MDTS (128 KiB).
            let tooLong = try host.submit(
                command(
                    opcode: 0x02, cid: 2,
                    sgl: .keyed(address: data.address, length: 1 << 20, key: data.rkey, invalidate: false)))
            #expect(tooLong.nvmeStatus.code == 0x0F, "status \(tooLong.status)")
            // Set Features with 64 bytes of in-capsule data on the admin queue (no ICD there).
            let icd = try host.submit(
                command(opcode: 0x09, cid: 3, sgl: .inCapsule(offset: 0, length: 64)),
                inCapsule: [UInt8](repeating: 0xAB, count: 64))
            #expect(icd.nvmeStatus.code == 0x0F || icd.nvmeStatus.code == 0x16, "status \(icd.status)")
            // Multi-descriptor SGL (Last Segment): not supported with MSDBD 1.
            let segment = try host.submit(
                command(opcode: 0x06, cid: 4, sgl: .lastSegment(offset: 0, length: 16)))
            #expect(segment.nvmeStatus.code == 0x11, "status \(segment.status)")
            // Not connected yet: a well-formed Identify is a Command Sequence Error.
            let early = try host.submit(
                command(
                    opcode: 0x06, cid: 5,
                    sgl: .keyed(address: data.address, length: 4096, key: data.rkey, invalidate: false)))
            #expect(early.nvmeStatus.code == 0x0C, "status \(early.status)")
            withExtendedLifetime(host) {}
            _ = fixture
        }

        /// The race behind the 2 × depth slots, made deterministic: the host
        /// has no receive buffers at first, so the target's responses stall
        /// in RNR retry and their slots stay busy although the host may
        /// already count those commands as done. Within its depth the host
        /// is never refused: capsules that find no free slot are parked and
        /// answered once the stalled SENDs complete.
        @Test func commandsArrivingBeforeSendCompletionsAreParkedNotRefused() throws {
            let fixture = try RdmaTransportLabTests.Fixture()
            let host = try RawNVMeHost(
                address: RdmaLab.address, port: RdmaTransportLabTests.port, depth: 2, receives: 0)
            // 4 commands fill the 4 slots (each answered at once: Command
            // Sequence Error before Connect), 2 more are parked.
            try sendKeepAlives(6, to: host, firstCommandID: 100)
            // Let the target take in all six before the stalled responses can drain.
            #expect(
                RdmaLab.waitFor(seconds: 10) { fixture.transport.parkedCommandCount == 2 },
                "parked \(fixture.transport.parkedCommandCount) commands, expected 2")
            try host.postReceives(0..<6)
            var seen: [UInt16] = []
            for _ in 0..<6 {
                guard let cqe = try host.nextCompletion() else { break }
                #expect(cqe.nvmeStatus.code == 0x0C, "cid \(cqe.commandID) status \(cqe.status)")
                seen.append(cqe.commandID)
            }
            #expect(seen.sorted() == (100..<106).map { UInt16($0) }, "responses for \(seen)")
            #expect(fixture.transport.connectionCount == 1, "the target dropped a host within its depth")
            withExtendedLifetime(host) {}
        }

        /// Keep Alive capsules in send slots 0..<count, without waiting for answers.
        private func sendKeepAlives(_ count: Int, to host: RawNVMeHost, firstCommandID: UInt16) throws {
            for slot in 0..<count {
                try host.send(
                    command(
                        opcode: 0x18, cid: firstCommandID + UInt16(slot),
                        sgl: .keyed(address: 0, length: 0, key: 0, invalidate: false)), slot: slot)
            }
        }

        @Test func hostExceedingItsQueueDepthIsDisconnected() throws {
            let fixture = try RdmaTransportLabTests.Fixture()
            // Depth 2 and no receive buffers: the target's responses wait in RNR
            // retry, so their slots stay busy. The target keeps 2 × depth slots
            // for hosts that reuse a command slot before our SEND completion is
            // polled, and parks up to `depth` more capsules while a slot frees:
            // commands 0–3 take the slots, 4 and 5 are parked (2 outstanding
            // without a posted response = the depth), and 6 overflows.
            let host = try RawNVMeHost(
                address: RdmaLab.address, port: RdmaTransportLabTests.port, depth: 2, receives: 0)
            try sendKeepAlives(7, to: host, firstCommandID: 0)
            #expect(
                try host.waitForDisconnect(), "the target did not disconnect a host that broke flow control")
            #expect(RdmaLab.waitFor(seconds: 15) { fixture.transport.connectionCount == 0 })
        }
    }

}

extension RdmaTransportLabTests.BadInputLabTests {
    /// A host that connects (KATO 1 s), then falls silent with its connection
    /// up: keep-alive expiry tears the controller down, the transport
    /// disconnects the queue and frees everything.
    @Test func silentHostIsTornDownByKeepAlive() throws {
        let fixture = try RdmaTransportLabTests.Fixture()
        let host = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port)
        let data = ConnectData(
            hostID: (0..<16).map { UInt8($0 + 1) }, controllerID: ConnectData.dynamicControllerID,
            subsystemNQN: RdmaTransportLabTests.nqn,
            hostNQN: "nqn.2014-08.org.nvmexpress:uuid:01020304-0506-0708-090a-0b0c0d0e0f10")
        data.encode(into: UnsafeMutableRawBufferPointer(start: host.hostData.bytes.baseAddress, count: 1024))
        var connect = ConnectCommand(
            commandID: 7, queueID: 0, submissionQueueSize: 31, keepAliveTimeout: 1000,
            dataPointer: .keyed(
                address: host.hostData.address, length: 1024, key: host.hostData.rkey, invalidate: false)
        ).entry
        connect.flags = SubmissionQueueEntry.sglFlags
        let answer = try host.submit(connect)
        #expect(answer.commandID == 7)
        #expect(answer.nvmeStatus.isSuccess, "Connect status \(answer.status) dword0 \(answer.dword0)")
        #expect(fixture.subsystem.controllerCount == 1)
        // No Keep Alive from now on.
        #expect(try host.waitForDisconnect(timeoutMilliseconds: 20_000), "no teardown after KATO")
        #expect(RdmaLab.waitFor(seconds: 15) { fixture.transport.connectionCount == 0 })
        #expect(RdmaLab.waitFor(seconds: 5) { fixture.subsystem.controllerCount == 0 })
        withExtendedLifetime(host) {}
    }
}

extension RdmaTransportLabTests.BadInputLabTests {
    /// A capsule shorter than an SQE, and one longer than the receive buffer
    /// (SQE + in-capsule area): each costs the host its connection, nothing else.
    @Test(arguments: [32, 64 + 4096 + 512])
    func malformedCapsuleLengthDisconnects(length: Int) throws {
        let fixture = try RdmaTransportLabTests.Fixture()
        let host = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port)
        try host.queuePair.postSend(id: 1, host.sendArea.scatterGatherEntry(offset: 0, length: length))
        #expect(try host.waitForDisconnect(), "no disconnect after a \(length)-byte capsule")
        #expect(RdmaLab.waitFor(seconds: 15) { fixture.transport.connectionCount == 0 })
        // The target still serves a well-behaved host.
        let next = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port)
        var keepAlive = SubmissionQueueEntry(opcode: 0x18, commandID: 9)
        keepAlive.flags = SubmissionQueueEntry.sglFlags
        keepAlive.dataPointer = .keyed(address: 0, length: 0, key: 0, invalidate: false)
        let answer = try next.submit(keepAlive)
        #expect(answer.commandID == 9 && answer.nvmeStatus.code == 0x0C, "status \(answer.status)")
        withExtendedLifetime((host, next)) {}
    }
}

extension RdmaTransportLabTests.BadInputLabTests {
    /// A Connect capsule for `queueID` whose 1024-byte data sits in the raw
    /// host's registered memory (keyed SGL, as the Linux host sends it).
    func connectCommand(
        _ host: RawNVMeHost, cid: UInt16, queueID: UInt16, sqsize: UInt16, controllerID: UInt16
    ) -> SubmissionQueueEntry {
        let data = ConnectData(
            hostID: (0..<16).map { UInt8($0 + 1) }, controllerID: controllerID,
            subsystemNQN: RdmaTransportLabTests.nqn,
            hostNQN: "nqn.2014-08.org.nvmexpress:uuid:01020304-0506-0708-090a-0b0c0d0e0f10")
        data.encode(into: UnsafeMutableRawBufferPointer(start: host.hostData.bytes.baseAddress, count: 1024))
        var connect = ConnectCommand(
            commandID: cid, queueID: queueID, submissionQueueSize: sqsize, keepAliveTimeout: queueID == 0 ? 60_000 : 0,
            dataPointer: .keyed(
                address: host.hostData.address, length: 1024, key: host.hostData.rkey, invalidate: false)
        ).entry
        connect.flags = SubmissionQueueEntry.sglFlags
        return connect
    }

    /// The Connect command must name the QID the CM private data named, and
    /// may not ask for more entries than the QP was built with: otherwise
    /// Connect Invalid Parameters (82h) with IPO 42 (QID) or 44 (SQSIZE).
    @Test func connectDisagreeingWithTheCMPrivateDataIsRefused() throws {
        let fixture = try RdmaTransportLabTests.Fixture()
        let admin = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port, queueID: 0)
        let created = try admin.submit(connectCommand(admin, cid: 1, queueID: 0, sqsize: 31, controllerID: 0xFFFF))
        #expect(created.nvmeStatus.isSuccess, "admin Connect status \(created.status)")
        let cntlid = UInt16(truncatingIfNeeded: created.dword0)
        #expect(fixture.subsystem.controllerCount == 1)

        // CM: admin queue (qid 0). Connect: I/O queue 1.
        let asAdmin = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port, queueID: 0)
        let relabel = try asAdmin.submit(
            connectCommand(asAdmin, cid: 2, queueID: 1, sqsize: 31, controllerID: cntlid))
        #expect(relabel.commandID == 2)
        #expect(
            relabel.nvmeStatus == .connectInvalidParameters && relabel.nvmeStatus.doNotRetry,
            "status \(relabel.status)")
        #expect(relabel.dword0 == 42, "IPO/IATTR \(relabel.dword0)")

        // CM: I/O queue 1. Connect: a new controller (qid 0), which would otherwise succeed.
        let asIO = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port, queueID: 1)
        let promote = try asIO.submit(connectCommand(asIO, cid: 3, queueID: 0, sqsize: 31, controllerID: 0xFFFF))
        #expect(promote.nvmeStatus == .connectInvalidParameters, "status \(promote.status)")
        #expect(promote.dword0 == 42, "IPO/IATTR \(promote.dword0)")
        #expect(fixture.subsystem.controllerCount == 1)

        // CM: admin queue of depth 16. Connect: SQSIZE 31 (32 entries), within the admin limit.
        let small = try RawNVMeHost(
            address: RdmaLab.address, port: RdmaTransportLabTests.port, queueID: 0, depth: 16)
        let deeper = try small.submit(connectCommand(small, cid: 4, queueID: 0, sqsize: 31, controllerID: 0xFFFF))
        #expect(deeper.nvmeStatus == .connectInvalidParameters, "status \(deeper.status)")
        #expect(deeper.dword0 == 44, "IPO/IATTR \(deeper.dword0)")
        #expect(fixture.subsystem.controllerCount == 1)
        // The same connection connects once SQSIZE fits.
        let fits = try small.submit(connectCommand(small, cid: 5, queueID: 0, sqsize: 15, controllerID: 0xFFFF))
        #expect(fits.nvmeStatus.isSuccess, "status \(fits.status)")
        #expect(fixture.subsystem.controllerCount == 2)
        withExtendedLifetime((admin, asAdmin, asIO, small)) {}
    }
}

/// Issue 12, defects 5 and 6: what one host can no longer do to the others.
extension RdmaTransportLabTests.BadInputLabTests {
    /// A host that stops posting receives used to pin its slots and data
    /// buffers: our response SENDs are retried without end, since the RNR
    /// retry count of our QP is the one the host put in its CM REQ (7 from
    /// Linux and librdmacm; 45 s without a disconnect on 2026-12-02). The
    /// send watchdog closes the queue after 10 s without progress.
    @Test func hostThatStopsPostingReceivesLosesItsConnection() throws {
        let fixture = try RdmaTransportLabTests.Fixture()
        // One receive: for the Connect response. KATO 0, so neither the
        // keep-alive timer nor the Connect deadline can be what closes it.
        let host = try RawNVMeHost(
            address: RdmaLab.address, port: RdmaTransportLabTests.port, depth: 4, receives: 1)
        var connect = connectCommand(host, cid: 49, queueID: 0, sqsize: 3, controllerID: 0xFFFF)
        connect.cdw12 = 0  // KATO 0
        let answer = try host.submit(connect)
        try #require(answer.nvmeStatus.isSuccess, "Connect status \(answer.status)")
        for slot in 0..<2 {
            var keepAlive = SubmissionQueueEntry(opcode: 0x18, commandID: UInt16(50 + slot))
            keepAlive.flags = SubmissionQueueEntry.sglFlags
            keepAlive.dataPointer = .keyed(address: 0, length: 0, key: 0, invalidate: false)
            try host.send(keepAlive, slot: slot)
        }
        let start = ContinuousClock.now
        #expect(try host.waitForDisconnect(timeoutMilliseconds: 30_000), "a host without receives kept its queue")
        #expect(RdmaLab.waitFor(seconds: 15) { fixture.transport.connectionCount == 0 })
        let elapsed = ContinuousClock.now - start
        print("stalled host disconnected after \(elapsed)")
        #expect(elapsed < .seconds(20), "closed later than the send watchdog allows: \(elapsed)")
        withExtendedLifetime(host) {}
    }

    /// The data-buffer pool is registered for local access only: a host that
    /// knows (or guesses) its address and rkey cannot write into it (nor
    /// read it: no remote access of either kind is registered).
    @Test func dataBuffersRefuseRemoteWrites() throws {
        let fixture = try RdmaTransportLabTests.Fixture()
        let host = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port)
        let pool = try #require(fixture.transport.dataPools.first, "no data pool after a connection")
        // An RDMA WRITE: the raw host's QP has no read credits (ORD 0).
        try host.queuePair.postRDMAWrite(
            id: 77, host.hostData.scatterGatherEntry(offset: 0, length: 4096),
            to: RemoteAddress(address: pool.address, rkey: pool.remoteKey))
        let buffer = WorkCompletionBuffer(capacity: 4)
        var outcome: WorkCompletion? = nil
        _ = RdmaLab.waitFor(seconds: 15) {
            guard let n = try? host.completionQueue.poll(into: buffer.completions) else { return false }
            for i in 0..<n where buffer[i].workRequestID == 77 { outcome = buffer[i] }
            return outcome != nil
        }
        let completion = try #require(outcome, "the RDMA READ never completed")
        #expect(!completion.isSuccess, "a host wrote into the target's data buffers with their rkey")
        print("RDMA WRITE into the pool: \(completion.status)")
        withExtendedLifetime(host) {}
    }
}

extension RdmaTransportLabTests.BadInputLabTests {
    /// Issue 12, defect 2: one host opening connections without ever sending
    /// Connect is stopped at 16 such queues; a host at another address still
    /// discovers and connects while the flood holds them.
    @Test func floodingHostDoesNotLockOutAnotherHost() throws {
        let fixture = try RdmaTransportLabTests.Fixture()
        // The second host: another address on the same rxe netdev.
        let netdev = try RdmaLab.run([
            "sh", "-c", "ip -o -4 addr show | grep ' \(RdmaLab.address)/' | awk '{print $2}'",
        ])
        .output.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!netdev.isEmpty, "no netdev holds \(RdmaLab.address)")
        let other = "10.0.2.200"
        _ = try RdmaLab.run(["ip", "addr", "add", "\(other)/24", "dev", netdev])
        defer { _ = try? RdmaLab.run(["ip", "addr", "del", "\(other)/24", "dev", netdev]) }

        var flood: [RawNVMeHost] = []
        var refused = 0
        for _ in 0..<40 {
            if let host = try? RawNVMeHost(
                address: RdmaLab.address, port: RdmaTransportLabTests.port, expectingRefusal: true)
            {
                flood.append(host)
            } else {
                refused += 1
            }
        }
        // Under TCG the loop takes long enough that the 10 s Connect deadline
        // closes the first queues and lets a few more in; what holds is the
        // bound on what is open at once, and that the rest were refused.
        print("flood: \(flood.count) accepted, \(refused) refused")
        #expect(refused > 0, "no connection of 40 silent ones was refused")
        #expect(
            fixture.transport.connectionCount <= CMLimits.maxUnconnectedQueuesPerHost,
            "\(fixture.transport.connectionCount) silent queues of one host open at once")
        let discovery = try RdmaLab.run([
            "nvme", "discover", "-t", "rdma", "-a", RdmaLab.address, "-s", "\(RdmaTransportLabTests.port)", "-w", other,
        ])
        #expect(discovery.status == 0, "discovery from \(other) during the flood: \(discovery.output)")
        #expect(discovery.output.contains(RdmaTransportLabTests.nqn))
        withExtendedLifetime(flood) {}
        flood.removeAll()
        #expect(RdmaLab.waitFor(seconds: 15) { fixture.transport.connectionCount == 0 })
    }
}

/// The CM's per-host bounds, as the lab tests expect them.
enum CMLimits {
    static let maxUnconnectedQueuesPerHost = ConnectionManager.maxUnconnectedQueuesPerHost
}

extension RdmaTransportLabTests.BadInputLabTests {
    /// Resident set size of this process in bytes.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    /// Issue 12, fault tests: 1,000 connect (CM + Fabrics Connect, a new
    /// controller each time) / disconnect cycles leave no connection, no
    /// controller and no verbs object behind, and resident memory flat.
    /// A raw host, so the cycles take about a minute in the TCG guest (the
    /// kernel initiator's `nvme connect` takes about a second each there).
    @Test func thousandConnectDisconnectCyclesLeaveNothingBehind() throws {
        let fixture = try RdmaTransportLabTests.Fixture()
        /// One cycle; false when the connection or Connect failed.
        @Sendable func cycle(_ i: Int) -> Bool {
            guard
                let host = try? RawNVMeHost(
                    address: RdmaLab.address, port: RdmaTransportLabTests.port, receives: 4, hostDataBytes: 4096)
            else { return false }
            var connect = connectCommand(
                host, cid: UInt16(truncatingIfNeeded: i), queueID: 0, sqsize: 31, controllerID: 0xFFFF)
            connect.cdw12 = 0  // KATO 0: only the disconnect may end it
            guard (try? host.send(connect)) != nil, let answer = try? host.nextCompletion() else { return false }
            return answer.nvmeStatus.isSuccess
        }
        func settled() -> Bool {
            fixture.transport.connectionCount == 0 && fixture.subsystem.controllerCount == 0
        }
        // Each poll group makes its share of the device's resources (CQ,
        // SRQ, receive buffers) on its first connection: one per group first.
        for i in 0..<4 { #expect(cycle(i), "warm-up cycle \(i)") }
        #expect(RdmaLab.waitFor(seconds: 30, settled))
        let baseline = LiveResources.count
        let residentBefore = Self.residentBytes()
        let start = ContinuousClock.now
        // Four hosts at a time (the TCG guest spends most of a cycle waiting).
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<250 where !cycle(1000 + worker * 250 + i) {
                failures.add(1, ordering: .relaxed)
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0, "cycles that failed to connect")
        #expect(RdmaLab.waitFor(seconds: 60, settled), "connections \(fixture.transport.connectionCount)")
        #expect(
            RdmaLab.waitFor(seconds: 30) { LiveResources.count == baseline },
            "verbs objects \(LiveResources.count) vs \(baseline)")
        let growth = Self.residentBytes() - residentBefore
        print("1000 cycles in \(ContinuousClock.now - start); RSS growth: \(growth / 1024) KiB")
        #expect(growth < 16 << 20, "resident memory grew \(growth / 1024) KiB over 1,000 cycles")
    }
}

extension RdmaTransportLabTests.BadInputLabTests {
    /// p99 completion latency (µs) and error count of a 4k random
    /// read/write crc32c-verifying fio job on `device`.
    static func verifyingFio(_ device: String, seconds: Int) throws -> (p99: Double, errors: Int, ios: Int) {
        let result = try RdmaLab.run([
            "fio", "--name=victim", "--filename=\(device)", "--rw=randrw", "--bs=4k", "--direct=1",
            "--ioengine=libaio", "--iodepth=4", "--size=8M", "--time_based", "--runtime=\(seconds)",
            "--verify=crc32c", "--verify_fatal=1", "--output-format=json",
        ])
        guard result.status == 0, let start = result.output.firstIndex(of: "{"),
            let json = try? JSONSerialization.jsonObject(with: Data(result.output[start...].utf8)) as? [String: Any],
            let job = (json["jobs"] as? [[String: Any]])?.first
        else { return (0, 1, 0) }
        var p99 = 0.0
        var ios = 0
        for direction in ["read", "write"] {
            guard let d = job[direction] as? [String: Any], let clat = d["clat_ns"] as? [String: Any] else { continue }
            ios += (d["total_ios"] as? Int) ?? 0
            if let pct = clat["percentile"] as? [String: Any], let v = pct["99.000000"] as? Double {
                p99 = max(p99, v / 1000)
            }
        }
        return (p99, (job["error"] as? Int) ?? 1, ios)
    }

    /// A Property Set CC.EN = 1 capsule for a raw host's admin queue.
    static func enableCapsule(cid: UInt16) -> SubmissionQueueEntry {
        var c = PropertyCommand.set(
            commandID: cid, offset: PropertyOffset.configuration, value: 0x0046_0001, eightBytes: false
        ).entry
        c.flags = SubmissionQueueEntry.sglFlags
        c.dataPointer = .keyed(address: 0, length: 0, key: 0, invalidate: false)
        return c
    }

    /// Issue 12, fault tests: while one host floods the target with silent
    /// connections, stalls its receives, or sends a Dataset Management of
    /// 64 ranges × half the namespace (2 GiB of zeroing), a second host (the kernel
    /// initiator, at another address) runs a crc32c-verifying fio. It must
    /// see no error; its p99 is printed against its p99 alone (the issue's
    /// goal is within 2×; the test fails only past 4×, as p99 in the TCG lab
    /// moves by tens of percent between identical runs).
    @Test func secondHostKeepsItsServiceUnderEachAttack() throws {
        let fixture = try RdmaTransportLabTests.Fixture()
        let netdev = try RdmaLab.run([
            "sh", "-c", "ip -o -4 addr show | grep ' \(RdmaLab.address)/' | awk '{print $2}'",
        ]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!netdev.isEmpty, "no netdev holds \(RdmaLab.address)")
        let victimAddress = "10.0.2.201"
        _ = try RdmaLab.run(["ip", "addr", "add", "\(victimAddress)/24", "dev", netdev])
        defer { _ = try? RdmaLab.run(["ip", "addr", "del", "\(victimAddress)/24", "dev", netdev]) }
        let connect = try RdmaLab.run([
            "nvme", "connect", "-t", "rdma", "-a", RdmaLab.address, "-s", "\(RdmaTransportLabTests.port)",
            "-n", RdmaTransportLabTests.nqn, "-w", victimAddress,
        ])
        try #require(connect.status == 0, "nvme connect: \(connect.output)")
        defer { _ = try? RdmaLab.run(["nvme", "disconnect", "-n", RdmaTransportLabTests.nqn]) }
        var node: String? = nil
        _ = RdmaLab.waitFor(seconds: 15) {
            node = RdmaLab.namespaceDevice(forSubsystem: RdmaTransportLabTests.nqn)
            return node != nil
        }
        let device = try #require(node, "no namespace device")
        let seconds = 8
        let alone = try Self.verifyingFio(device, seconds: seconds)
        #expect(alone.errors == 0 && alone.ios > 0, "fio alone: \(alone)")

        func underAttack(_ name: String, _ attack: () throws -> Void) throws {
            // fio runs in its own thread; the attack runs here meanwhile.
            nonisolated(unsafe) var outcome: (p99: Double, errors: Int, ios: Int) = (0, 1, 0)
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                outcome = (try? Self.verifyingFio(device, seconds: seconds)) ?? (0, 1, 0)
                done.signal()
            }
            try attack()
            done.wait()
            let ratio = alone.p99 > 0 ? outcome.p99 / alone.p99 : 0
            print(
                "second host under \(name): p99 \(outcome.p99) µs vs \(alone.p99) alone (\(ratio)×), \(outcome.ios) I/Os, errors \(outcome.errors)"
            )
            #expect(outcome.errors == 0 && outcome.ios > 0, "\(name): fio \(outcome)")
            #expect(ratio < 4, "\(name): p99 \(ratio)× its value alone")
        }

        var flood: [RawNVMeHost] = []
        try underAttack("a connection flood") {
            for _ in 0..<40 {
                if let h = try? RawNVMeHost(
                    address: RdmaLab.address, port: RdmaTransportLabTests.port, expectingRefusal: true)
                {
                    flood.append(h)
                }
            }
        }
        flood.removeAll()

        var stalled: [RawNVMeHost] = []
        try underAttack("hosts that stop posting receives") {
            for i in 0..<4 {
                let host = try RawNVMeHost(
                    address: RdmaLab.address, port: RdmaTransportLabTests.port, depth: 4, receives: 1)
                var c = connectCommand(host, cid: 1, queueID: 0, sqsize: 3, controllerID: 0xFFFF)
                c.cdw12 = 0
                _ = try host.submit(c)
                for slot in 0..<2 {
                    var keepAlive = SubmissionQueueEntry(opcode: 0x18, commandID: UInt16(10 * i + slot + 2))
                    keepAlive.flags = SubmissionQueueEntry.sglFlags
                    keepAlive.dataPointer = .keyed(address: 0, length: 0, key: 0, invalidate: false)
                    try host.send(keepAlive, slot: slot)
                }
                stalled.append(host)
            }
        }
        stalled.removeAll()

        try underAttack("a Dataset Management of 64 ranges × 32 MiB") {
            let admin = try RawNVMeHost(address: RdmaLab.address, port: RdmaTransportLabTests.port, receives: 8)
            var c = connectCommand(admin, cid: 1, queueID: 0, sqsize: 31, controllerID: 0xFFFF)
            c.cdw12 = 0
            let created = try admin.submit(c)
            try #require(created.nvmeStatus.isSuccess)
            try #require(try admin.submit(Self.enableCapsule(cid: 2)).nvmeStatus.isSuccess)
            let io = try RawNVMeHost(
                address: RdmaLab.address, port: RdmaTransportLabTests.port, queueID: 1, receives: 8)
            let cntlid = UInt16(truncatingIfNeeded: created.dword0)
            try #require(
                try io.submit(connectCommand(io, cid: 3, queueID: 1, sqsize: 31, controllerID: cntlid)).nvmeStatus
                    .isSuccess)
            var dsm = SubmissionQueueEntry(opcode: IOOpcode.datasetManagement, commandID: 4, namespaceID: 1)
            dsm.flags = SubmissionQueueEntry.sglFlags
            // 64 ranges, each the half of the namespace the victim does not
            // use (its fio verifies what it wrote in the first 8 MiB): 2 GiB
            // of zeroing, what the TCG guest's memset gets through in a few
            // seconds, so it overlaps the victim's whole run.
            let half = fixture.device.blockCount / 2
            dsm.cdw10 = 63
            dsm.cdw11 = 4  // AD
            dsm.dataPointer = .inCapsule(offset: 0, length: 64 * 16)
            var ranges = [UInt8](repeating: 0, count: 64 * 16)
            ranges.withUnsafeMutableBytes { out in
                for i in 0..<64 {
                    DatasetManagementRange(blockCount: UInt32(half), startingLBA: half).encode(into: out, index: i)
                }
            }
            let answer = try io.submit(dsm, inCapsule: ranges)
            #expect(answer.nvmeStatus.isSuccess, "DSM status \(answer.status)")
            withExtendedLifetime((admin, io)) {}
        }
    }
}
