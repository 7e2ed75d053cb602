// Fuzzes command capsules into one NVMfTarget over the in-process transport
// (InProcessQueue), checking that every command gets exactly one completion.
//
// Input: a mode byte, then records until the input ends (at most 256):
//   mode      bits 0–1 % 3: the queue the records go to: 0 a fresh queue
//             before Connect, 1 a connected admin queue with CC.EN = 1,
//             2 a connected I/O queue (QID 1) of such a controller;
//             bit 2: Connect with KATO 0 instead of 5000 ms;
//             bit 3: Connect with CATTR bit 2 (SQ flow control disabled).
//   record    64 bytes of SQE (CID is replaced by the harness), then a selector:
//             bits 0–3 the data: 0–13 a length from `dataLengths`, whose bytes
//                  follow in the input (zero-filled past its end); 14/15 a
//                  valid 1024-byte Connect data for the discovery subsystem /
//                  the fuzz subsystem (CNTLID FFFFh for QID 0, else the
//                  admin queue's controller);
//             bit 4 the data is in-capsule (else it is keyed, at buffer
//                  offset 0 as if an RDMA READ had landed);
//             bit 5 do not wait for the completion (pipelining);
//             bit 6 advance the clock 2.5 s and run PollGroup.tick (keep-alive,
//                  asynchronous events);
//             bit 7 send on the other queue: the admin queue in mode 2, else
//                  a second fresh queue (which may Connect as an I/O queue).
//
// After each waited-for command and at the end the harness polls until
// nothing is pending; a command without its completion (other than an
// Asynchronous Event Request, which may wait), a completion for a command
// not outstanding, or more controller-to-host bytes than the SGL describes
// is a fatal error. At the end every queue disconnects; every slot must be
// released, every queue must leave the poll group and every controller the
// subsystem, so one target serves the whole run.
import Backends
import FuzzSupport
import Glibc
import Logging
import NVMe
import Target

final class CapsuleHarness {
    static let subsystemNQN = "nqn.2026-01.io.swift:fuzz"
    static let hostNQN = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
    static let hostID: [UInt8] = Array(1...16)
    static let options = TransportOptions(
        inCapsuleDataSize: 8192, maxIOSize: 32 * 1024, maxQueueDepth: 64, maxAdminQueueDepth: 32, maxIOQueues: 8)
    static let slotCount = 8
    static let bufferSize = 40 * 1024
    static let dataLengths = [0, 16, 32, 48, 64, 256, 512, 1024, 2048, 4096, 8192, 3, 520, 4608]
    static let maxRecords = 256
    /// FUZZ_TRACE=1 prints every step (for reading a reproducer).
    static let trace = getenv("FUZZ_TRACE") != nil

    static let shared = CapsuleHarness()

    let target: NVMfTarget
    let subsystem: Subsystem
    let group: PollGroup
    var clock: UInt64 = 0
    var conns: [Conn] = []

    /// One host connection and what the host still waits for on it.
    final class Conn {
        let queue: InProcessQueue
        /// CID → (opcode, controller-to-host bytes the SGL allows).
        var outstanding: [UInt16: (opcode: UInt8, maxBytesToHost: Int)] = [:]
        var nextCommandID: UInt16 = 1

        init(_ group: PollGroup) {
            do {
                queue = try InProcessQueue(
                    pollGroup: group, options: CapsuleHarness.options, slotCount: CapsuleHarness.slotCount,
                    bufferSize: CapsuleHarness.bufferSize)
            } catch {
                fatalError("poll group refused a queue (queues not retired?): \(error)")
            }
        }
    }

    init() {
        target = NVMfTarget(logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            subsystem = try target.addSubsystem(nqn: Self.subsystemNQN, serialNumber: "FUZZ0001", maxNamespaces: 4)
            try subsystem.addHost(Self.hostNQN)
            try subsystem.addNamespace(device: MemoryBlockDevice(name: "mem0", blockCount: 2048, blockSize: 512))
            try subsystem.addNamespace(device: NullBlockDevice(name: "null0", blockCount: 1 << 20, blockSize: 4096))
            try subsystem.addNamespace(
                device: MemoryBlockDevice(name: "mem1", blockCount: 64, blockSize: 4096), readOnly: true)
            try subsystem.addListener(ListenerAddress(address: "10.0.0.1"))
            try subsystem.start()
        } catch {
            fatalError("target setup: \(error)")
        }
        group = target.makePollGroup(maxQueues: 16)
    }

    // MARK: One input

