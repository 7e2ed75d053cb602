import Backends
import NVMe

extension TargetQueue {
    /// Dispatches an admin command on an enabled controller (lock held).
    func executeAdminLocked(
        _ c: Controller, _ command: SubmissionQueueEntry, data: IOBuffer, slot: UInt32,
        _ actions: inout DeferredActions
    ) -> ExecuteOutcome {
        switch command.opcode {
        case AdminOpcode.identify:
            return .completed(executeIdentifyLocked(c, IdentifyCommand(command), data: data))
        case AdminOpcode.getLogPage:
            return .completed(executeGetLogPageLocked(c, GetLogPageCommand(command), data: data))
        case AdminOpcode.setFeatures:
            return .completed(executeSetFeaturesLocked(c, FeaturesCommand(command)))
        case AdminOpcode.getFeatures:
            return .completed(executeGetFeaturesLocked(c, FeaturesCommand(command), data: data))
        case AdminOpcode.asyncEventRequest:
            return executeAsyncEventRequestLocked(c, slot: slot)
        case AdminOpcode.keepAlive:
            // Traffic re-arms the timer (see Controller.checkKeepAliveLocked);
            // a controller without a timer has nothing to keep alive.
            return .completed(c.keepAliveTimeoutMS == 0 ? .failure(.keepAliveTimeoutInvalid) : .success())
        case AdminOpcode.abort where !c.isDiscovery:
            // DW0 bit 0 set: the command was not aborted (commands here finish on their own).
            return .completed(.success(dword0: 1))
        default:
            return .completed(.failure(.invalidOpcode))
        }
    }

    // MARK: Identify

    /// Identify (06h): CNS 00, 01, 02, 03, 06, 08; the data is 4096 bytes.
    func executeIdentifyLocked(_ c: Controller, _ command: IdentifyCommand, data: IOBuffer) -> CommandResult {
        guard data.count == IdentifyCommand.dataSize else { return .failure(NVMeStatus.dataSGLLengthInvalid.at(24)) }
        let out = data.bytes
        let nsid = command.entry.namespaceID
        if c.isDiscovery && command.cns != IdentifyCNS.controller { return .failure(NVMeStatus.invalidField.at(40)) }
        switch command.cns {
        case IdentifyCNS.controller:
            identifyControllerLocked(c).encode(into: out)
        case IdentifyCNS.namespace, IdentifyCNS.independentNamespace:
            guard let s = c.subsystem, nsid >= 1, nsid <= UInt32(s.maxNamespaces) else {
                return .failure(NVMeStatus.invalidNamespace.at(4))
            }
            guard let ns = s.namespaces[nsid] else {
                // An inactive but valid NSID reads as zeroes (NCAP 0: not present).
                out.zeroFill()
                break
            }
            let anaGroupID = s.anaReporting ? ns.anaGroupID : 0
            if command.cns == IdentifyCNS.namespace {
                var d = ns.identifyData(namespaceID: nsid)
                d.anaGroupID = anaGroupID
                d.encode(into: out)
            } else {
                var d = IndependentIdentifyNamespaceData()
                d.attributes = ns.isReadOnly ? 1 : 0
                d.anaGroupID = anaGroupID
                d.encode(into: out)
            }
        case IdentifyCNS.activeNamespaceList:
            guard let s = c.subsystem, nsid < 0xFFFF_FFFE else { return .failure(NVMeStatus.invalidNamespace.at(4)) }
            NamespaceList.encode(s.namespaces.keys.filter { $0 > nsid }.sorted(), into: out)
        case IdentifyCNS.namespaceDescriptors:
            guard let s = c.subsystem, let ns = s.namespaces[nsid] else {
                return .failure(NVMeStatus.invalidNamespace.at(4))
            }
            NamespaceDescriptorList.encode(eui64: ns.eui64, nguid: ns.nguid, uuid: ns.uuid, into: out)
        case IdentifyCNS.commandSetController:
            // NVM command set controller data: no limits to report (all zero), as nvmet.
            guard command.commandSetIdentifier == 0 else { return .failure(NVMeStatus.invalidField.at(47)) }
            out.zeroFill()
        default:
            return .failure(NVMeStatus.invalidField.at(40))
        }
        return .success(bytesToHost: IdentifyCommand.dataSize)
    }

