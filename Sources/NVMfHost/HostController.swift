import NVMe

#if canImport(Glibc)
    import Glibc
#endif

/// The host's view of one NVMe-oF controller, driven over its admin queue:
/// Fabrics Connect, the property handshake, Identify, the discovery log,
/// keep-alive and orderly shutdown.
///
/// States follow the spec's bring-up order; each method checks it is called
/// in the right one, so a caller cannot, say, identify a controller it has
/// not enabled:
///
///     connected ──enable()──▶ ready ──shutdown()──▶ shutDown
///
/// Control path, one thread at a time.
public final class HostController {
    public enum State: Equatable, Sendable { case connected, ready, shutDown }

    public let admin: CommandChannel
    public let subsystemNQN: String
    public let hostNQN: String
    public let hostID: [UInt8]
    /// CNTLID the target assigned in the admin Connect.
    public let controllerID: UInt16
    /// KATO asked for in Connect, milliseconds (0: none).
    public let keepAliveTimeoutMilliseconds: UInt32
    public private(set) var state: State = .connected
    /// CAP, read by `enable()`.
    public private(set) var capabilities: UInt64 = 0
    /// VS, read by `enable()`.
    public private(set) var version: UInt32 = 0
    /// Identify Controller, read by `enable()`.
    public private(set) var identify = IdentifyControllerData()

    /// Discovery entries read per Get Log Page (16 KiB).
    public static let discoveryRecordsPerRead = 16
    /// Bytes of data an admin command may move: a discovery chunk or an Identify page.
    public static let adminDataBytes = 16 * 1024
    /// Admin queue entries asked for: the spec's minimum admin depth.
    public static let adminQueueDepth = 32

    /// Sends the admin queue's Fabrics Connect and returns the connected controller.
    public init(
        admin: CommandChannel, subsystemNQN: String, hostNQN: String, hostID: [UInt8],
        keepAliveTimeoutMilliseconds: UInt32, adminQueueDepth: Int = HostController.adminQueueDepth
    ) throws(HostError) {
        self.admin = admin
        self.subsystemNQN = subsystemNQN
        self.hostNQN = hostNQN
        self.hostID = hostID
        self.keepAliveTimeoutMilliseconds = keepAliveTimeoutMilliseconds
        controllerID = try Self.connect(
            over: admin, queueID: 0, depth: adminQueueDepth, controllerID: ConnectData.dynamicControllerID,
            subsystemNQN: subsystemNQN, hostNQN: hostNQN, hostID: hostID,
            keepAliveTimeoutMilliseconds: keepAliveTimeoutMilliseconds)
    }

    /// Fabrics Connect on any queue; returns the CNTLID from the response.
    public static func connect(
        over channel: CommandChannel, queueID: UInt16, depth: Int, controllerID: UInt16, subsystemNQN: String,
        hostNQN: String, hostID: [UInt8], keepAliveTimeoutMilliseconds: UInt32
    ) throws(HostError) -> UInt16 {
        guard depth >= 2, depth <= 65536 else { throw HostError("queue depth \(depth) is outside 2–65536") }
        let command = ConnectCommand(
            queueID: queueID, submissionQueueSize: UInt16(depth - 1),
            keepAliveTimeout: queueID == 0 ? keepAliveTimeoutMilliseconds : 0)
        let data = ConnectData(
            hostID: hostID, controllerID: controllerID, subsystemNQN: subsystemNQN, hostNQN: hostNQN)
        let what = queueID == 0 ? "Connect (admin queue to \(subsystemNQN))" : "Connect (I/O queue \(queueID))"
        let outcome = try channel.run(what, command.entry, dataOut: data.encoded)
        return UInt16(truncatingIfNeeded: outcome.completion.dword0)
    }

    /// Reads CAP and VS, sets CC.EN, waits for CSTS.RDY, then reads Identify Controller.
    public func enable() throws(HostError) {
        try expect(.connected, "enable")
        capabilities = try getProperty(PropertyOffset.capabilities, eightBytes: true, "CAP")
        version = UInt32(truncatingIfNeeded: try getProperty(PropertyOffset.version, eightBytes: false, "VS"))
        // EN, CSS 000b (NVM), MPS 0 (4 KiB), AMS round robin, IOSQES 6 (64 B), IOCQES 4 (16 B).
        let configuration: UInt64 = 1 | 6 << 16 | 4 << 20
        try setProperty(PropertyOffset.configuration, configuration, "CC (enable)")
        try waitForStatus("CSTS.RDY", timeoutMilliseconds: readyTimeoutMilliseconds) { $0 & 1 == 1 }
        let data = try admin.run(
            "Identify Controller", IdentifyCommand(cns: IdentifyCNS.controller).entry,
            dataInLength: IdentifyCommand.dataSize
        ).data
        identify = data.withUnsafeBytes { IdentifyControllerData(decoding: $0) }
        state = .ready
    }

    /// CAP.TO in milliseconds (units of 500 ms), at least one second.
    public var readyTimeoutMilliseconds: Int { max(Int((capabilities >> 24) & 0xFF) * 500, 1000) }
    /// CAP.MQES + 1: the deepest I/O queue this controller takes.
    public var maxQueueEntries: Int { Int(capabilities & 0xFFFF) + 1 }
    /// MDTS in bytes (CAP.MPSMIN pages), or nil when unlimited.
    public var maxDataTransferBytes: Int? {
        let mdts = Int(identify.maximumDataTransferSize)
        guard mdts > 0, mdts < 32 else { return nil }
        let pageShift = 12 + Int((capabilities >> 48) & 0xF)
        return 1 << (pageShift + mdts)
    }
    /// In-capsule data an I/O command may carry (IOCCSZ × 16 − 64), in bytes.
    public var inCapsuleDataBytes: Int { max(Int(identify.ioQueueCommandCapsuleSize) * 16 - 64, 0) }

