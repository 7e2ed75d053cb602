import Backends
import NVMe

extension TargetQueue {
    /// Executes an NVM command (Read, Write, Flush, Write Zeroes, Dataset
    /// Management) against the namespace's backend channel.
    ///
    /// Hot path: no lock, no allocation. The only shared read is one atomic
    /// load of the subsystem's generation; the namespace table is this
    /// queue's own copy.
    @inline(__always)
    func executeIO(_ command: SubmissionQueueEntry, data: IOBuffer, slot: UInt32) -> ExecuteOutcome {
        if let g = generationWatch, g.load(ordering: .acquiring) != namespaceGeneration {
            refreshNamespaces()
        }
        if ioPaused { return failIO(command, .namespaceNotReady) }
        let nsid = command.namespaceID
        guard nsid >= 1, Int(nsid) <= namespaces.count, namespaces[Int(nsid) - 1].present else {
            return failIO(command, NVMeStatus.invalidNamespace.at(4))
        }
        let ns = namespaces[Int(nsid) - 1]
        if !ns.anaState.isAccessible { return failIO(command, ns.anaState.pathStatus ?? .anaInaccessible) }
        switch command.opcode {
        case IOOpcode.read, IOOpcode.write:
            let rw = ReadWriteCommand(command)
            let isWrite = command.opcode == IOOpcode.write
            if isWrite ? ns.writeConflict : ns.readConflict { return failIO(command, .reservationConflict) }
            guard Self.inRange(rw.startingLBA, rw.blockCount, ns) else { return failIO(command, .lbaOutOfRange) }
            let length = Int(rw.blockCount) << Int(ns.blockShift)
            guard data.count == length else { return failIO(command, NVMeStatus.dataSGLLengthInvalid.at(24)) }
            if isWrite && ns.readOnly { return failIO(command, .writeToReadOnly) }
            let request = BlockRequest(
                operation: isWrite ? .write : .read, startingBlock: rw.startingLBA, blockCount: rw.blockCount,
                buffer: data, forceUnitAccess: rw.forceUnitAccess && ns.volatileWriteCache, tag: tag(slot))
            return submitOne(request, ns, command, slot: slot, bytes: UInt32(truncatingIfNeeded: length))
        case IOOpcode.flush:
            // Flush is in the write group of the reservation access table (nvmet, SPDK).
            if ns.writeConflict { return failIO(command, .reservationConflict) }
            guard ns.volatileWriteCache else { return .completed(.success()) }
            return submitOne(BlockRequest(operation: .flush, tag: tag(slot)), ns, command, slot: slot, bytes: 0)
        case IOOpcode.writeZeroes:
            if ns.writeConflict { return failIO(command, .reservationConflict) }
            let rw = ReadWriteCommand(command)
            guard Self.inRange(rw.startingLBA, rw.blockCount, ns) else { return failIO(command, .lbaOutOfRange) }
            if ns.readOnly { return failIO(command, .writeToReadOnly) }
            let request = BlockRequest(
                operation: .writeZeroes, startingBlock: rw.startingLBA, blockCount: rw.blockCount,
                forceUnitAccess: rw.forceUnitAccess && ns.volatileWriteCache, tag: tag(slot))
            return submitOne(request, ns, command, slot: slot, bytes: 0)
        case IOOpcode.datasetManagement:
            if ns.writeConflict { return failIO(command, .reservationConflict) }
            return executeDatasetManagement(command, ns, data: data, slot: slot)
        case IOOpcode.reservationRegister, IOOpcode.reservationReport, IOOpcode.reservationAcquire,
            IOOpcode.reservationRelease:
            return executeReservation(command, namespace: nsid, data: data)
        default:
            return failIO(command, .invalidOpcode)
        }
    }

    /// Dataset Management: deallocates each range (AD); without AD the
    /// hints are accepted and ignored. All ranges are checked before any is
    /// submitted, so a bad range changes nothing.
    func executeDatasetManagement(_ command: SubmissionQueueEntry, _ ns: NamespaceEntry, data: IOBuffer, slot: UInt32)
        -> ExecuteOutcome
    {
        let dsm = DatasetManagementCommand(command)
        guard data.count >= dsm.rangeCount * DatasetManagementCommand.rangeSize else {
            return failIO(command, NVMeStatus.dataSGLLengthInvalid.at(24))
        }
        guard dsm.deallocate else { return .completed(.success()) }
        if ns.readOnly { return failIO(command, .writeToReadOnly) }
        let raw = data.bytes
        for i in 0..<dsm.rangeCount {
            guard let r = DatasetManagementRange(raw, index: i) else {
                return failIO(command, NVMeStatus.dataSGLLengthInvalid.at(24))
            }
            if r.blockCount != 0 && !Self.inRange(r.startingLBA, r.blockCount, ns) {
                return failIO(command, .lbaOutOfRange)
            }
        }
        guard let channel = pollGroup.channel(ns.channelIndex) else { return failIO(command, .internalError) }
        // One extra count keeps the slot open until every range is submitted.
        slots[Int(slot)] = SlotState(remaining: 1, status: .success, opcode: command.opcode, bytes: 0)
        outstandingBackend += 1
        for i in 0..<dsm.rangeCount {
            guard let r = DatasetManagementRange(raw, index: i), r.blockCount != 0 else { continue }
            let request = BlockRequest(
                operation: .deallocate, startingBlock: r.startingLBA, blockCount: r.blockCount, tag: tag(slot))
            switch channel.submit(request) {
            case .accepted: slots[Int(slot)].remaining += 1
            case .busy: slots[Int(slot)].status = .commandInterrupted
            case .failed(let e): slots[Int(slot)].status = NVMeStatus(e)
            }
            if !slots[Int(slot)].status.isSuccess { break }
        }
        slots[Int(slot)].remaining -= 1
        if slots[Int(slot)].remaining > 0 { return .pending }
        outstandingBackend -= 1
        let status = slots[Int(slot)].status
        return status.isSuccess ? .completed(.success()) : failIO(command, status)
    }