    /// Identify Controller for `c`, with the transport's limits (reference §1.8).
    func identifyControllerLocked(_ c: Controller) -> IdentifyControllerData {
        var d = IdentifyControllerData()
        let o = c.options
        d.serialNumber = c.subsystem?.serialNumber ?? NVMfTarget.serial(for: target.discoveryNQN)
        d.modelNumber = c.subsystem?.modelNumber ?? "Swift NVMe-oF discovery"
        d.firmwareRevision = "1.0"
        d.multiPathCapabilities = c.isDiscovery ? 0 : 0x03
        d.maximumDataTransferSize = IdentifyControllerData.mdts(maxTransferSize: o.maxIOSize)
        d.controllerID = c.controllerID
        d.version = Controller.version
        d.asyncEventsSupported =
            c.isDiscovery ? AsyncEventConfiguration.discoveryChange : AsyncEventConfiguration.namespaceAttribute
        // Bit 0: 128-bit host identifier; bit 6 TBKAS: any command counts as keep-alive traffic.
        d.controllerAttributes = 0x41
        d.controllerType = c.isDiscovery ? 2 : 1
        d.abortCommandLimit = 3
        d.asyncEventRequestLimit = UInt8(Controller.asyncEventLimit - 1)
        // Bit 1 Commands Supported and Effects, bit 2 extended Get Log Page (NUMDU, LPO).
        d.logPageAttributes = c.isDiscovery ? 0x04 : 0x06
        d.errorLogPageEntries = UInt8(Controller.errorLogCapacity - 1)
        d.keepAliveSupport = Controller.keepAliveGranularity
        d.maximumOutstandingCommands = UInt16(clamping: c.isDiscovery ? o.maxAdminQueueDepth : o.maxQueueDepth)
        if let s = c.subsystem {
            d.numberOfNamespaces = UInt32(s.maxNamespaces)
            d.maximumAllowedNamespaces = UInt32(s.maxNamespaces)
            d.optionalNVMCommands = 0x2C  // Dataset Management, Write Zeroes, Reservations
            d.volatileWriteCache = Self.hasVolatileWriteCache(c) ? 1 : 0
            d.subsystemNQN = s.nqn
            if s.anaReporting {
                d.multiPathCapabilities |= 0x08  // CMIC bit 3: ANA reporting
                d.asyncEventsSupported |= AsyncEventConfiguration.anaChange
                d.anaTransitionTime = Subsystem.anaTransitionTimeSeconds
                d.anaCapabilities = Subsystem.anaCapabilities
                // SPDK's numbering: group IDs 1...max_namespaces, one per possible NSID.
                d.anaGroupMax = UInt32(s.maxNamespaces)
                d.numberOfANAGroupIDs = UInt32(s.maxNamespaces)
            }
        } else {
            d.subsystemNQN = target.discoveryNQN
        }
        d.sglSupport = IdentifyControllerData.sglSupport(inCapsuleDataSize: o.inCapsuleDataSize)
        d.ioQueueCommandCapsuleSize = UInt32(4 + o.inCapsuleDataSize / 16)
        d.ioQueueResponseCapsuleSize = 1
        d.inCapsuleDataOffset = 0
        d.fabricsControllerAttributes = 0  // dynamic controller model
        d.maximumSGLDataBlockDescriptors = 1
        return d
    }

    // MARK: Features

