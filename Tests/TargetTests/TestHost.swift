import Backends
import NVMe
import Target
import Testing

/// Plays the host over an `InProcessQueue`: builds capsules, places data,
/// runs the poll group until the completion arrives.
final class TestHost {
    static let hostNQN = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
    static let hostID: [UInt8] = Array(1...16)

    let group: PollGroup
    let queue: InProcessQueue
    var nextCommandID: UInt16 = 1

    init(
        _ group: PollGroup, options: TransportOptions = TransportOptions(), slots: Int = 8,
        bufferSize: Int = 256 * 1024, negotiated: NegotiatedQueue? = nil, listener: ListenerAddress? = nil
    ) throws {
        self.group = group
        queue = try InProcessQueue(
            pollGroup: group, options: options, slotCount: slots, bufferSize: bufferSize, negotiated: negotiated,
            listener: listener)
    }

    /// The host goes away with the test: the target's queue and the
    /// in-process connection hold each other until the transport reports
    /// the disconnect, so without it every test's target would leak.
    deinit { queue.hostDisconnect() }

    struct Reply {
        var entry: CompletionQueueEntry
        var data: [UInt8]
        var status: NVMeStatus { entry.nvmeStatus }
        var ok: Bool { status.isSuccess }
    }

    /// Sends `command` (with `data` at offset 0 of the slot buffer, in-capsule
    /// when `inCapsule`) and waits for its completion.
    @discardableResult
    func run(
        _ command: SubmissionQueueEntry, data: [UInt8] = [], inCapsule: Bool = false, slot: UInt32 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Reply {
        guard let id = send(command, data: data, inCapsule: inCapsule, slot: slot) else {
            Issue.record("slot \(slot) busy", sourceLocation: sourceLocation)
            return Reply(entry: CompletionQueueEntry(status: 0xFFFE), data: [])
        }
        if let r = wait(for: id) { return r }
        Issue.record("no completion for CID \(id)", sourceLocation: sourceLocation)
        return Reply(entry: CompletionQueueEntry(status: 0xFFFE), data: [])
    }

    /// Submits without waiting; returns the CID.
    func send(_ command: SubmissionQueueEntry, data: [UInt8] = [], inCapsule: Bool = false, slot: UInt32 = 0)
        -> UInt16?
    {
        var c = command
        c.commandID = nextCommandID
        nextCommandID &+= 1
        queue.buffers[Int(slot)].zero()
        queue.buffers[Int(slot)].copyIn(data)
        guard queue.submit(c, slot: slot, inCapsuleDataLength: inCapsule ? data.count : 0) else { return nil }
        return c.commandID
    }

    /// Polls until the completion of `commandID` arrives (bounded).
    func wait(for commandID: UInt16) -> Reply? {
        for _ in 0..<64 {
            while let comp = queue.nextCompletion() {
                let data = queue.buffers[Int(comp.slot)].copyOut(length: comp.bytesToHost)
                let reply = Reply(entry: comp.entry, data: data)
                if comp.entry.commandID == commandID { return reply }
                unexpected.append(reply)
            }
            group.poll()
        }
        return nil
    }

    /// Completions that arrived for other commands (AERs).
    var unexpected: [Reply] = []

    /// Takes any completion already waiting (AERs delivered by `tick`).
    func drain() -> [Reply] {
        var out = unexpected
        unexpected.removeAll()
        while let comp = queue.nextCompletion() {
            out.append(Reply(entry: comp.entry, data: queue.buffers[Int(comp.slot)].copyOut(length: comp.bytesToHost)))
        }
        return out
    }

    // MARK: Command helpers

    @discardableResult
    func connect(
        subsystem: String, queueID: UInt16 = 0, sqsize: UInt16 = 31, kato: UInt32 = 5000,
        controllerID: UInt16 = 0xFFFF, host: String = TestHost.hostNQN, hostID: [UInt8] = TestHost.hostID,
        inCapsule: Bool = false
    ) -> Reply {
        let data = ConnectData(hostID: hostID, controllerID: controllerID, subsystemNQN: subsystem, hostNQN: host)
        let sgl: SGLDescriptor =
            inCapsule
            ? .inCapsule(offset: 0, length: 1024) : .keyed(address: 0x2000, length: 1024, key: 9, invalidate: false)
        let cmd = ConnectCommand(
            queueID: queueID, submissionQueueSize: sqsize, keepAliveTimeout: kato, dataPointer: sgl
        ).entry
        return run(cmd, data: data.encoded, inCapsule: inCapsule)
    }

    func propertyGet(_ offset: UInt32, eightBytes: Bool = false) -> Reply {
        run(PropertyCommand.get(offset: offset, eightBytes: eightBytes).entry)
    }

    @discardableResult
    func propertySet(_ offset: UInt32, _ value: UInt64) -> Reply {
        run(PropertyCommand.set(offset: offset, value: value, eightBytes: false).entry)
    }

    /// CC.EN = 0 then 1 (the Linux order, §1.7 steps 4 and 7).
    func enable() {
        propertySet(PropertyOffset.configuration, 0x0046_0000)
        propertySet(PropertyOffset.configuration, 0x0046_0001)
    }

    func identify(cns: UInt8, nsid: UInt32 = 0) -> Reply {
        run(IdentifyCommand(cns: cns, namespaceID: nsid).entry)
    }

    func getLog(_ lid: UInt8, offset: UInt64 = 0, length: Int, nsid: UInt32 = 0xFFFF_FFFF) -> Reply {
        run(GetLogPageCommand(logPageID: lid, namespaceID: nsid, offset: offset, length: length).entry)
    }

    func setFeature(_ fid: UInt8, _ value: UInt32) -> Reply {
        run(FeaturesCommand.set(featureID: fid, value: value).entry)
    }

    func read(nsid: UInt32 = 1, lba: UInt64, blocks: Int, blockSize: Int = 512) -> Reply {
        let length = blocks * blockSize
        let sgl = SGLDescriptor.keyed(address: 0x1000, length: UInt32(length), key: 7, invalidate: true)
        return run(
            ReadWriteCommand(
                opcode: IOOpcode.read, namespaceID: nsid, startingLBA: lba, blockCount: blocks,
                dataPointer: sgl
            ).entry)
    }

    func write(nsid: UInt32 = 1, lba: UInt64, data: [UInt8], blockSize: Int = 512, inCapsule: Bool = false) -> Reply {
        let sgl =
            inCapsule
            ? SGLDescriptor.inCapsule(offset: 0, length: UInt32(data.count))
            : SGLDescriptor.keyed(address: 0x1000, length: UInt32(data.count), key: 7, invalidate: true)
        let cmd = ReadWriteCommand(
            opcode: IOOpcode.write, namespaceID: nsid, startingLBA: lba,
            blockCount: data.count / blockSize, dataPointer: sgl
        ).entry
        return run(cmd, data: data, inCapsule: inCapsule)
    }
}

func le16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
func le32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(le16(b, o)) | UInt32(le16(b, o + 2)) << 16 }
func le64(_ b: [UInt8], _ o: Int) -> UInt64 { UInt64(le32(b, o)) | UInt64(le32(b, o + 4)) << 32 }
func ascii(_ b: [UInt8], _ o: Int, _ n: Int) -> String { String(decoding: b[o..<o + n], as: UTF8.self) }
func nulString(_ b: [UInt8], _ o: Int, _ n: Int) -> String {
    String(decoding: b[o..<o + n].prefix { $0 != 0 }, as: UTF8.self)
}

/// A target with one started subsystem holding `devices` as NSIDs 1, 2, …
func makeTarget(
    nqn: String = "nqn.2026-01.io.swift:test", devices: [TestMemoryDevice] = [TestMemoryDevice()],
    allowAnyHost: Bool = false
) throws -> (NVMfTarget, Subsystem, PollGroup) {
    let target = NVMfTarget()
    let s = try target.addSubsystem(nqn: nqn, serialNumber: "SWIFT0001", allowAnyHost: allowAnyHost)
    if !allowAnyHost { try s.addHost(TestHost.hostNQN) }
    for d in devices { try s.addNamespace(device: d) }
    try s.addListener(ListenerAddress(address: "10.0.0.1"))
    try s.start()
    return (target, s, target.makePollGroup())
}
