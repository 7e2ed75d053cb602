import Backends
import NVMe

// Persistent reservations (issue 15): Reservation Register, Acquire,
// Release and Report, the access table for other I/O, and the notices.
//
// State lives per namespace, under the control lock, and is keyed by host
// identifier (HOSTID from Connect), so every controller of one host shares a
// registration, whichever poll group its queues run on. A change bumps the
// subsystem's generation before the command completes; every I/O queue
// compares the generation at each command and recomputes its read and write
// permissions (`NamespaceEntry.readConflict`/`writeConflict`) from this
// state, so a command that starts executing after a preempt's completion is
// checked against the new state. A command already past that check (its
// backend I/O in flight) finishes, as in nvmet; Preempt and Abort aborts
// nothing (nvmet waits for such I/O, SPDK v24.01 refuses the action).
//
// Where nvmet and SPDK differ, the choices here follow the Linux host, the
// main client: Register takes CPTPL 3 without a persistence file (the Linux
// host sends it on every register) and reports PTPLS 0; Replace may set key
// 0 (the Linux host's "unregister"); all registrants hold a type 5 or 6
// reservation, as the spec and SPDK say.

/// One registered host.
struct Registrant: Equatable {
    var hostID: [UInt8]
    var key: UInt64
}

/// Notices a reservation command raises, by the host they go to.
typealias ReservationNotices = [(host: [UInt8], ReservationNotificationLog.NoticeType)]

/// A notice for the Reservation Notification log (80h).
struct ReservationNotice: Equatable {
    var type: ReservationNotificationLog.NoticeType
    var namespaceID: UInt32
    var count: UInt64
}

/// One namespace's reservation state. Guarded by the control lock.
final class ReservationState {
    /// Registered hosts, in registration order.
    var registrants: [Registrant] = []
    /// The reservation, if one is held.
    var type: ReservationType?
    /// The host that holds it (for types 5 and 6, every registrant holds it;
    /// this is the one the Report marks first).
    var holderHostID: [UInt8]?
    /// GEN: bumped by every successful Register, Preempt and Clear.
    var generation: UInt32 = 0
    /// PTPLS: the state survives a restart (only with a `store`).
    var persistThroughPowerLoss = false
    /// Feature 82h: a set bit (1, 2, 3) suppresses that notice type. Kept
    /// per namespace, as nvmet and SPDK keep it.
    var notificationMask: UInt32 = 0
    /// Where the state persists through power loss (`ptpl_file`), if the
    /// namespace has one; without it PTPL cannot be set.
    var store: (any ReservationStore)?

    func index(of hostID: [UInt8]) -> Int? { registrants.firstIndex { $0.hostID == hostID } }

    func isHolder(_ hostID: [UInt8]) -> Bool {
        guard let t = type else { return false }
        return t.allRegistrantsHold ? index(of: hostID) != nil : holderHostID == hostID
    }

    /// What `hostID` may do: (read, write).
    func access(_ hostID: [UInt8]) -> (read: Bool, write: Bool) {
        guard let t = type else { return (true, true) }
        return t.access(isHolder: isHolder(hostID), isRegistrant: index(of: hostID) != nil)
    }

    /// Drops the reservation.
    func releaseReservation() {
        type = nil
        holderHostID = nil
    }

    /// Removes registrant `i`, and what its leaving does to the reservation:
    /// returns true when a Registrants Only reservation it held is released
    /// (the others get Reservation Released).
    func unregister(at i: Int) -> Bool {
        let host = registrants.remove(at: i).hostID
        guard let t = type else { return false }
        if t.allRegistrantsHold {
            if registrants.isEmpty {
                releaseReservation()
            } else if holderHostID == host {
                holderHostID = registrants[0].hostID
            }
            return false
        }
        guard holderHostID == host else { return false }
        releaseReservation()
        return t == .writeExclusiveRegistrantsOnly || t == .exclusiveAccessRegistrantsOnly
    }
}

/// RESCAP: all six types and IEKEY as in NVMe 1.3; bit 0 (persist through
/// power loss) only for a namespace with a persistence file.
func reservationCapabilities(persistent: Bool) -> UInt8 { persistent ? 0xFF : 0xFE }

