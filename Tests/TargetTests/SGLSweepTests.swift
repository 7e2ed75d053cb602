import Backends
import NVMe
import Target
import Testing

/// Every SGL1 a host can put in a capsule, against every class of command, on
/// a queue before Connect, an admin queue and an I/O queue: each command gets
/// exactly one completion and the status the descriptor deserves, and
/// nothing traps (a trap ends this test process, which is the failure).
///
/// Issue 12, defect 1: an in-capsule descriptor with length 0 and an offset
/// of 2^63 or more on a no-data command (Flush, Keep Alive, Property Get)
/// trapped the poll-group thread in `TargetQueue.plan`.
@Suite struct SGLSweepTests {
    /// type << 4 | subtype for every descriptor type (0–5, vendor Fh) and the
    /// subtypes Address (0), Offset (1), and Invalidate Key (Fh).
    static let identifiers: [UInt8] = [0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0xF].flatMap { type in
        [0x0, 0x1, 0xF].map { UInt8(type << 4 | $0) }
    }
    static let lengths: [UInt32] = [0, 1, UInt32.max]
    static let offsets: [UInt64] = [0, 1 << 63, UInt64.max]
    static let inCapsuleLengths = [0, 16]

    /// One command of each class: Fabrics (no data, host→controller), admin
    /// (controller→host, no data, unknown), NVM I/O (each direction).
    static func commands(ioQueue: Bool) -> [SubmissionQueueEntry] {
        func fabrics(_ type: UInt8) -> SubmissionQueueEntry {
            SubmissionQueueEntry(opcode: FabricsCommandType.opcode, namespaceID: UInt32(type))
        }
        var list = [
            fabrics(FabricsCommandType.connect), fabrics(FabricsCommandType.propertyGet),
            fabrics(FabricsCommandType.propertySet), fabrics(0x44),
        ]
        if ioQueue {
            list += [IOOpcode.flush, IOOpcode.read, IOOpcode.write, IOOpcode.writeZeroes, IOOpcode.datasetManagement]
                .map { SubmissionQueueEntry(opcode: $0, namespaceID: 1) }
        } else {
            var identify = SubmissionQueueEntry(opcode: AdminOpcode.identify)
            identify.cdw10 = UInt32(IdentifyCNS.controller)
            var getLog = SubmissionQueueEntry(opcode: AdminOpcode.getLogPage, namespaceID: 0xFFFF_FFFF)
            getLog.cdw10 = UInt32(LogPageID.errorInformation) | 15 << 16
            list += [
                identify, getLog, SubmissionQueueEntry(opcode: AdminOpcode.keepAlive),
                SubmissionQueueEntry(opcode: AdminOpcode.getFeatures),
                SubmissionQueueEntry(opcode: AdminOpcode.setFeatures), SubmissionQueueEntry(opcode: 0x7E),
            ]
        }
        return list
    }

    /// Sends every combination on `host`; returns how many were sent.
    static func sweep(_ host: TestHost, ioQueue: Bool) -> Int {
        var sent = 0
        for base in commands(ioQueue: ioQueue) {
            let direction = base.dataDirection
            for id in identifiers {
                for length in lengths {
                    for offset in offsets {
                        for capsule in inCapsuleLengths {
                            var c = base
                            c.dataPointer = SGLDescriptor(
                                address: offset,
                                upper: (id == 0x40 || id == 0x4F ? UInt64(length & 0xFF_FFFF) : UInt64(length))
                                    | UInt64(id) << 56)
                            let reply = host.run(
                                c, data: [UInt8](repeating: 0xA5, count: capsule), inCapsule: capsule > 0)
                            sent += 1
                            check(reply, c.dataPointer, direction: direction, inCapsule: capsule)
                        }
                    }
                }
            }
        }
        return sent
    }

    /// What the descriptor alone decides, whatever the command would do.
    static func check(_ reply: TestHost.Reply, _ sgl: SGLDescriptor, direction: DataDirection, inCapsule: Int) {
        let context = "id \(sgl.identifier) length \(sgl.unkeyedLength) offset \(sgl.address) icd \(inCapsule)"
        #expect(reply.entry.status != 0xFFFE, "no completion: \(context)")
        switch sgl.kind {
        case .unsupported, .lastSegment:
            #expect(reply.status == NVMeStatus.sglDescriptorTypeInvalid, "\(context)")
        case .inCapsule:
            if sgl.address > UInt64(inCapsule) {
                #expect(!reply.ok, "in-capsule offset past the data accepted: \(context)")
            }
            if direction != .hostToController && sgl.unkeyedLength > 0 {
                #expect(reply.status == NVMeStatus.invalidField, "\(context)")
            }
        case .keyed:
            if direction != .none && sgl.keyedLength > 128 * 1024 {
                #expect(reply.status == NVMeStatus.dataSGLLengthInvalid, "\(context)")
            }
        }
    }

    @Test func beforeConnect() throws {
        let (_, _, group) = try makeTarget()
        let host = try TestHost(group)
        #expect(Self.sweep(host, ioQueue: false) == 10 * 21 * 3 * 3 * 2)
    }

    @Test func adminQueue() throws {
        let (_, s, group) = try makeTarget()
        let admin = try TestHost(group)
        #expect(admin.connect(subsystem: s.nqn).ok)
        admin.enable()
        #expect(Self.sweep(admin, ioQueue: false) == 10 * 21 * 3 * 3 * 2)
        // The controller is still there and answers.
        #expect(admin.identify(cns: IdentifyCNS.controller).ok)
    }

    @Test func ioQueue() throws {
        let (_, s, group) = try makeTarget()
        let admin = try TestHost(group)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: s.nqn).entry.dword0)
        admin.enable()
        let io = try TestHost(group)
        #expect(io.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        #expect(Self.sweep(io, ioQueue: true) == 9 * 21 * 3 * 3 * 2)
        #expect(io.read(nsid: 1, lba: 0, blocks: 1).ok)
    }

    /// The exact capsule of the report: Flush with SGL1 = in-capsule, length
    /// 0, offset 2^63, on a queue that never sent Connect.
    @Test func reportedCapsule() throws {
        let (_, _, group) = try makeTarget()
        let host = try TestHost(group)
        var flush = SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 1)
        flush.dataPointer = SGLDescriptor.inCapsule(offset: 1 << 63, length: 0)
        let reply = host.run(flush)
        #expect(reply.status == NVMeStatus.sglOffsetInvalid && reply.status.doNotRetry)
    }
}