    /// Set Features (09h): 06h, 07h, 0Bh, 0Fh; 81h is a sequence error on fabrics.
    func executeSetFeaturesLocked(_ c: Controller, _ command: FeaturesCommand) -> CommandResult {
        guard !command.save else { return .failure(NVMeStatus.featureNotSaveable.at(40)) }
        let value = command.value
        switch command.featureID {
        case FeatureID.numberOfQueues where !c.isDiscovery:
            guard value & 0xFFFF != 0xFFFF, value >> 16 != 0xFFFF else {
                return .failure(NVMeStatus.invalidField.at(44))
            }
            return .success(dword0: NumberOfQueues.result(allocated: c.options.maxIOQueues))
        case FeatureID.asyncEventConfiguration:
            let supported =
                c.isDiscovery
                ? AsyncEventConfiguration.discoveryChange
                : AsyncEventConfiguration.namespaceAttribute | AsyncEventConfiguration.smartWarnings
                    | (c.subsystem?.anaReporting == true ? AsyncEventConfiguration.anaChange : 0)
            guard value & ~supported == 0 else { return .failure(NVMeStatus.invalidField.at(44)) }
            c.asyncEventConfiguration = value
            return .success()
        case FeatureID.keepAliveTimer:
            // A controller that must keep its timer (discovery, or min_kato
            // set) may not switch it off (nvmet refuses it for discovery).
            if value == 0 && (c.isDiscovery || c.options.minKeepAliveTimeoutMS > 0) {
                return .failure(NVMeStatus.invalidField.at(44))
            }
            c.keepAliveTimeoutMS = Controller.effectiveKeepAliveTimeout(
                value, isDiscovery: c.isDiscovery, minimum: c.options.minKeepAliveTimeoutMS)
            c.keepAliveDeadline = nil
            return .success()
        case FeatureID.volatileWriteCache where !c.isDiscovery:
            // The cache cannot be switched off here (the backends have no
            // write-through mode), so only "enabled" is accepted, and only
            // where a namespace has a cache at all; disabling it is refused
            // rather than accepted and ignored. Hosts get durability from
            // Flush and FUA, which are honoured.
            guard Self.hasVolatileWriteCache(c) else { return .failure(NVMeStatus.invalidField.at(40)) }
            guard value & 1 == 1 else { return .failure(NVMeStatus.invalidField.at(44)) }
            return .success()
        case FeatureID.hostIdentifier:
            return .failure(.commandSequenceError)
        case FeatureID.reservationNotificationMask where !c.isDiscovery:
            // Bits 1 to 3 only; NSID FFFFFFFFh sets every namespace.
            guard value & ~0xE == 0 else { return .failure(NVMeStatus.invalidField.at(44)) }
            guard let targets = reservationNamespaces(c, command) else {
                return .failure(NVMeStatus.invalidNamespace.at(4))
            }
            for ns in targets { ns.reservation.notificationMask = value }
            return .success()
        case FeatureID.reservationPersistence where !c.isDiscovery:
            guard let targets = reservationNamespaces(c, command) else {
                return .failure(NVMeStatus.invalidNamespace.at(4))
            }
            // Persisting needs the namespace's persistence file: PTPL 1 on a
            // namespace without one is refused rather than reported and not kept.
            let persist = value & 1 == 1
            guard value & ~1 == 0, !persist || targets.allSatisfy({ $0.reservation.store != nil }) else {
                return .failure(NVMeStatus.invalidField.at(44))
            }
            for ns in targets where ns.reservation.persistThroughPowerLoss != persist {
                let r = ns.reservation
                do throws(ReservationStoreError) {
                    try r.store?.save(persist ? r.persisted : nil)
                } catch {
                    return .failure(.internalError)
                }
                r.persistThroughPowerLoss = persist
            }
            return .success()
        case FeatureID.powerManagement:
            // One power state (NPSS 0): PS 0 with no workload hint is what
            // the controller already does; anything else is refused.
            guard value == 0 else { return .failure(NVMeStatus.invalidField.at(44)) }
            return .success()
        default:
            return .failure(NVMeStatus.invalidField.at(40))
        }
    }

    /// Reported values of the mandatory features this target does not let
    /// a host change (Get Features; SPDK's identify reads all four).
    static func fixedFeatureValue(_ fid: UInt8, _ value: UInt32) -> UInt32? {
        switch fid {
        // AB 111b: no burst limit; weighted round robin is not offered (CAP.AMS 0), so no weights.
        case FeatureID.arbitration: return 0x7
        // PS 0, the only state.
        case FeatureID.powerManagement: return 0
        // THSEL 00b (over): 343 K, the threshold SMART's critical warning
        // would use; under-temperature thresholds are 0 (none). The
        // composite temperature reported is a constant 298 K.
        case FeatureID.temperatureThreshold: return (value >> 20) & 0x3 == 0 ? 343 : 0
        // TLER 0 (no time limit), DULBE 0.
        case FeatureID.errorRecovery: return 0
        default: return nil
        }
    }