extension TargetQueue {
    /// Reservation Register, Acquire, Release or Report on `ns` (control path: takes the lock).
    @inline(never)
    func executeReservation(_ command: SubmissionQueueEntry, namespace nsid: UInt32, data: IOBuffer)
        -> ExecuteOutcome
    {
        var notices: ReservationNotices = []
        let result: CommandResult = target.lock.withLock {
            guard let s = subsystem, let c = controller, let ns = s.namespaces[nsid] else {
                return .failure(NVMeStatus.invalidNamespace.at(4))
            }
            let state = ns.reservation
            let host = c.hostID
            // A zero host identifier names no host: registrations keyed by it
            // would be shared by every host that sent none.
            guard host.contains(where: { $0 != 0 }) else { return .failure(NVMeStatus.invalidField.at(40)) }
            let before = (state.type, state.holderHostID, state.registrants)
            let (persistedBefore, generationBefore) = (state.persistThroughPowerLoss, state.generation)
            var outcome: CommandResult
            switch command.opcode {
            case IOOpcode.reservationReport:
                outcome = reservationReport(ReservationReportCommand(command), state, data: data)
            case IOOpcode.reservationRegister:
                outcome = reservationRegister(
                    ReservationRegisterCommand(command), state, host: host, data: data, notices: &notices)
            case IOOpcode.reservationAcquire:
                outcome = reservationAcquire(
                    ReservationAcquireCommand(command), state, host: host, data: data, notices: &notices)
            default:
                outcome = reservationRelease(
                    ReservationReleaseCommand(command), state, host: host, data: data, notices: &notices)
            }
            let changed = before != (state.type, state.holderHostID, state.registrants)
            if outcome.status.isSuccess, let store = state.store,
                changed || persistedBefore != state.persistThroughPowerLoss
            {
                // Durable before the completion: nothing acknowledged is lost.
                // (On the poll group's thread: reservation changes are rare,
                // and SPDK writes its file the same way.)
                do throws(ReservationStoreError) {
                    try store.save(state.persistThroughPowerLoss ? state.persisted : nil)
                } catch {
                    target.logger.error(
                        "reservation state not persisted; the change is undone",
                        metadata: ["file": "\(store.path)", "error": "\(error)"])
                    (state.type, state.holderHostID, state.registrants) = before
                    (state.persistThroughPowerLoss, state.generation) = (persistedBefore, generationBefore)
                    notices.removeAll()
                    outcome = .failure(.internalError)
                }
            }
            if changed && outcome.status.isSuccess {
                // Every queue re-reads its permissions at its next command.
                s.bumpGeneration()
            }
            for (target, type) in notices {
                s.queueReservationNoticeLocked(type, namespaceID: nsid, to: target, mask: state.notificationMask)
            }
            if !outcome.status.isSuccess {
                c.recordErrorLocked(
                    queueID: queueID, commandID: command.commandID, status: outcome.status, namespaceID: nsid)
            }
            return outcome
        }
        return .completed(result)
    }

    private func reservationReport(_ r: ReservationReportCommand, _ state: ReservationState, data: IOBuffer)
        -> CommandResult
    {
        // Fabrics hosts have 128-bit identifiers: only the extended form can carry them.
        guard r.extendedData else { return .failure(.hostIdentifierInconsistentFormat) }
        let length = r.length
        guard length >= 64 else { return .failure(NVMeStatus.invalidField.at(40)) }
        guard length <= data.count else { return .failure(NVMeStatus.dataSGLLengthInvalid.at(24)) }
        // One entry per registered host (CNTLID FFFFh: a host's controllers
        // share the registration), as nvmet and SPDK report; REGCTL counts
        // them all even when the buffer holds fewer (the Linux host asks for
        // 64 bytes first to learn the count).
        let all = state.registrants.map { r in
            ReservationStatus.Registrant(
                controllerID: 0xFFFF, holdsReservation: state.isHolder(r.hostID), hostID: r.hostID, key: r.key)
        }
        let page = WireCopy.page(size: ReservationStatus.size(registrants: all.count, extended: true)) { out in
            ReservationStatus.encode(
                generation: state.generation, type: state.type, persistThroughPowerLoss: state.persistThroughPowerLoss,
                registrants: all, extended: true, into: out)
        }
        WireCopy.window(of: page, offset: 0, length: length, into: data.bytes)
        return .success(bytesToHost: length)
    }