    /// Backend tag: queue index in the high half, transport slot in the low half.
    @inline(__always)
    func tag(_ slot: UInt32) -> UInt64 { UInt64(queueIndex) << 32 | UInt64(slot) }

    /// SLBA + NLB ≤ NSZE, without overflow.
    @inline(__always)
    static func inRange(_ start: UInt64, _ count: UInt32, _ ns: NamespaceEntry) -> Bool {
        let (end, overflow) = start.addingReportingOverflow(UInt64(count))
        return !overflow && end <= ns.blockCount
    }

    @inline(__always)
    func submitOne(
        _ request: BlockRequest, _ ns: NamespaceEntry, _ command: SubmissionQueueEntry, slot: UInt32,
        bytes: UInt32
    ) -> ExecuteOutcome {
        guard let channel = pollGroup.channel(ns.channelIndex) else { return failIO(command, .internalError) }
        switch channel.submit(request) {
        case .accepted:
            slots[Int(slot)] = SlotState(remaining: 1, status: .success, opcode: command.opcode, bytes: bytes)
            outstandingBackend += 1
            return .pending
        case .busy:
            return failIO(command, .commandInterrupted)
        case .failed(let e):
            return failIO(command, NVMeStatus(e))
        }
    }

    /// A backend operation of `slot` finished (called by the poll group).
    func backendCompleted(slot: UInt32, error: BlockDeviceError?) {
        let i = Int(slot)
        guard i < slots.count, slots[i].remaining > 0 else { return }
        if let error, slots[i].status.isSuccess { slots[i].status = NVMeStatus(error) }
        slots[i].remaining -= 1
        guard slots[i].remaining == 0 else { return }
        outstandingBackend -= 1
        let s = slots[i]
        var result = CommandResult.success()
        if s.status.isSuccess {
            if s.opcode == IOOpcode.read {
                IOCounters.bump(counters.readCommands, 1)
                IOCounters.bump(counters.bytesRead, UInt64(s.bytes))
                result.bytesToHost = Int(s.bytes)
            } else if s.opcode == IOOpcode.write {
                IOCounters.bump(counters.writeCommands, 1)
                IOCounters.bump(counters.bytesWritten, UInt64(s.bytes))
            }
        } else {
            result = .failure(s.status)
            recordIOError(commandID: 0, status: s.status)
        }
        transport?.completeRequest(slot: slot, result: result)
        if isClosed && outstandingBackend == 0 { retire() }
    }

    /// Refreshes this queue's namespace table after a namespace or state change.
    @inline(never)
    func refreshNamespaces() {
        target.lock.withLock {
            guard let s = subsystem else {
                ioPaused = true
                return
            }
            namespaceGeneration = s.generation.load(ordering: .acquiring)
            // The controller's path is its admin queue's listener (log 0Ch reports the same).
            let listener = controller?.adminQueue?.listener
            for i in namespaces.indices {
                guard let ns = s.namespaces[UInt32(i + 1)] else {
                    namespaces[i] = .absent
                    continue
                }
                namespaces[i] = ns.entry(
                    anaState: s.anaStateLocked(group: ns.anaGroupID, listener: listener),
                    hostID: controller?.hostID ?? [])
            }
            ioPaused = s.stateLocked != .active || (controller?.isTornDown ?? true)
        }
    }

    /// Completes an I/O command with an error, recording it in the Error
    /// Information log (the one lock the I/O path takes, only on failure).
    @inline(never)
    func failIO(_ command: SubmissionQueueEntry, _ status: NVMeStatus) -> ExecuteOutcome {
        recordIOError(commandID: command.commandID, status: status, namespaceID: command.namespaceID)
        return .completed(.failure(status))
    }

    @inline(never)
    func recordIOError(commandID: UInt16, status: NVMeStatus, namespaceID: UInt32 = 0) {
        target.lock.withLock {
            controller?.recordErrorLocked(
                queueID: queueID, commandID: commandID, status: status, namespaceID: namespaceID)
        }
    }
}