    func run(_ input: UnsafeRawBufferPointer) {
        var r = ByteReader(input)
        let mode = r.u8()
        let state = Int(mode & 3) % 3
        let kato: UInt32 = mode & 4 != 0 ? 0 : 5000
        let cattr: UInt8 = mode & 8 != 0 ? 0x04 : 0
        clock = 1_000_000
        let primary: Conn
        var other: Conn?
        switch state {
        case 0:
            primary = connection()
        case 1:
            primary = connection()
            setUpAdmin(primary, kato: kato, cattr: cattr)
        default:
            let admin = connection()
            let cntlid = setUpAdmin(admin, kato: kato, cattr: cattr)
            primary = connection()
            var connect = ConnectCommand(
                queueID: 1, submissionQueueSize: 31, keepAliveTimeout: 0, connectAttributes: cattr
            )
            .entry
            connect.dataPointer = .keyed(address: 0, length: 1024, key: 1, invalidate: false)
            expectSuccess(primary, connect, data: connectData(subsystemNQN: Self.subsystemNQN, controllerID: cntlid))
            other = admin
        }

        var records = 0
        while !r.isAtEnd && records < Self.maxRecords {
            records += 1
            var sqeBytes = [UInt8](repeating: 0, count: 64)
            let raw = r.take(64)
            sqeBytes.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
            var command = sqeBytes.withUnsafeBytes { SubmissionQueueEntry($0)! }
            let selector = r.u8()
            let conn: Conn
            if selector & 0x80 != 0 {
                if other == nil { other = connection() }
                conn = other!
            } else {
                conn = primary
            }
            var data: [UInt8]
            switch Int(selector & 0x0F) {
            case 14:
                data = connectData(subsystemNQN: NVMe.discoverySubsystemNQN, controllerID: 0xFFFF)
            case 15:
                let qid = ConnectCommand(command).queueID
                data = connectData(
                    subsystemNQN: Self.subsystemNQN, controllerID: qid == 0 ? 0xFFFF : adminControllerID())
            case let i:
                let n = Self.dataLengths[i]
                data = Array(r.take(n))
                if data.count < n { data += [UInt8](repeating: 0, count: n - data.count) }
            }
            command.commandID = 0
            submit(conn, command, data: data, inCapsule: selector & 0x10 != 0)
            if selector & 0x40 != 0 {
                clock += 2500
                if Self.trace { trace("tick \(clock)") }
                group.tick(now: clock)
            }
            honourDisconnects()
            if selector & 0x20 == 0 { settle(requireIdle: true) }
        }
        finish()
    }

    /// A new queue on the poll group.
    func connection() -> Conn {
        let c = Conn(group)
        conns.append(c)
        if Self.trace { trace("queue \(conns.count - 1): new") }
        return c
    }

    /// Connects `conn` as an admin queue of the fuzz subsystem and sets CC.EN; returns the CNTLID.
    @discardableResult
    func setUpAdmin(_ conn: Conn, kato: UInt32, cattr: UInt8) -> UInt16 {
        var connect = ConnectCommand(
            queueID: 0, submissionQueueSize: 31, keepAliveTimeout: kato, connectAttributes: cattr
        )
        .entry
        connect.dataPointer = .keyed(address: 0, length: 1024, key: 1, invalidate: false)
        let dw0 = expectSuccess(conn, connect, data: connectData(subsystemNQN: Self.subsystemNQN, controllerID: 0xFFFF))
        expectSuccess(
            conn, PropertyCommand.set(offset: PropertyOffset.configuration, value: 0x0046_0000, eightBytes: false).entry
        )
        expectSuccess(
            conn, PropertyCommand.set(offset: PropertyOffset.configuration, value: 0x0046_0001, eightBytes: false).entry
        )
        return UInt16(truncatingIfNeeded: dw0)
    }

    /// Runs a setup command, which must succeed.
    @discardableResult
    func expectSuccess(_ conn: Conn, _ command: SubmissionQueueEntry, data: [UInt8] = []) -> UInt32 {
        let cid = conn.nextCommandID
        submit(conn, command, data: data, inCapsule: false)
        var dw0: UInt32?
        for _ in 0..<16 where dw0 == nil {
            while let c = conn.queue.nextCompletion() {
                guard c.entry.commandID == cid, c.entry.nvmeStatus.isSuccess else {
                    fatalError("setup command \(command.opcode) failed: status \(c.entry.status)")
                }
                conn.outstanding[cid] = nil
                dw0 = c.entry.dword0
            }
            group.poll()
        }
        guard let dw0 else { fatalError("setup command \(command.opcode) never completed") }
        return dw0
    }

    /// The CNTLID of a connected admin queue of the fuzz subsystem (1 if none).
    func adminControllerID() -> UInt16 {
        for c in conns where c.queue.targetQueue.isConnected && c.queue.targetQueue.queueID == 0 {
            if let id = c.queue.targetQueue.controllerID { return id }
        }
        return 1
    }

    func connectData(subsystemNQN: String, controllerID: UInt16) -> [UInt8] {
        ConnectData(hostID: Self.hostID, controllerID: controllerID, subsystemNQN: subsystemNQN, hostNQN: Self.hostNQN)
            .encoded
    }

    // MARK: Submission and completion

