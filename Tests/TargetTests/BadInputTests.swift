import Backends
import NVMe
import Target
import Testing

/// One test per bad-input class: the exact status of the reference, with
/// DNR where it says so, and nothing traps.
@Suite struct BadInputTests {
    /// A connected, enabled admin queue and I/O queue 1.
    func connected(options: TransportOptions = TransportOptions()) throws -> (Subsystem, PollGroup, TestHost, TestHost)
    {
        let (_, s, group) = try makeTarget()
        let admin = try TestHost(group, options: options)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: s.nqn).entry.dword0)
        admin.enable()
        let io = try TestHost(group, options: options)
        #expect(io.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        return (s, group, admin, io)
    }

    /// The newest Error Information log entry.
    func lastError(_ admin: TestHost) -> (status: UInt16, location: UInt16, sqid: UInt16) {
        let log = admin.getLog(LogPageID.errorInformation, length: 64)
        return (le16(log.data, 12), le16(log.data, 14), le16(log.data, 8))
    }

    @Test func invalidField() throws {
        let (_, _, admin, io) = try connected()
        let eightByteCC = admin.propertyGet(PropertyOffset.configuration, eightBytes: true)
        #expect(eightByteCC.status == .invalidField && eightByteCC.status.doNotRetry)
        #expect(admin.propertySet(PropertyOffset.version, 1).status == .invalidField)
        #expect(admin.propertyGet(0x30).status == .invalidField)
        var fused = SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 1)
        fused.flags |= 0x01
        #expect(io.run(fused).status == .invalidField)
        var prp = SubmissionQueueEntry(opcode: IOOpcode.flush, namespaceID: 1)
        prp.flags = 0
        #expect(io.run(prp).status == .invalidField)
        #expect(admin.identify(cns: 0x42).status == .invalidField)
        #expect(admin.setFeature(0x55, 1).status == .invalidField)
        #expect(admin.setFeature(FeatureID.numberOfQueues, 0xFFFF).status == .invalidField)
        let e = lastError(admin)
        #expect(e.status == NVMeStatus.invalidField.rawValue && e.location == 44 && e.sqid == 0)
        #expect(
            admin.run(FeaturesCommand.get(featureID: FeatureID.hostIdentifier, dataLength: 16).entry).status
                == .invalidField)  // EXHID not set
        let hostID = admin.run(FeaturesCommand.get(featureID: FeatureID.hostIdentifier, cdw11: 1, dataLength: 16).entry)
        #expect(hostID.ok && hostID.data == TestHost.hostID)
        #expect(
            admin.run(FeaturesCommand.set(featureID: FeatureID.hostIdentifier, value: 1).entry).status
                == .commandSequenceError)
        #expect(
            admin.run(FeaturesCommand.set(featureID: FeatureID.keepAliveTimer, value: 1, save: true).entry).status
                == .featureNotSaveable)
        #expect(admin.getLog(0x33, length: 512).status == .invalidLogPage)
        #expect(admin.getLog(LogPageID.smartHealth, offset: 1024, length: 512).status == .invalidField)
    }

    @Test func invalidOpcode() throws {
        let (_, _, admin, io) = try connected()
        let r = admin.run(SubmissionQueueEntry(opcode: 0x7C))
        #expect(r.status == .invalidOpcode && r.status.doNotRetry)
        #expect(io.run(SubmissionQueueEntry(opcode: 0x7C, namespaceID: 1)).status == .invalidOpcode)
        #expect(io.run(SubmissionQueueEntry(opcode: IOOpcode.compare, namespaceID: 1)).status == .invalidOpcode)
        #expect(io.run(SubmissionQueueEntry(opcode: 0x03, namespaceID: 1)).status == .invalidOpcode)  // bidirectional
        #expect(io.propertyGet(PropertyOffset.status).status == .invalidOpcode)  // properties: admin queue only
    }

    @Test func invalidNamespace() throws {
        let (_, _, admin, io) = try connected()
        for nsid: UInt32 in [0, 2, 33, 0xFFFF_FFFF] {
            let r = io.read(nsid: nsid, lba: 0, blocks: 1)
            #expect(r.status == .invalidNamespace && r.status.doNotRetry)
        }
        #expect(admin.identify(cns: IdentifyCNS.namespace, nsid: 0xFFFF_FFFF).status == .invalidNamespace)
        #expect(admin.identify(cns: IdentifyCNS.namespace, nsid: 0).status == .invalidNamespace)
        #expect(admin.identify(cns: IdentifyCNS.activeNamespaceList, nsid: 0xFFFF_FFFE).status == .invalidNamespace)
        let e = lastError(admin)
        #expect(e.status == NVMeStatus.invalidNamespace.rawValue && e.location == 4)
    }

    @Test func lbaOutOfRange() throws {
        let (_, _, admin, io) = try connected()
        let r = io.read(lba: 4095, blocks: 2)
        #expect(r.status == .lbaOutOfRange && r.status.doNotRetry)
        #expect(io.read(lba: UInt64.max, blocks: 2).status == .lbaOutOfRange)  // SLBA + NLB overflows
        #expect(io.write(lba: 4096, data: [UInt8](repeating: 1, count: 512)).status == .lbaOutOfRange)
        let wz = ReadWriteCommand(opcode: IOOpcode.writeZeroes, namespaceID: 1, startingLBA: 4000, blockCount: 200)
        #expect(io.run(wz.entry).status == .lbaOutOfRange)
        var dsm = SubmissionQueueEntry(opcode: IOOpcode.datasetManagement, namespaceID: 1)
        dsm.cdw11 = 4
        dsm.dataPointer = .inCapsule(offset: 0, length: 16)
        let range = WireCopy.page(size: 16) {
            DatasetManagementRange(blockCount: 0xFFFF_FFFF, startingLBA: 1).encode(into: $0, index: 0)
        }
        #expect(io.run(dsm, data: range, inCapsule: true).status == .lbaOutOfRange)
        let e = lastError(admin)
        #expect(e.status == NVMeStatus.lbaOutOfRange.rawValue && e.sqid == 1)
        #expect(io.read(lba: 4095, blocks: 1).ok)
    }

    @Test func sglErrors() throws {
        // The admin host stays: its going would tear the controller down.
        let (_, _, admin, io) = try connected(options: TransportOptions(inCapsuleDataSize: 4096, maxIOSize: 64 * 1024))
        defer { withExtendedLifetime(admin) {} }
        // In-capsule length beyond what arrived: Data SGL Length Invalid.
        var w = ReadWriteCommand(
            opcode: IOOpcode.write, namespaceID: 1, startingLBA: 0, blockCount: 8,
            dataPointer: .inCapsule(offset: 0, length: 4096)
        ).entry
        #expect(io.run(w, data: [UInt8](repeating: 1, count: 1024), inCapsule: true).status == .dataSGLLengthInvalid)
        // Offset beyond the in-capsule data: SGL Offset Invalid.
        w.dataPointer = .inCapsule(offset: 8192, length: 512)
        #expect(io.run(w, data: [UInt8](repeating: 1, count: 4096), inCapsule: true).status == .sglOffsetInvalid)
        // Reserved descriptor type: SGL Descriptor Type Invalid, and the multi-descriptor form we do not advertise.
        w.dataPointer = SGLDescriptor(address: 0, upper: 0x20 << 56)
        #expect(io.run(w).status == .sglDescriptorTypeInvalid)
        w.dataPointer = .lastSegment(offset: 0, length: 32)
        #expect(io.run(w).status == .sglDescriptorTypeInvalid)
        // In-capsule data on a read: Invalid Field.
        let r = ReadWriteCommand(
            opcode: IOOpcode.read, namespaceID: 1, startingLBA: 0, blockCount: 1,
            dataPointer: .inCapsule(offset: 0, length: 512)
        ).entry
        #expect(io.run(r, data: [UInt8](repeating: 0, count: 512), inCapsule: true).status == .invalidField)
        // Keyed transfer above MDTS.
        #expect(io.read(lba: 0, blocks: 256).status == .dataSGLLengthInvalid)
        // SGL length not matching NLB.
        let short = ReadWriteCommand(
            opcode: IOOpcode.read, namespaceID: 1, startingLBA: 0, blockCount: 8,
            dataPointer: .keyed(address: 0, length: 512, key: 1, invalidate: true)
        ).entry
        #expect(io.run(short).status == .dataSGLLengthInvalid)
        let status = io.run(short).status
        #expect(status.doNotRetry)
    }

    @Test func connectInvalidParameters() throws {
        let (s, group, admin, io) = try connected()
        defer { withExtendedLifetime((admin, io)) {} }
        func fresh() throws -> TestHost { try TestHost(group) }
        let unknown = try fresh().connect(subsystem: "nqn.2026-01.io.swift:nope")
        #expect(unknown.status == .connectInvalidParameters && unknown.status.doNotRetry)
        #expect(unknown.entry.dword0 == 0x1_0100)  // IATTR data, IPO 256 (SUBNQN)
        let cntlid = try fresh().connect(subsystem: s.nqn, controllerID: 7)
        #expect(cntlid.status == .connectInvalidParameters && cntlid.entry.dword0 == 0x1_0010)
        let sqsize = try fresh().connect(subsystem: s.nqn, sqsize: 32)
        #expect(sqsize.status == .connectInvalidParameters && sqsize.entry.dword0 == 44)
        let zero = try fresh().connect(subsystem: s.nqn, sqsize: 0)
        #expect(zero.entry.dword0 == 44)
        let qid = try fresh().connect(subsystem: s.nqn, queueID: 200, kato: 0, controllerID: 1)
        #expect(qid.status == .connectInvalidParameters && qid.entry.dword0 == 42)
        let ioDepth = try fresh().connect(subsystem: s.nqn, queueID: 2, sqsize: 128, kato: 0, controllerID: 1)
        #expect(ioDepth.entry.dword0 == 44)
        let noController = try fresh().connect(subsystem: s.nqn, queueID: 2, kato: 0, controllerID: 99)
        #expect(noController.status == .connectInvalidParameters && noController.entry.dword0 == 0x1_0010)
        // HOSTNQN need only be terminated (nvmet, SPDK): a malformed one is
        // simply not on this subsystem's allow-list.
        let badHostNQN = try fresh().connect(subsystem: s.nqn, host: "not-an-nqn")
        #expect(badHostNQN.status == .connectInvalidHost)
        // RECFMT ≠ 0.
        let h = try fresh()
        let data = ConnectData(
            hostID: TestHost.hostID, controllerID: 0xFFFF, subsystemNQN: s.nqn,
            hostNQN: TestHost.hostNQN)
        let recfmt = ConnectCommand(queueID: 0, submissionQueueSize: 31, keepAliveTimeout: 0, recordFormat: 1).entry
        #expect(h.run(recfmt, data: data.encoded).status == .connectIncompatibleFormat)
        // Unterminated SUBNQN, short data.
        var raw = data.encoded
        for i in 256..<512 { raw[i] = 0x61 }
        let cmd = ConnectCommand(queueID: 0, submissionQueueSize: 31, keepAliveTimeout: 0).entry
        #expect(h.run(cmd, data: raw).entry.dword0 == 0x1_0100)
        var shortCmd = cmd
        shortCmd.dataPointer = .keyed(address: 0, length: 512, key: 1, invalidate: false)
        #expect(h.run(shortCmd, data: Array(raw[0..<512])).status == .dataSGLLengthInvalid)
    }

    @Test func invalidHost() throws {
        let (s, group, admin, io) = try connected()
        defer { withExtendedLifetime((admin, io)) {} }
        let stranger = "nqn.2014-08.org.nvmexpress:uuid:99999999-2222-3333-4444-555555555555"
        let r = try TestHost(group).connect(subsystem: s.nqn, host: stranger)
        #expect(r.status == .connectInvalidHost && r.status.doNotRetry)
        s.allowAnyHost = true
        #expect(try TestHost(group).connect(subsystem: s.nqn, host: stranger).ok)
    }

    @Test func controllerBusy() throws {
        let (s, group, admin, io) = try connected()
        let again = admin.connect(subsystem: s.nqn)
        #expect(again.status == .connectControllerBusy)
        let cntlid = io.queue.targetQueue.controllerID ?? 0
        let dup = try TestHost(group).connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid)
        #expect(dup.status == .connectControllerBusy)
        // A subsystem whose controller IDs are used up.
        let target = NVMfTarget()
        let small = try target.addSubsystem(
            nqn: "nqn.2026-01.io.swift:small", allowAnyHost: true,
            controllerIDRange: 5...6)
        try small.start()
        let g = target.makePollGroup()
        // The hosts stay connected (a host that goes frees its controller ID).
        let hosts = try (0..<3).map { _ in try TestHost(g) }
        #expect(hosts[0].connect(subsystem: small.nqn).entry.dword0 == 5)
        #expect(hosts[1].connect(subsystem: small.nqn).entry.dword0 == 6)
        #expect(hosts[2].connect(subsystem: small.nqn).status == .connectControllerBusy)
    }

    @Test func commandSequenceError() throws {
        let (_, s, group) = try makeTarget()
        let host = try TestHost(group)
        let before = host.identify(cns: IdentifyCNS.controller)  // not connected yet
        #expect(before.status == .commandSequenceError && before.status.doNotRetry)
        #expect(host.propertyGet(PropertyOffset.status).status == .commandSequenceError)
        let cntlid = UInt16(truncatingIfNeeded: host.connect(subsystem: s.nqn).entry.dword0)
        #expect(host.identify(cns: IdentifyCNS.controller).status == .commandSequenceError)  // CC.EN = 0
        #expect(
            try TestHost(group).connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).status
                == .commandSequenceError)
        host.enable()
        #expect(host.identify(cns: IdentifyCNS.controller).ok)
        // An invalid CC (IOSQES 5) sets CSTS.CFS, not RDY.
        let other = try TestHost(group)
        #expect(other.connect(subsystem: s.nqn).ok)
        other.propertySet(PropertyOffset.configuration, 0x0045_0001)
        #expect(other.propertyGet(PropertyOffset.status).entry.dword0 & 0x3 == 0x2)
        #expect(other.identify(cns: IdentifyCNS.controller).status == .commandSequenceError)
    }

    @Test func asyncEventLimitExceeded() throws {
        let (_, _, admin, io) = try connected()
        defer { withExtendedLifetime(io) {} }
        for slot: UInt32 in 2...5 {
            #expect(admin.send(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: slot) != nil)
        }
        let fifth = admin.run(SubmissionQueueEntry(opcode: AdminOpcode.asyncEventRequest), slot: 6)
        #expect(fifth.status == .asyncEventLimitExceeded && fifth.status.doNotRetry)
    }

    @Test func keepAliveTimeoutInvalid() throws {
        let (_, s, group) = try makeTarget()
        let host = try TestHost(group)
        #expect(host.connect(subsystem: s.nqn, kato: 0).ok)
        host.enable()
        let r = host.run(SubmissionQueueEntry(opcode: AdminOpcode.keepAlive))
        #expect(r.status == .keepAliveTimeoutInvalid && r.status.doNotRetry)
    }

    @Test func readOnlyAndShortData() throws {
        let (_, s, group) = try makeTarget(devices: [TestMemoryDevice(readOnly: true)])
        let admin = try TestHost(group)
        let cntlid = UInt16(truncatingIfNeeded: admin.connect(subsystem: s.nqn).entry.dword0)
        admin.enable()
        let io = try TestHost(group)
        #expect(io.connect(subsystem: s.nqn, queueID: 1, kato: 0, controllerID: cntlid).ok)
        #expect(io.write(lba: 0, data: [UInt8](repeating: 1, count: 512)).status == .writeToReadOnly)
        var dsm = SubmissionQueueEntry(opcode: IOOpcode.datasetManagement, namespaceID: 1)
        dsm.cdw10 = 3  // four ranges, 64 bytes, but only 16 sent
        dsm.cdw11 = 4
        dsm.dataPointer = .inCapsule(offset: 0, length: 16)
        #expect(io.run(dsm, data: [UInt8](repeating: 0, count: 16), inCapsule: true).status == .dataSGLLengthInvalid)
        let idns = admin.identify(cns: IdentifyCNS.namespace, nsid: 1)
        #expect(idns.data[99] & 1 == 1)  // NSATTR write protected
    }

    /// Random capsules on every queue kind: every one completes, none traps.
    @Test func randomCommandsNeverTrap() throws {
        let (_, group, admin, io) = try connected()
        let unconnected = try TestHost(group)
        var rng = SplitMix(seed: 0x5EED)
        for n in 0..<3000 {
            var bytes = (0..<64).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // Bias toward opcodes and flags the target knows, so parsing goes deep.
            let opcodes: [UInt8] = [0x00, 0x01, 0x02, 0x06, 0x02, 0x09, 0x0A, 0x0C, 0x18, 0x7F, 0x08, 0x05]
            bytes[0] = opcodes[Int(rng.next() % UInt64(opcodes.count))]
            if rng.next() % 4 != 0 { bytes[1] = 0x40 }
            if rng.next() % 2 == 0 { bytes[39] = [0x40, 0x4F, 0x01][Int(rng.next() % 3)] }
            if rng.next() % 2 == 0 { bytes[4] = UInt8(rng.next() % 3) }
            let cmd = bytes.withUnsafeBytes { SubmissionQueueEntry($0)! }
            let host = [admin, io, unconnected][n % 3]
            if cmd.opcode == AdminOpcode.asyncEventRequest && host === admin { continue }
            let data = (0..<Int(rng.next() % 5000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let reply = host.run(cmd, data: data, inCapsule: rng.next() % 2 == 0, slot: 1)
            #expect(reply.entry.commandID == host.nextCommandID &- 1)
        }
    }
}

/// A small deterministic generator for the random-input test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Issue 12, defect 8: settings the target cannot honour are refused, and
/// what Identify claims is true of the device.
@Suite struct HonestSettingsTests {
    /// Arbitration, Power Management, Temperature Threshold and Error
    /// Recovery are mandatory and SPDK's identify reads them: they answer
    /// with what the controller does, and only a no-op change is accepted.
    @Test func mandatoryFeaturesReportWhatTheControllerDoes() throws {
        let (_, s, group) = try makeTarget()
        let admin = try TestHost(group)
        #expect(admin.connect(subsystem: s.nqn).ok)
        admin.enable()
        func get(_ fid: UInt8, _ cdw11: UInt32 = 0) -> TestHost.Reply {
            admin.run(FeaturesCommand.get(featureID: fid, cdw11: cdw11, dataLength: 0).entry)
        }
        #expect(get(FeatureID.arbitration).entry.dword0 == 0x7)
        #expect(get(FeatureID.powerManagement).ok && get(FeatureID.powerManagement).entry.dword0 == 0)
        #expect(get(FeatureID.temperatureThreshold).entry.dword0 == 343)
        #expect(get(FeatureID.temperatureThreshold, 1 << 20).entry.dword0 == 0, "no under-temperature threshold")
        #expect(get(FeatureID.errorRecovery).ok && get(FeatureID.errorRecovery).entry.dword0 == 0)
        #expect(admin.setFeature(FeatureID.powerManagement, 0).ok, "PS 0 is the state it is in")
        #expect(admin.setFeature(FeatureID.powerManagement, 1).status == .invalidField)
        #expect(admin.setFeature(FeatureID.arbitration, 0x3).status == .invalidField)
        #expect(admin.setFeature(FeatureID.temperatureThreshold, 300).status == .invalidField)
        #expect(admin.setFeature(FeatureID.errorRecovery, 1).status == .invalidField)
    }

    /// No namespace has a volatile write cache: VWC is not present, and the
    /// feature is refused rather than accepted and ignored.
    @Test func volatileWriteCacheFeatureIsRefusedWithoutACache() throws {
        let device = try MemoryBlockDevice(name: "m0", blockCount: 64)
        let target = NVMfTarget()
        let s = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:novwc", serialNumber: "S1", allowAnyHost: true)
        try s.addNamespace(device: device)
        try s.start()
        let admin = try TestHost(target.makePollGroup())
        #expect(admin.connect(subsystem: s.nqn).ok)
        admin.enable()
        #expect(admin.identify(cns: IdentifyCNS.controller).data[525] == 0)
        #expect(admin.setFeature(FeatureID.volatileWriteCache, 0).status == NVMeStatus.invalidField)
        #expect(admin.setFeature(FeatureID.volatileWriteCache, 1).status == NVMeStatus.invalidField)
        #expect(
            admin.run(FeaturesCommand.get(featureID: FeatureID.volatileWriteCache).entry).status
                == NVMeStatus.invalidField)
    }

    /// With a cache, "enabled" is the only value: switching it off is refused.
    @Test func volatileWriteCacheCannotBeSwitchedOff() throws {
        let (_, s, group) = try makeTarget(devices: [TestMemoryDevice(volatileWriteCache: true)])
        let admin = try TestHost(group)
        #expect(admin.connect(subsystem: s.nqn).ok)
        admin.enable()
        #expect(admin.identify(cns: IdentifyCNS.controller).data[525] == 1)
        let off = admin.setFeature(FeatureID.volatileWriteCache, 0)
        #expect(off.status == NVMeStatus.invalidField && off.status.doNotRetry)
        #expect(admin.setFeature(FeatureID.volatileWriteCache, 1).ok)
        #expect(admin.run(FeaturesCommand.get(featureID: FeatureID.volatileWriteCache).entry).entry.dword0 == 1)
    }

    /// DLFEAT says "deallocated blocks read as zeroes" only where the device guarantees it.
    @Test func deallocateFeaturesFollowTheDevice() throws {
        let (_, s, group) = try makeTarget(devices: [
            TestMemoryDevice(name: "z", deallocatedBlocksReadZero: true),
            TestMemoryDevice(name: "n", deallocatedBlocksReadZero: false),
        ])
        let admin = try TestHost(group)
        #expect(admin.connect(subsystem: s.nqn).ok)
        admin.enable()
        #expect(admin.identify(cns: IdentifyCNS.namespace, nsid: 1).data[33] == 0x09)
        #expect(admin.identify(cns: IdentifyCNS.namespace, nsid: 2).data[33] == 0x08)
    }
}