    private func reservationRegister(
        _ r: ReservationRegisterCommand, _ state: ReservationState, host: [UInt8], data: IOBuffer,
        notices: inout ReservationNotices
    ) -> CommandResult {
        guard data.count >= ReservationRegisterCommand.dataSize else {
            return .failure(NVMeStatus.dataSGLLengthInvalid.at(24))
        }
        guard let action = r.action, let persist = r.persistChange else {
            return .failure(NVMeStatus.invalidField.at(40))
        }
        let (current, new) = ReservationKeys.decode(UnsafeRawBufferPointer(data.bytes))
        let i = state.index(of: host)
        switch action {
        case .register:
            if let i {
                // Registering again with the same key is not an error (nvmet, SPDK).
                guard state.registrants[i].key == new else { return .failure(.reservationConflict) }
            } else {
                state.registrants.append(Registrant(hostID: host, key: new))
            }
        case .unregister:
            guard let i, r.ignoreExistingKey || state.registrants[i].key == current else {
                return .failure(.reservationConflict)
            }
            if state.unregister(at: i) { notifyOthers(state, except: host, .reservationReleased, into: &notices) }
        case .replace:
            guard let i, r.ignoreExistingKey || state.registrants[i].key == current else {
                return .failure(.reservationConflict)
            }
            state.registrants[i].key = new
        }
        // CPTPL: clearing is always honoured; setting needs the namespace's
        // persistence file (`ptpl_file`). Without one PTPLS stays 0 and the
        // Report says so: the Linux host sets CPTPL 3 on every register, and
        // refusing it, as SPDK does without a file, fails every Linux register.
        switch persist {
        case .clear: state.persistThroughPowerLoss = false
        case .set: if state.store != nil { state.persistThroughPowerLoss = true }
        case .noChange: break
        }
        state.generation &+= 1
        return .success()
    }

    private func reservationAcquire(
        _ r: ReservationAcquireCommand, _ state: ReservationState, host: [UInt8], data: IOBuffer,
        notices: inout ReservationNotices
    ) -> CommandResult {
        guard !r.ignoreExistingKey, let type = r.type, let action = r.action else {
            return .failure(NVMeStatus.invalidField.at(40))
        }
        guard data.count >= ReservationAcquireCommand.dataSize else {
            return .failure(NVMeStatus.dataSGLLengthInvalid.at(24))
        }
        let (current, preemptKey) = ReservationKeys.decode(UnsafeRawBufferPointer(data.bytes))
        guard let me = state.index(of: host), state.registrants[me].key == current else {
            return .failure(.reservationConflict)
        }
        switch action {
        case .acquire:
            guard let held = state.type else {
                state.type = type
                state.holderHostID = host
                return .success()
            }
            return state.isHolder(host) && held == type ? .success() : .failure(.reservationConflict)
        case .preempt, .preemptAndAbort:
            return preempt(state, host: host, type: type, key: preemptKey, notices: &notices)
        }
    }

    /// Preempt (and Preempt and Abort, which aborts nothing: see the top of this file).
    private func preempt(
        _ state: ReservationState, host: [UInt8], type: ReservationType, key: UInt64,
        notices: inout ReservationNotices
    ) -> CommandResult {
        /// Unregisters every other host whose key is `key` (all others when
        /// `everyone`); false when none matched.
        func removeOthers(withKey key: UInt64, everyone: Bool = false) -> Bool {
            let preempted = state.registrants.filter { $0.hostID != host && (everyone || $0.key == key) }
            for p in preempted {
                if let i = state.index(of: p.hostID) { _ = state.unregister(at: i) }
                notices.append((p.hostID, .registrationPreempted))
            }
            return !preempted.isEmpty
        }
        defer { state.generation &+= 1 }
        guard let held = state.type else {
            // No reservation: preempting only unregisters the hosts with that key.
            return removeOthers(withKey: key) ? .success() : .failure(.reservationConflict)
        }
        if held.allRegistrantsHold {
            if key == 0 {
                _ = removeOthers(withKey: 0, everyone: true)
                state.type = type
                state.holderHostID = host
                return .success()
            }
            return removeOthers(withKey: key) ? .success() : .failure(.reservationConflict)
        }
        let holderKey = state.registrants.first { $0.hostID == state.holderHostID }?.key
        if state.isHolder(host) && key == holderKey {
            // The holder preempting itself changes its reservation's type (SPDK, the spec).
            if type != held {
                state.type = type
                notifyOthers(state, except: host, .reservationReleased, into: &notices)
            }
            return .success()
        }
        guard key != 0 else { return .failure(NVMeStatus.invalidField.at(40)) }
        if key == holderKey {
            // The holder (and every other host with its key) goes; the caller holds.
            _ = removeOthers(withKey: key)
            state.type = type
            state.holderHostID = host
            if type != held { notifyOthers(state, except: host, .reservationReleased, into: &notices) }
            return .success()
        }
        return removeOthers(withKey: key) ? .success() : .failure(.reservationConflict)
    }