    func submit(_ conn: Conn, _ command: SubmissionQueueEntry, data: [UInt8], inCapsule: Bool) {
        guard !conn.queue.isDisconnected else { return }
        // The host reaps what has arrived before it reuses a slot (the
        // completion ring holds one entry per slot, plus one).
        drain(conn)
        var slot = freeSlot(conn)
        if slot == nil {
            settle(requireIdle: false)
            slot = freeSlot(conn)
        }
        // Every slot holds a command that may wait indefinitely (AERs): a
        // host could not send either.
        guard let slot, !conn.queue.isDisconnected else { return }
        var c = command
        c.commandID = conn.nextCommandID
        conn.nextCommandID &+= 1
        if conn.outstanding[c.commandID] != nil { return }  // CID still in use after wrapping
        let buffer = conn.queue.buffers[Int(slot)]
        data.withUnsafeBytes {
            buffer.bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(buffer.count)))
        }
        let maxBytesToHost = c.dataDirection == .controllerToHost ? c.dataPointer.length : 0
        conn.outstanding[c.commandID] = (c.opcode, maxBytesToHost)
        let icd = inCapsule ? min(data.count, Self.options.inCapsuleDataSize) : 0
        if Self.trace {
            let id = conns.firstIndex { $0 === conn } ?? -1
            trace(
                "queue \(id): submit CID \(c.commandID) slot \(slot) opcode \(hex(c.opcode)) nsid \(hex(c.namespaceID))"
                    + " cdw10 \(hex(c.cdw10)) cdw11 \(hex(c.cdw11)) cdw12 \(hex(c.cdw12))"
                    + " sgl \(hex(c.dataPointer.address)):\(hex(c.dataPointer.upper)) data \(data.count) icd \(icd)")
        }
        guard conn.queue.submit(c, slot: slot, inCapsuleDataLength: icd) else {
            fatalError("InProcessQueue refused a free slot")
        }
    }

    func trace(_ line: String) { fputs(line + "\n", stderr) }

    func hex<T: BinaryInteger>(_ v: T) -> String { "0x" + String(v, radix: 16) }

    func freeSlot(_ conn: Conn) -> UInt32? {
        (0..<UInt32(Self.slotCount)).first { !conn.queue.isBusy(slot: $0) }
    }

    /// Takes every completion waiting on `conn`, checking each against what is outstanding.
    func drain(_ conn: Conn) {
        while let c = conn.queue.nextCompletion() {
            let cid = c.entry.commandID
            if Self.trace {
                let id = conns.firstIndex { $0 === conn } ?? -1
                trace(
                    "queue \(id): completion CID \(cid) slot \(c.slot) status \(hex(c.entry.status))"
                        + " dw0 \(hex(c.entry.dword0)) bytes \(c.bytesToHost)")
            }
            guard let sent = conn.outstanding.removeValue(forKey: cid) else {
                fatalError("completion for CID \(cid), which is not outstanding (a second completion?)")
            }
            guard c.bytesToHost >= 0, c.bytesToHost <= sent.maxBytesToHost else {
                fatalError(
                    "opcode \(sent.opcode): \(c.bytesToHost) bytes to the host, SGL allows \(sent.maxBytesToHost)")
            }
        }
    }

    /// A transport disconnects when the target asks (keep-alive expiry, teardown).
    func honourDisconnects() {
        for conn in conns where conn.queue.disconnectRequested && !conn.queue.isDisconnected {
            drain(conn)
            if Self.trace { trace("queue \(conns.firstIndex { $0 === conn } ?? -1): target asked to disconnect") }
            conn.queue.hostDisconnect()
            // Nothing reaches the host after a disconnect; the slots must still be released.
            conn.outstanding.removeAll()
        }
    }

    /// Outstanding commands that must complete without further host action.
    func mustComplete(_ conn: Conn) -> [(UInt16, UInt8)] {
        conn.outstanding.filter { $0.value.opcode != AdminOpcode.asyncEventRequest }.map { ($0.key, $0.value.opcode) }
    }

    /// Polls until no backend work is left; with `requireIdle`, a command that
    /// still has no completion then is lost.
    func settle(requireIdle: Bool) {
        for _ in 0..<64 {
            for conn in conns { drain(conn) }
            honourDisconnects()
            if group.poll() == 0 && conns.allSatisfy({ mustComplete($0).isEmpty }) { break }
        }
        for conn in conns { drain(conn) }
        guard requireIdle else { return }
        for conn in conns {
            let lost = mustComplete(conn)
            if !lost.isEmpty { fatalError("lost completion: (CID, opcode) \(lost)") }
        }
    }

    /// Disconnects every queue; everything must be released.
    func finish() {
        settle(requireIdle: true)
        for conn in conns.reversed() where !conn.queue.isDisconnected {
            drain(conn)
            conn.queue.hostDisconnect()
            conn.outstanding.removeAll()
        }
        for _ in 0..<64 where group.poll() > 0 {}
        for conn in conns {
            for slot in 0..<UInt32(Self.slotCount) where conn.queue.isBusy(slot: slot) {
                fatalError("slot \(slot) never completed after disconnect (lost completion)")
            }
        }
        conns.removeAll()
        if group.queueCount != 0 { fatalError("\(group.queueCount) queues never left the poll group") }
        if subsystem.controllerCount != 0 {
            fatalError("\(subsystem.controllerCount) controllers outlive their admin queues")
        }
    }
}
