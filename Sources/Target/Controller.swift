import Atomics
import NVMe

/// One controller: created by an admin-queue Connect, joined by I/O-queue
/// Connects naming its CNTLID, torn down when its admin queue goes away,
/// on keep-alive expiry, or when its subsystem stops.
///
/// All state is guarded by the target's control lock (methods end in
/// `Locked`); the I/O queues it owns run lock-free on their poll groups.
final class Controller {
    unowned let target: NVMfTarget
    /// The NVM subsystem, or nil for a discovery controller.
    let subsystem: Subsystem?
    /// CNTLID.
    let controllerID: UInt16
    /// HOSTNQN from Connect.
    let hostNQN: String
    /// HOSTID from Connect.
    let hostID: [UInt8]
    /// The transport limits of the admin queue's transport.
    let options: TransportOptions

    /// CC as last written.
    var configuration: UInt32 = 0
    /// CSTS.
    var status: UInt32 = 0
    /// KATO in ms (0: no keep-alive timer).
    var keepAliveTimeoutMS: UInt32
    /// Asynchronous Event Configuration (feature 0Bh).
    var asyncEventConfiguration: UInt32 = 0

    var adminQueue: TargetQueue?
    var ioQueues: [UInt16: TargetQueue] = [:]
    /// Slots of outstanding Asynchronous Event Requests on the admin queue.
    var outstandingAERs: [UInt32] = []
    /// Events waiting for an AER.
    var pendingEvents: [AsyncEvent] = []
    /// Log pages whose event was sent and not yet cleared by reading the log.
    var maskedLogPages: Set<UInt8> = []
    /// Changed Namespace List (log 04h).
    var changedNamespaceIDs: [UInt32] = []
    /// Reservation notices not yet read (log 80h), oldest first.
    var reservationNotices: [ReservationNotice] = []
    /// The log page count of the last notice queued (never 0 for a notice).
    var reservationNoticeCount: UInt64 = 0
    /// Error Information log, newest first.
    var errorLog: [ErrorLogEntry] = []
    var errorCount: UInt64 = 0
    /// Keep-alive deadline in the poll group clock's ms; nil until the first tick.
    var keepAliveDeadline: UInt64?
    var lastActivity: UInt64 = 0
    /// Counters of I/O queues already gone.
    var retiredCounters = IOCounterSnapshot()
    var isTornDown = false

    /// AERL + 1.
    static let asyncEventLimit = 4
    /// ELPE + 1.
    static let errorLogCapacity = 128
    /// CAP.TO in 500 ms units (7.5 s, as nvmet).
    static let readyTimeout: UInt8 = 15
    /// KAS in 100 ms units.
    static let keepAliveGranularity: UInt16 = 10
    /// Discovery controllers connected with KATO 0 still expire (nvmet: 120 s).
    static let discoveryDefaultKATO: UInt32 = 120_000

    init(
        target: NVMfTarget, subsystem: Subsystem?, controllerID: UInt16, hostNQN: String, hostID: [UInt8],
        keepAliveTimeoutMS: UInt32, options: TransportOptions
    ) {
        self.target = target
        self.subsystem = subsystem
        self.controllerID = controllerID
        self.hostNQN = hostNQN
        self.hostID = hostID
        self.options = options
        self.keepAliveTimeoutMS = Self.effectiveKeepAliveTimeout(
            keepAliveTimeoutMS, isDiscovery: subsystem == nil, minimum: options.minKeepAliveTimeoutMS)
    }

    /// The KATO a controller runs with when the host asks for `requested` ms.
    ///
    /// A discovery controller always has a timer (KATO 0 becomes 120 s, as
    /// in nvmet), so a host that walks away from discovery cannot hold a
    /// controller forever. An NVM controller keeps KATO 0 (no timer) unless
    /// the operator set `min_kato`; every other value is raised to `min_kato`.
    static func effectiveKeepAliveTimeout(_ requested: UInt32, isDiscovery: Bool, minimum: UInt32) -> UInt32 {
        if requested == 0 { return isDiscovery ? max(discoveryDefaultKATO, minimum) : minimum }
        return max(requested, minimum)
    }

    var isDiscovery: Bool { subsystem == nil }
    var isReady: Bool { status & ControllerRegisters.ready != 0 }

    // MARK: Properties (CAP, VS, CC, CSTS)

    var capabilities: UInt64 {
        ControllerRegisters.capabilities(
            maxQueueEntries: isDiscovery ? options.maxAdminQueueDepth : options.maxQueueDepth,
            timeout500ms: Self.readyTimeout)
    }

    static let version = ControllerRegisters.version(major: 1, minor: 3)

    /// Property Get. Only CAP may be read with 8 bytes; VS, CC, CSTS, CRTO with 4.
    func propertyGetLocked(offset: UInt32, eightBytes: Bool) -> (NVMeStatus, UInt64) {
        switch (offset, eightBytes) {
        case (PropertyOffset.capabilities, true): return (.success, capabilities)
        case (PropertyOffset.version, false): return (.success, UInt64(Self.version))
        case (PropertyOffset.configuration, false): return (.success, UInt64(configuration))
        case (PropertyOffset.status, false): return (.success, UInt64(status))
        case (PropertyOffset.readyTimeouts, false):
            return (.success, UInt64(Self.readyTimeout) | UInt64(Self.readyTimeout) << 16)
        default: return (NVMeStatus.invalidField.at(44), 0)
        }
    }

