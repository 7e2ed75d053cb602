import FuzzSupport
import NVMe

/// Seed inputs in the harness's format (`--write-seeds`; committed under Tests/Fuzz/corpus/fuzz-capsule).
extension CapsuleHarness {
    struct Record {
        var command: SubmissionQueueEntry
        /// Selector bits 4–7 (in-capsule, no-wait, tick, other queue).
        var flags: UInt8 = 0
        /// Data from the input; its length must be one of `dataLengths`.
        var data: [UInt8] = []
        /// 14 or 15: the harness's Connect data template instead of `data`.
        var template: UInt8? = nil
    }

    static let inCapsule: UInt8 = 0x10
    static let noWait: UInt8 = 0x20
    static let tick: UInt8 = 0x40
    static let otherQueue: UInt8 = 0x80

    static func input(mode: UInt8, _ records: [Record]) -> [UInt8] {
        var out = [mode]
        for rec in records {
            out += rec.command.encoded
            if let t = rec.template {
                out.append(rec.flags | t)
            } else {
                guard let i = dataLengths.firstIndex(of: rec.data.count) else {
                    fatalError("seed data length \(rec.data.count) is not in dataLengths")
                }
                out.append(rec.flags | UInt8(i))
                out += rec.data
            }
        }
        return out
    }

    static func keyed(_ length: Int) -> SGLDescriptor {
        .keyed(address: 0x1000, length: UInt32(length), key: 7, invalidate: true)
    }

    static func connect(qid: UInt16, inCapsule: Bool = false, kato: UInt32 = 5000) -> SubmissionQueueEntry {
        ConnectCommand(
            queueID: qid, submissionQueueSize: 31, keepAliveTimeout: kato,
            dataPointer: inCapsule ? .inCapsule(offset: 0, length: 1024) : keyed(1024)
        ).entry
    }

    static func propertySet(_ offset: UInt32, _ value: UInt64) -> Record {
        Record(command: PropertyCommand.set(offset: offset, value: value, eightBytes: false).entry)
    }

    static func propertyGet(_ offset: UInt32, eightBytes: Bool = false) -> Record {
        Record(command: PropertyCommand.get(offset: offset, eightBytes: eightBytes).entry)
    }

    static func rw(_ opcode: UInt8, nsid: UInt32 = 1, lba: UInt64, blocks: Int, sgl: SGLDescriptor? = nil)
        -> SubmissionQueueEntry
    {
        ReadWriteCommand(opcode: opcode, namespaceID: nsid, startingLBA: lba, blockCount: blocks, dataPointer: sgl)
            .entry
    }

