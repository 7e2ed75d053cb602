import Backends
import NVMe

extension TargetQueue {
    /// Get Log Page (02h): builds the whole page, then serves the window
    /// [LPO, LPO + (NUMD + 1) × 4), zero-filling past the page's end.
    func executeGetLogPageLocked(_ c: Controller, _ command: GetLogPageCommand, data: IOBuffer) -> CommandResult {
        let length = command.length
        guard length <= UInt64(data.count) else { return .failure(NVMeStatus.dataSGLLengthInvalid.at(24)) }
        let lid = command.logPageID
        let page: [UInt8]
        switch lid {
        case LogPageID.discovery where c.isDiscovery:
            page = discoveryLogPageLocked(host: c.hostNQN)
        case LogPageID.errorInformation:
            page = WireCopy.page(size: Controller.errorLogCapacity * ErrorLogEntry.wireSize) { out in
                for (i, e) in c.errorLog.enumerated() { e.encode(into: out, at: i * ErrorLogEntry.wireSize) }
            }
        case LogPageID.smartHealth where !c.isDiscovery:
            var log = SMARTHealthLog()
            let n = c.countersLocked()
            log.dataUnitsRead = SMARTHealthLog.dataUnits(bytes: n.bytesRead)
            log.dataUnitsWritten = SMARTHealthLog.dataUnits(bytes: n.bytesWritten)
            log.hostReadCommands = n.readCommands
            log.hostWriteCommands = n.writeCommands
            page = WireCopy.page(size: SMARTHealthLog.wireSize) { log.encode(into: $0) }
        case LogPageID.firmwareSlot where !c.isDiscovery:
            page = WireCopy.page(size: FirmwareSlotLog.wireSize) { FirmwareSlotLog.encode(revision: "1.0", into: $0) }
        case LogPageID.changedNamespaceList where !c.isDiscovery:
            let ids = c.changedNamespaceIDs
            page = WireCopy.page(size: NamespaceList.capacity * 4) { NamespaceList.encode(ids, into: $0) }
            if !command.retainAsyncEvent { c.changedNamespaceIDs.removeAll() }
        case LogPageID.commandEffects where !c.isDiscovery:
            page = WireCopy.page(size: CommandEffectsLog.wireSize) {
                CommandEffectsLog.encode(admin: Self.supportedAdminCommands, io: Self.supportedIOCommands, into: $0)
            }
        case LogPageID.asymmetricNamespaceAccess where c.subsystem?.anaReporting == true:
            // Without ANA reporting the log is not supported (SPDK), as CMIC says.
            let s = c.subsystem!
            let groups = s.anaLogGroupsLocked(for: c)
            let withNamespaces = command.specificField & 1 == 0  // LSP bit 0: RGO
            let count = s.anaChangeCount
            page = WireCopy.page(size: ANALog.size(groups: groups, includeNamespaces: withNamespaces)) {
                ANALog.encode(changeCount: count, groups: groups, includeNamespaces: withNamespaces, into: $0)
            }
        case LogPageID.reservationNotification where !c.isDiscovery:
            // One notice per read, the oldest; an empty page when none is queued.
            page = WireCopy.page(size: ReservationNotificationLog.wireSize) { out in
                if let n = c.reservationNotices.first {
                    ReservationNotificationLog.encode(
                        count: n.count, type: n.type, available: c.reservationNotices.count - 1,
                        namespaceID: n.namespaceID, into: out)
                } else {
                    out.zeroFill()
                }
            }
            if !c.reservationNotices.isEmpty { c.reservationNotices.removeFirst() }
        default:
            return .failure(NVMeStatus.invalidLogPage.at(40))
        }
        guard command.offset <= UInt64(page.count), command.offset & 3 == 0 else {
            return .failure(NVMeStatus.invalidField.at(48))
        }
        WireCopy.window(of: page, offset: Int(command.offset), length: Int(length), into: data.bytes)
        c.logPageReadLocked(lid, retainAsyncEvent: command.retainAsyncEvent)
        // More notices wait: the host hears of them once it has read this one.
        if lid == LogPageID.reservationNotification, !c.reservationNotices.isEmpty, !command.retainAsyncEvent {
            c.raiseEventLocked(.reservationLogAvailable)
        }
        return .success(bytesToHost: Int(length))
    }

    /// Log 05h: the commands this target implements and their effects.
    static let supportedAdminCommands: [(UInt8, UInt32)] = [
        AdminOpcode.getLogPage, AdminOpcode.identify, AdminOpcode.abort, AdminOpcode.setFeatures,
        AdminOpcode.getFeatures, AdminOpcode.asyncEventRequest, AdminOpcode.keepAlive,
    ].map { ($0, CommandEffectsLog.supported) }

    /// I/O commands; the writing ones may change logical block content (LBCC).
    static let supportedIOCommands: [(UInt8, UInt32)] = [
        (IOOpcode.flush, CommandEffectsLog.supported | CommandEffectsLog.changesContent),
        (IOOpcode.write, CommandEffectsLog.supported | CommandEffectsLog.changesContent),
        (IOOpcode.read, CommandEffectsLog.supported),
        (IOOpcode.writeZeroes, CommandEffectsLog.supported | CommandEffectsLog.changesContent),
        (IOOpcode.datasetManagement, CommandEffectsLog.supported | CommandEffectsLog.changesContent),
        (IOOpcode.reservationRegister, CommandEffectsLog.supported),
        (IOOpcode.reservationReport, CommandEffectsLog.supported),
        (IOOpcode.reservationAcquire, CommandEffectsLog.supported),
        (IOOpcode.reservationRelease, CommandEffectsLog.supported),
    ]

    /// Log 70h for one host: one entry per (subsystem the host may reach, listener).
    func discoveryLogPageLocked(host: String) -> [UInt8] {
        var entries: [DiscoveryLogEntry] = []
        for nqn in target.subsystemOrder {
            guard let s = target.subsystemsByNQN[nqn], s.stateLocked != .inactive, s.allowsLocked(host: host) else {
                continue
            }
            for l in s.subsystemListeners {
                entries.append(
                    DiscoveryLogEntry(
                        transportType: l.transportType, addressFamily: l.addressFamily,
                        subsystemType: DiscoveryLogEntry.subtypeNVM, portID: l.portID,
                        adminMaxSQSize: UInt16(clamping: options.maxAdminQueueDepth),
                        transportServiceID: l.serviceID, subsystemNQN: s.nqn, transportAddress: l.address))
            }
        }
        let generation = target.discoveryGeneration
        return WireCopy.page(size: DiscoveryLogPage.size(entries: entries.count)) {
            DiscoveryLogPage.encode(generation: generation, entries: entries, into: $0)
        }
    }
}