    /// Property Set: only CC (4 bytes) is writable.
    func propertySetLocked(offset: UInt32, eightBytes: Bool, value: UInt64, _ actions: inout DeferredActions)
        -> NVMeStatus
    {
        guard offset == PropertyOffset.configuration, !eightBytes else { return NVMeStatus.invalidField.at(44) }
        writeConfigurationLocked(UInt32(truncatingIfNeeded: value), &actions)
        return .success
    }

    /// The CC/CSTS state machine: EN 0→1 validates the entry sizes, page size,
    /// arbitration and command set (CSTS.CFS on failure, else RDY); EN 1→0
    /// resets (RDY off, AERs aborted); SHN ≠ 0 completes shutdown at once.
    func writeConfigurationLocked(_ new: UInt32, _ actions: inout DeferredActions) {
        let old = configuration
        configuration = new
        let wasEnabled = ControllerRegisters.enable(old)
        let enable = ControllerRegisters.enable(new)
        if enable && !wasEnabled {
            let valid =
                ControllerRegisters.ioSubmissionQueueEntrySize(new) == 6
                && ControllerRegisters.ioCompletionQueueEntrySize(new) == 4
                && ControllerRegisters.memoryPageSize(new) == 0
                && ControllerRegisters.arbitrationMechanism(new) == 0
                && ControllerRegisters.commandSetSelected(new) == 0
            // A discovery controller has no I/O queues, so only the command set matters there.
            if valid || isDiscovery && ControllerRegisters.commandSetSelected(new) == 0 {
                status = ControllerRegisters.ready
            } else {
                status = ControllerRegisters.fatalStatus
                target.logger.warning("controller enable with invalid CC", metadata: ["cc": "\(new)"])
            }
        } else if !enable && wasEnabled {
            status = 0
        }
        // Outstanding AERs are not completed on CC.EN 1→0 or CC.SHN (nvmet
        // and SPDK's RDMA target do not either): the host has already
        // reclaimed their CIDs, and SPDK's initiator reuses one at once for
        // the very Property Set that shuts down, so an abort sent now was
        // taken as that Property Set's failure ("Failed to write CC.SHN",
        // every SPDK detach, 2026-12-02). They end with the admin queue.
        if ControllerRegisters.shutdownNotification(new) != 0 {
            status = (status & ~ControllerRegisters.shutdownStatusMask) | ControllerRegisters.shutdownComplete
        } else {
            status &= ~ControllerRegisters.shutdownStatusMask
        }
    }

    // MARK: Asynchronous events

    /// Records a namespace change for log 04h and raises the notice.
    func namespaceChangedLocked(_ nsid: UInt32, _ actions: inout DeferredActions) {
        if !changedNamespaceIDs.contains(nsid) {
            changedNamespaceIDs.append(nsid)
            changedNamespaceIDs.sort()
        }
        raiseEventLocked(.namespaceAttributeChanged)
    }

    /// Queues `event` for the next AER if the host enabled it and the same
    /// log page has no event outstanding. Delivery happens on the admin
    /// queue's thread (`deliverEventsLocked`).
    func raiseEventLocked(_ event: AsyncEvent) {
        let enabledBit: UInt32?
        switch event.logPageID {
        case LogPageID.changedNamespaceList: enabledBit = AsyncEventConfiguration.namespaceAttribute
        case LogPageID.discovery: enabledBit = AsyncEventConfiguration.discoveryChange
        case LogPageID.asymmetricNamespaceAccess: enabledBit = AsyncEventConfiguration.anaChange
        // No AEC bit: the namespace's Reservation Notification Mask (feature 82h) decides, before this.
        case LogPageID.reservationNotification: enabledBit = nil
        default: enabledBit = 0xFFFF_FFFF
        }
        if let bit = enabledBit, asyncEventConfiguration & bit == 0 { return }
        guard !isTornDown, !maskedLogPages.contains(event.logPageID) else { return }
        maskedLogPages.insert(event.logPageID)
        pendingEvents.append(event)
    }

    /// Pairs pending events with outstanding AERs.
    func deliverEventsLocked(_ actions: inout DeferredActions) {
        while !pendingEvents.isEmpty, !outstandingAERs.isEmpty {
            let event = pendingEvents.removeFirst()
            let slot = outstandingAERs.removeFirst()
            actions.complete(adminQueue?.transport, slot: slot, .success(dword0: event.dword0))
        }
    }

    /// Completes every outstanding AER with Command Aborted due to SQ Deletion.
    func abortEventsLocked(_ actions: inout DeferredActions) {
        for slot in outstandingAERs {
            actions.complete(adminQueue?.transport, slot: slot, .failure(.abortedSQDeletion))
        }
        outstandingAERs.removeAll()
    }