    static func pattern(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let enable = [
            propertySet(PropertyOffset.configuration, 0x0046_0000),
            propertySet(PropertyOffset.configuration, 0x0046_0001),
        ]
        let identifyController = Record(command: IdentifyCommand(cns: IdentifyCNS.controller).entry)
        var rawConnectData = ConnectData(
            hostID: hostID, controllerID: 0xFFFF, subsystemNQN: subsystemNQN, hostNQN: hostNQN
        ).encoded
        rawConnectData += [UInt8](repeating: 0, count: 1024 - rawConnectData.count)
        var asyncEvent = SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest)
        asyncEvent.flags = SubmissionQueueEntry.sglFlags
        let keepAlive = SubmissionQueueEntry(opcode: AdminOpcode.keepAlive)
        var abort = SubmissionQueueEntry(opcode: AdminOpcode.abort)
        abort.cdw10 = 2 << 16  // SQID 0, CID 2
        var dsm = SubmissionQueueEntry(opcode: IOOpcode.datasetManagement, namespaceID: 1)
        dsm.cdw10 = 1  // two ranges
        dsm.cdw11 = 4  // AD
        dsm.dataPointer = .inCapsule(offset: 0, length: 32)
        var ranges: [UInt8] = []
        for (lba, count) in [(UInt64(0), UInt32(8)), (UInt64(100), UInt32(16))] {
            ranges.appendLE32(0)
            ranges.appendLE32(count)
            ranges.appendLE32(UInt32(truncatingIfNeeded: lba))
            ranges.appendLE32(UInt32(truncatingIfNeeded: lba >> 32))
        }
        var dsmKeyed = dsm
        dsmKeyed.dataPointer = keyed(32)
        var flushNoDataSGL = SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 1)
        flushNoDataSGL.dataPointer = .inCapsule(offset: 0, length: 0)
        var writeZeroes = rw(IOOpcode.writeZeroes, lba: 16, blocks: 8)
        writeZeroes.cdw12 |= 1 << 25  // DEAC

        return [
            (
                "mode0-connect-admin-keyed",
                input(mode: 0, [Record(command: connect(qid: 0), template: 15)] + enable + [identifyController])
            ),
            (
                "mode0-connect-admin-incapsule",
                input(
                    mode: 0,
                    [Record(command: connect(qid: 0, inCapsule: true), flags: inCapsule, template: 15)] + enable)
            ),
            ("mode0-connect-raw-data", input(mode: 0, [Record(command: connect(qid: 0), data: rawConnectData)])),
            (
                "mode0-connect-discovery",
                input(
                    mode: 0,
                    [Record(command: connect(qid: 0, kato: 0), template: 14)] + enable + [
                        Record(command: GetLogPageCommand(logPageID: 0x70, length: 4096).entry),
                        identifyController,
                    ])
            ),
            (
                "mode0-identify-before-connect",
                input(mode: 0, [identifyController, propertyGet(PropertyOffset.status)])
            ),
            (
                "mode1-identify",
                input(
                    mode: 1,
                    [
                        identifyController,
                        Record(command: IdentifyCommand(cns: IdentifyCNS.namespace, namespaceID: 1).entry),
                        Record(command: IdentifyCommand(cns: IdentifyCNS.activeNamespaceList).entry),
                        Record(command: IdentifyCommand(cns: 0x03, namespaceID: 2).entry),
                    ])
            ),
            (
                "mode1-properties",
                input(
                    mode: 1,
                    [
                        propertyGet(PropertyOffset.capabilities, eightBytes: true), propertyGet(PropertyOffset.version),
                        propertyGet(PropertyOffset.configuration), propertyGet(PropertyOffset.status),
                        propertySet(PropertyOffset.configuration, 0x0046_4001),  // normal shutdown
                        propertyGet(PropertyOffset.status),
                    ])
            ),
            (
                "mode1-features",
                input(
                    mode: 1,
                    [
                        Record(
                            command: FeaturesCommand.set(featureID: FeatureID.numberOfQueues, value: 0x0003_0003).entry),
                        Record(command: FeaturesCommand.set(featureID: FeatureID.keepAliveTimer, value: 10000).entry),
                        Record(command: FeaturesCommand.get(featureID: FeatureID.keepAliveTimer).entry),
                        Record(
                            command: FeaturesCommand.get(featureID: FeatureID.hostIdentifier, cdw11: 1, dataLength: 16)
                                .entry),
                    ])
            ),
            (
                "mode1-get-log-pages",
                input(
                    mode: 1,
                    [
                        Record(
                            command: GetLogPageCommand(
                                logPageID: LogPageID.errorInformation, namespaceID: 0xFFFF_FFFF, length: 64
                            ).entry),
                        Record(
                            command: GetLogPageCommand(
                                logPageID: LogPageID.smartHealth, namespaceID: 0xFFFF_FFFF, length: 512
                            ).entry),
                        Record(command: GetLogPageCommand(logPageID: 0x04, length: 4096).entry),
                    ])
            ),
            (
                "mode1-keep-alive-ticks",
                input(
                    mode: 1,
                    [
                        Record(command: keepAlive, flags: tick), Record(command: keepAlive, flags: tick),
                        Record(command: identifyController.command, flags: tick),
                        Record(command: keepAlive, flags: tick),
                    ])
            ),
            (
                "mode1-aer-abort",
                input(
                    mode: 1,
                    [
                        Record(command: asyncEvent, flags: noWait), Record(command: asyncEvent, flags: noWait),
                        Record(command: abort), Record(command: keepAlive, flags: tick),
                    ])
            ),
            (
                "mode1-connect-io-other-queue",
                input(
                    mode: 1,
                    [
                        Record(command: connect(qid: 1, kato: 0), flags: otherQueue, template: 15),
                        Record(command: rw(IOOpcode.read, lba: 0, blocks: 1, sgl: keyed(512)), flags: otherQueue),
                        Record(command: keepAlive),
                    ])
            ),
            (
                "mode2-read-keyed",
                input(
                    mode: 2,
                    [
                        Record(command: rw(IOOpcode.read, lba: 0, blocks: 8, sgl: keyed(4096))),
                        Record(command: rw(IOOpcode.read, nsid: 2, lba: 5, blocks: 2, sgl: keyed(8192))),
                    ])
            ),
            (
                "mode2-write-incapsule",
                input(
                    mode: 2,
                    [
                        Record(
                            command: rw(IOOpcode.write, lba: 8, blocks: 1, sgl: .inCapsule(offset: 0, length: 512)),
                            flags: inCapsule, data: pattern(512)),
                        Record(command: rw(IOOpcode.read, lba: 8, blocks: 1, sgl: keyed(512))),
                    ])
            ),
            (
                "mode2-write-keyed",
                input(
                    mode: 2,
                    [
                        Record(command: rw(IOOpcode.write, lba: 64, blocks: 8, sgl: keyed(4096)), data: pattern(4096)),
                        Record(
                            command: rw(IOOpcode.write, nsid: 3, lba: 0, blocks: 1, sgl: keyed(4096)),
                            data: pattern(4096)),
                    ])
            ),
            (
                "mode2-dsm-write-zeroes",
                input(
                    mode: 2,
                    [
                        Record(command: dsm, flags: inCapsule, data: ranges),
                        Record(command: dsmKeyed, data: ranges),
                        Record(command: writeZeroes),
                    ])
            ),
            (
                "mode2-flush",
                input(
                    mode: 2,
                    [
                        Record(command: SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 1)),
                        Record(command: SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 2)),
                        Record(command: flushNoDataSGL),
                    ])
            ),
            (
                "mode2-pipelined",
                input(
                    mode: 2,
                    [
                        Record(command: rw(IOOpcode.read, lba: 0, blocks: 1, sgl: keyed(512)), flags: noWait),
                        Record(
                            command: rw(IOOpcode.write, lba: 1, blocks: 1, sgl: keyed(512)), flags: noWait,
                            data: pattern(512)),
                        Record(command: rw(IOOpcode.read, nsid: 2, lba: 0, blocks: 1, sgl: keyed(4096)), flags: noWait),
                        Record(command: keepAlive, flags: otherQueue | noWait),
                        Record(command: SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 1)),
                    ])
            ),
            (
                "mode2-admin-teardown",
                input(
                    mode: 2,
                    [
                        Record(command: rw(IOOpcode.read, lba: 0, blocks: 1, sgl: keyed(512)), flags: noWait),
                        Record(
                            command: propertySet(PropertyOffset.configuration, 0x0046_0000).command, flags: otherQueue),
                        Record(command: rw(IOOpcode.read, lba: 0, blocks: 1, sgl: keyed(512))),
                    ])
            ),
        ]
    }
}

@main enum Main {
    static func main() {
        harnessMain(name: "fuzz-capsule", seeds: CapsuleHarness.seeds, run: { CapsuleHarness.shared.run($0) })
    }
}