    /// Active namespace IDs (Identify CNS 02h), in order.
    public func activeNamespaceIDs() throws(HostError) -> [UInt32] {
        try expect(.ready, "list namespaces")
        var ids: [UInt32] = []
        var after: UInt32 = 0
        while true {
            let data = try admin.run(
                "Identify Active Namespace List",
                IdentifyCommand(cns: IdentifyCNS.activeNamespaceList, namespaceID: after).entry,
                dataInLength: IdentifyCommand.dataSize
            ).data
            var page: [UInt32] = []
            for index in 0..<1024 {
                let id = UInt32(data.le(index * 4, 4))
                if id == 0 { break }
                page.append(id)
            }
            ids += page
            // A full page means there may be more after the last one.
            guard page.count == 1024, let last = page.last, last < 0xFFFF_FFFE else { return ids }
            after = last
        }
    }

    /// Size and block size of namespace `id` (Identify CNS 00h).
    public func namespaceGeometry(_ id: UInt32) throws(HostError) -> NamespaceGeometry {
        try expect(.ready, "identify a namespace")
        let data = try admin.run(
            "Identify Namespace \(id)", IdentifyCommand(cns: IdentifyCNS.namespace, namespaceID: id).entry,
            dataInLength: IdentifyCommand.dataSize
        ).data
        return try NamespaceGeometry(identifyNamespace: data, id: id)
    }

    /// The whole discovery log (log page 70h), read until GENCTR holds still.
    public func discoveryLog() throws(HostError) -> [DiscoveryLogEntry] {
        try expect(.ready, "read the discovery log")
        for _ in 0..<8 {
            let header = try logPage(0x70, offset: 0, length: 1024)
            let generation = header.le(0, 8)
            let records = header.le(8, 8)
            guard records <= 4096 else { throw HostError("discovery log claims \(records) records") }
            let count = Int(records)
            var entries: [DiscoveryLogEntry] = []
            // Entries in chunks that fit the admin queue's data buffer and any MDTS.
            var next = 0
            while next < count {
                let chunk = min(count - next, Self.discoveryRecordsPerRead)
                let body = try logPage(
                    0x70, offset: UInt64((next + 1) * DiscoveryLogPage.recordSize),
                    length: chunk * DiscoveryLogPage.recordSize)
                entries += body.withUnsafeBytes { bytes in
                    (0..<chunk).map { DiscoveryLogEntry(decoding: bytes, at: $0 * DiscoveryLogPage.recordSize) }
                }
                next += chunk
            }
            let after = try logPage(0x70, offset: 0, length: 16)
            if after.le(0, 8) == generation { return entries }
        }
        throw HostError("the discovery log kept changing while it was read")
    }

    /// Sends Keep Alive.
    public func keepAlive(timeoutMilliseconds: Int = 10_000) throws(HostError) {
        try expect(.ready, "send keep-alive")
        try admin.run(
            "Keep Alive", SubmissionQueueEntry(opcode: AdminOpcode.keepAlive),
            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Orderly shutdown: CC.SHN = normal, then wait for CSTS.SHST = complete.
    public func shutdown(timeoutMilliseconds: Int = 10_000) throws(HostError) {
        try expect(.ready, "shut down")
        state = .shutDown
        let configuration: UInt64 = 1 | 6 << 16 | 4 << 20 | 1 << 14
        try setProperty(PropertyOffset.configuration, configuration, "CC (shutdown)")
        try waitForStatus("CSTS.SHST", timeoutMilliseconds: timeoutMilliseconds) {
            $0 & ControllerRegisters.shutdownStatusMask == ControllerRegisters.shutdownComplete
        }
    }

    // MARK: Helpers

    private func logPage(_ id: UInt8, offset: UInt64, length: Int) throws(HostError) -> [UInt8] {
        try admin.run(
            "Get Log Page \(String(id, radix: 16))h",
            GetLogPageCommand(logPageID: id, offset: offset, length: length).entry, dataInLength: length
        ).data
    }

    private func getProperty(_ offset: UInt32, eightBytes: Bool, _ name: String) throws(HostError) -> UInt64 {
        let outcome = try admin.run(
            "Property Get \(name)", PropertyCommand.get(offset: offset, eightBytes: eightBytes).entry)
        return UInt64(outcome.completion.dword0) | UInt64(outcome.completion.dword1) << 32
    }

    private func setProperty(_ offset: UInt32, _ value: UInt64, _ name: String) throws(HostError) {
        try admin.run(
            "Property Set \(name)", PropertyCommand.set(offset: offset, value: value, eightBytes: false).entry)
    }

    /// Polls CSTS until `done` (every millisecond, bounded); a fatal status ends it.
    private func waitForStatus(
        _ name: String, timeoutMilliseconds: Int, _ done: (UInt32) -> Bool
    ) throws(HostError) {
        let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
        while true {
            let status = UInt32(
                truncatingIfNeeded: try getProperty(PropertyOffset.status, eightBytes: false, "CSTS"))
            if status & ControllerRegisters.fatalStatus != 0 {
                throw HostError("controller reports a fatal status (CSTS.CFS) while waiting for \(name)")
            }
            if done(status) { return }
            if MonotonicClock.milliseconds() > deadline {
                throw HostError("\(name) not reached within \(timeoutMilliseconds) ms (CSTS \(status))")
            }
            usleep(1000)
        }
    }

    private func expect(_ wanted: State, _ action: String) throws(HostError) {
        guard state == wanted else { throw HostError("cannot \(action): controller is \(state), not \(wanted)") }
    }
}