    /// Get Features (0Ah). SEL 3 reports every implemented feature as changeable.
    func executeGetFeaturesLocked(_ c: Controller, _ command: FeaturesCommand, data: IOBuffer) -> CommandResult {
        let fid = command.featureID
        let known: Set<UInt8> =
            c.isDiscovery
            ? [FeatureID.asyncEventConfiguration, FeatureID.keepAliveTimer]
            : [
                FeatureID.numberOfQueues, FeatureID.asyncEventConfiguration, FeatureID.keepAliveTimer,
                FeatureID.volatileWriteCache, FeatureID.hostIdentifier, FeatureID.arbitration,
                FeatureID.powerManagement, FeatureID.temperatureThreshold, FeatureID.errorRecovery,
                FeatureID.reservationNotificationMask, FeatureID.reservationPersistence,
            ]
        guard known.contains(fid) else { return .failure(NVMeStatus.invalidField.at(40)) }
        guard command.select <= 3 else { return .failure(NVMeStatus.invalidField.at(41)) }
        let fixed = Self.fixedFeatureValue(fid, command.value)
        // SEL 3: capabilities. Bit 2 changeable; the write cache and the fixed features cannot be changed here.
        if command.select == 3 {
            // Bit 1: namespace specific (the reservation features).
            if fid == FeatureID.reservationNotificationMask || fid == FeatureID.reservationPersistence {
                return .success(dword0: 0x6)
            }
            return .success(dword0: fid == FeatureID.volatileWriteCache || fixed != nil ? 0 : 0x4)
        }
        if let fixed { return .success(dword0: fixed) }
        switch fid {
        case FeatureID.numberOfQueues:
            return .success(dword0: NumberOfQueues.result(allocated: c.options.maxIOQueues))
        case FeatureID.asyncEventConfiguration:
            return .success(dword0: c.asyncEventConfiguration)
        case FeatureID.keepAliveTimer:
            return .success(dword0: c.keepAliveTimeoutMS)
        case FeatureID.volatileWriteCache:
            guard Self.hasVolatileWriteCache(c) else { return .failure(NVMeStatus.invalidField.at(40)) }
            return .success(dword0: 1)
        case FeatureID.reservationNotificationMask, FeatureID.reservationPersistence:
            // Per namespace: one NSID, not FFFFFFFFh.
            guard command.entry.namespaceID != 0xFFFF_FFFF, let ns = reservationNamespaces(c, command)?.first else {
                return .failure(NVMeStatus.invalidNamespace.at(4))
            }
            return .success(
                dword0: fid == FeatureID.reservationPersistence
                    ? (ns.reservation.persistThroughPowerLoss ? 1 : 0) : ns.reservation.notificationMask)
        default:  // Host Identifier: only the 128-bit form (EXHID) exists over fabrics.
            guard command.value & 1 == 1 else { return .failure(NVMeStatus.invalidField.at(44)) }
            guard data.count >= 16 else { return .failure(NVMeStatus.dataSGLLengthInvalid.at(24)) }
            WireCopy.window(of: c.hostID, offset: 0, length: 16, into: data.bytes)
            return .success(bytesToHost: 16)
        }
    }

    // MARK: Asynchronous Event Request

    /// AER (0Ch): completes at once if an event waits, else stays outstanding
    /// (up to AERL + 1 = 4; more is AER Limit Exceeded).
    func executeAsyncEventRequestLocked(_ c: Controller, slot: UInt32) -> ExecuteOutcome {
        guard c.outstandingAERs.count < Controller.asyncEventLimit else {
            return .completed(.failure(.asyncEventLimitExceeded))
        }
        if !c.pendingEvents.isEmpty {
            return .completed(.success(dword0: c.pendingEvents.removeFirst().dword0))
        }
        c.outstandingAERs.append(slot)
        return .pending
    }

    /// The namespaces a reservation feature names: one NSID, or all for FFFFFFFFh; nil for an inactive NSID.
    func reservationNamespaces(_ c: Controller, _ command: FeaturesCommand) -> [Namespace]? {
        guard let s = c.subsystem else { return nil }
        let nsid = command.entry.namespaceID
        if nsid == 0xFFFF_FFFF { return Array(s.namespaces.values) }
        return s.namespaces[nsid].map { [$0] }
    }

    /// VWC present: some namespace of the controller's subsystem has a volatile write cache.
    static func hasVolatileWriteCache(_ c: Controller) -> Bool {
        c.subsystem?.namespaces.values.contains { $0.device.hasVolatileWriteCache } ?? false
    }
}