    private func reservationRelease(
        _ r: ReservationReleaseCommand, _ state: ReservationState, host: [UInt8], data: IOBuffer,
        notices: inout ReservationNotices
    ) -> CommandResult {
        guard !r.ignoreExistingKey, let action = r.action else { return .failure(NVMeStatus.invalidField.at(40)) }
        guard data.count >= ReservationReleaseCommand.dataSize else {
            return .failure(NVMeStatus.dataSGLLengthInvalid.at(24))
        }
        let (current, _) = ReservationKeys.decode(UnsafeRawBufferPointer(data.bytes))
        guard let me = state.index(of: host), state.registrants[me].key == current else {
            return .failure(.reservationConflict)
        }
        switch action {
        case .release:
            // Releasing what one does not hold is a no-op (nvmet, SPDK).
            guard let held = state.type, state.isHolder(host) else { return .success() }
            guard r.typeValue == held.rawValue else { return .failure(NVMeStatus.invalidField.at(40)) }
            state.releaseReservation()
            if held.rawValue >= 3 { notifyOthers(state, except: host, .reservationReleased, into: &notices) }
        case .clear:
            for other in state.registrants where other.hostID != host {
                notices.append((other.hostID, .reservationPreempted))
            }
            state.registrants.removeAll()
            state.releaseReservation()
            state.generation &+= 1
        }
        return .success()
    }

    private func notifyOthers(
        _ state: ReservationState, except host: [UInt8], _ type: ReservationNotificationLog.NoticeType,
        into notices: inout ReservationNotices
    ) {
        for r in state.registrants where r.hostID != host { notices.append((r.hostID, type)) }
    }
}

extension Subsystem {
    /// Queues a reservation notice for every controller of host `hostID`
    /// (each has its own log) unless the namespace masks that type, and
    /// raises the Reservation Log Page Available event.
    func queueReservationNoticeLocked(
        _ type: ReservationNotificationLog.NoticeType, namespaceID: UInt32, to hostID: [UInt8], mask: UInt32
    ) {
        guard mask & (1 << UInt32(type.rawValue)) == 0 else { return }
        for c in controllers.values where c.hostID == hostID && !c.isTornDown {
            c.reservationNoticeCount &+= 1
            if c.reservationNoticeCount == 0 { c.reservationNoticeCount = 1 }
            // At most 64 queued (nvmet's limit); the gap in counts shows a loss.
            if c.reservationNotices.count >= 64 { c.reservationNotices.removeFirst() }
            c.reservationNotices.append(
                ReservationNotice(type: type, namespaceID: namespaceID, count: c.reservationNoticeCount))
            c.raiseEventLocked(.reservationLogAvailable)
        }
    }
}

// MARK: Persist Through Power Loss

/// A namespace's reservation state as it is persisted (SPDK's `ptpl_file`
/// holds the same fields).
public struct PersistedReservation: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var hostID: [UInt8]
        public var key: UInt64
        public init(hostID: [UInt8], key: UInt64) {
            self.hostID = hostID
            self.key = key
        }
    }
    public var type: ReservationType?
    /// The holder (nil for no reservation; for types 5 and 6 any registrant).
    public var holderHostID: [UInt8]?
    public var registrants: [Entry]

    public init(type: ReservationType?, holderHostID: [UInt8]?, registrants: [Entry]) {
        self.type = type
        self.holderHostID = holderHostID
        self.registrants = registrants
    }
}

/// Where a namespace's reservations persist through power loss: a file
/// (`NVMfConfig.ReservationFile`), written durably before the command that
/// changed the state completes.
public protocol ReservationStore: AnyObject, Sendable {
    /// The state persisted last, or nil when persistence is off or nothing was ever written.
    func load() throws(ReservationStoreError) -> PersistedReservation?
    /// Persists `state`, or records that persistence is off (nil). Durable when it returns.
    func save(_ state: PersistedReservation?) throws(ReservationStoreError)
    /// For save_config and logs.
    var path: String { get }
}

/// Why a reservation store could not be read or written.
public struct ReservationStoreError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ReservationState {
    var persisted: PersistedReservation {
        PersistedReservation(
            type: type, holderHostID: holderHostID,
            registrants: registrants.map { .init(hostID: $0.hostID, key: $0.key) })
    }

    func restore(_ p: PersistedReservation) {
        registrants = p.registrants.map { Registrant(hostID: $0.hostID, key: $0.key) }
        type = p.type
        holderHostID = p.type == nil ? nil : (p.holderHostID ?? registrants.first?.hostID)
        persistThroughPowerLoss = true
    }
}