    /// Reading a log page clears its event mask (unless RAE).
    func logPageReadLocked(_ lid: UInt8, retainAsyncEvent: Bool) {
        if !retainAsyncEvent { maskedLogPages.remove(lid) }
    }

    // MARK: Error log and counters

    func recordErrorLocked(queueID: UInt16, commandID: UInt16, status s: NVMeStatus, namespaceID: UInt32 = 0) {
        errorCount &+= 1
        errorLog.insert(
            ErrorLogEntry(
                errorCount: errorCount, submissionQueueID: queueID, commandID: commandID, statusField: s.rawValue,
                parameterErrorLocation: s.errorLocation, namespaceID: namespaceID), at: 0)
        if errorLog.count > Self.errorLogCapacity { errorLog.removeLast() }
    }

    /// Controller-wide I/O counters: live queues plus retired ones.
    func countersLocked() -> IOCounterSnapshot {
        var total = retiredCounters
        for q in ioQueues.values { total.add(q.counters.snapshot) }
        return total
    }

    /// Commands seen on every queue (keep-alive traffic detection).
    func activityLocked() -> UInt64 {
        var n = adminQueue?.counters.commands.load(ordering: .relaxed) ?? 0
        for q in ioQueues.values { n &+= q.counters.commands.load(ordering: .relaxed) }
        return n
    }

    // MARK: Keep-alive and teardown

    /// Re-arms the keep-alive deadline when commands were seen since the last
    /// tick (CTRATT.TBKAS: any command counts), else tears the controller down
    /// once the deadline passes.
    func checkKeepAliveLocked(now: UInt64, _ actions: inout DeferredActions) {
        guard !isTornDown, keepAliveTimeoutMS > 0 else { return }
        let activity = activityLocked()
        if keepAliveDeadline == nil || activity != lastActivity {
            lastActivity = activity
            keepAliveDeadline = now &+ UInt64(keepAliveTimeoutMS)
            return
        }
        if let deadline = keepAliveDeadline, now >= deadline {
            target.logger.warning(
                "keep-alive timeout", metadata: ["cntlid": "\(controllerID)", "host": "\(hostNQN)"])
            tearDownLocked(reason: "keep-alive timeout", &actions)
        }
    }

    /// Removes the controller from its subsystem and asks the transport to
    /// disconnect every queue. AERs are aborted when the admin queue reports
    /// the disconnect, on its own thread.
    func tearDownLocked(reason: String, _ actions: inout DeferredActions) {
        guard !isTornDown else { return }
        isTornDown = true
        status |= ControllerRegisters.fatalStatus
        pendingEvents.removeAll()
        if let s = subsystem {
            if s.controllers[controllerID] === self { s.controllers[controllerID] = nil }
        } else if target.discoveryControllers[controllerID] === self {
            target.discoveryControllers[controllerID] = nil
        }
        actions.disconnect(adminQueue?.transport)
        for q in ioQueues.values { actions.disconnect(q.transport) }
        target.logger.info("controller torn down", metadata: ["cntlid": "\(controllerID)", "reason": "\(reason)"])
    }
}

/// Per-queue I/O counters: written by the queue's thread only (load + store,
/// no read-modify-write), read by the control path for SMART and keep-alive.
///
/// `UnsafeAtomic` rather than `ManagedAtomic`: a struct, so bumping a counter
/// on the I/O path costs no retain/release. The storage lives as long as
/// this object.
final class IOCounters {
    let commands = UnsafeAtomic<UInt64>.create(0)
    let readCommands = UnsafeAtomic<UInt64>.create(0)
    let writeCommands = UnsafeAtomic<UInt64>.create(0)
    let bytesRead = UnsafeAtomic<UInt64>.create(0)
    let bytesWritten = UnsafeAtomic<UInt64>.create(0)

    deinit {
        for a in [commands, readCommands, writeCommands, bytesRead, bytesWritten] { a.destroy() }
    }

    @inline(__always)
    static func bump(_ a: UnsafeAtomic<UInt64>, _ n: UInt64) {
        a.store(a.load(ordering: .relaxed) &+ n, ordering: .relaxed)
    }

    var snapshot: IOCounterSnapshot {
        IOCounterSnapshot(
            readCommands: readCommands.load(ordering: .relaxed), writeCommands: writeCommands.load(ordering: .relaxed),
            bytesRead: bytesRead.load(ordering: .relaxed), bytesWritten: bytesWritten.load(ordering: .relaxed))
    }
}

/// A copy of the counters.
struct IOCounterSnapshot {
    var readCommands: UInt64 = 0
    var writeCommands: UInt64 = 0
    var bytesRead: UInt64 = 0
    var bytesWritten: UInt64 = 0

    mutating func add(_ o: IOCounterSnapshot) {
        readCommands &+= o.readCommands
        writeCommands &+= o.writeCommands
        bytesRead &+= o.bytesRead
        bytesWritten &+= o.bytesWritten
    }
}
