import Atomics
import Backends
import NVMe

/// Lifecycle of a subsystem (SPDK's subsystem states, reduced).
public enum SubsystemState: Sendable, Hashable {
    /// Configured but not serving: Connect is refused, I/O is not possible.
    case inactive
    /// Serving hosts.
    case active
    /// Connected hosts stay connected, I/O is answered Namespace Not Ready
    /// (retryable) until `resume()`: the window for namespace changes.
    case paused
}

/// An NVM subsystem: identity, the hosts allowed in, namespaces, controllers.
public final class Subsystem {
    unowned let target: NVMfTarget
    /// SUBNQN.
    public let nqn: String
    /// SN reported in Identify Controller.
    public let serialNumber: String
    /// MN reported in Identify Controller.
    public let modelNumber: String
    /// Most namespaces (and the largest NSID); reported as NN and MNAN.
    public let maxNamespaces: Int
    /// Controller IDs this subsystem hands out.
    public let controllerIDRange: ClosedRange<UInt16>
    /// Asymmetric Namespace Access reporting (SPDK's `ana_reporting`): the
    /// controllers report ANA groups, per-listener states, log 0Ch and its
    /// event; off, every path is optimized and none of it is reported.
    public let anaReporting: Bool

    var stateLocked: SubsystemState = .inactive
    var allowAnyHostLocked: Bool
    var hosts: Set<String> = []
    var subsystemListeners: [ListenerAddress] = []
    var namespaces: [UInt32: Namespace] = [:]
    var controllers: [UInt16: Controller] = [:]
    var nextControllerID: UInt16
    /// Bumped on every namespace or state change; I/O queues compare it with
    /// their snapshot (one atomic load per command) and refresh under the lock.
    /// `UnsafeAtomic` so an I/O queue can keep a copy and load it without
    /// retaining anything; it lives as long as the subsystem (queues hold the
    /// subsystem while they hold the copy).
    let generation = UnsafeAtomic<UInt64>.create(0)
    /// ANA change counter (log 0Ch CHGCNT).
    var anaChangeCount: UInt64 = 1
    /// ANA states by listener (`ListenerAddress.endpointKey`); a listener
    /// without an entry is optimized for every group.
    var listenerANAStates: [String: ListenerANAStates] = [:]

    init(
        target: NVMfTarget, nqn: String, serialNumber: String, modelNumber: String, allowAnyHost: Bool,
        maxNamespaces: Int, controllerIDRange: ClosedRange<UInt16>, anaReporting: Bool
    ) {
        self.target = target
        self.nqn = nqn
        self.serialNumber = serialNumber
        self.modelNumber = modelNumber
        self.allowAnyHostLocked = allowAnyHost
        self.maxNamespaces = maxNamespaces
        self.controllerIDRange = controllerIDRange
        self.anaReporting = anaReporting
        self.nextControllerID = controllerIDRange.lowerBound
    }

    deinit { generation.destroy() }

    func bumpGeneration() { generation.wrappingIncrement(ordering: .releasing) }

    // MARK: State

    /// The current state.
    public var state: SubsystemState { target.lock.withLock { stateLocked } }

    /// inactive → active.
    public func start() throws(TargetError) {
        try target.lock.withLock { () throws(TargetError) in
            guard stateLocked == .inactive else { throw .invalidState }
            stateLocked = .active
            bumpGeneration()
        }
    }

    /// active → paused: I/O is held off (Namespace Not Ready, retryable).
    public func pause() throws(TargetError) {
        try target.lock.withLock { () throws(TargetError) in
            guard stateLocked == .active else { throw .invalidState }
            stateLocked = .paused
            bumpGeneration()
        }
    }

    /// paused → active.
    public func resume() throws(TargetError) {
        try target.lock.withLock { () throws(TargetError) in
            guard stateLocked == .paused else { throw .invalidState }
            stateLocked = .active
            bumpGeneration()
        }
    }

    /// active or paused → inactive: every controller is torn down.
    public func stop() {
        var actions = DeferredActions()
        target.lock.withLock {
            stateLocked = .inactive
            for c in controllers.values { c.tearDownLocked(reason: "subsystem stopped", &actions) }
            bumpGeneration()
        }
        actions.run()
    }

    // MARK: Hosts

    /// When true any host NQN may connect; otherwise only those allowed.
    public var allowAnyHost: Bool {
        get { target.lock.withLock { allowAnyHostLocked } }
        set {
            target.lock.withLock {
                allowAnyHostLocked = newValue
                target.discoveryChangedLocked()
            }
        }
    }

    /// Lets `hostNQN` connect.
    public func addHost(_ hostNQN: String) throws(TargetError) {
        guard NQN.isValid(hostNQN) else { throw .invalidNQN(hostNQN) }
        target.lock.withLock {
            hosts.insert(hostNQN)
            target.discoveryChangedLocked()
        }
    }

    /// Stops `hostNQN` from connecting and disconnects its controllers on
    /// this subsystem (SPDK's `nvmf_subsystem_remove_host` does the same);
    /// a reconnect gets Connect Invalid Host.
    public func removeHost(_ hostNQN: String) {
        var actions = DeferredActions()
        target.lock.withLock {
            hosts.remove(hostNQN)
            if !allowAnyHostLocked {
                for c in controllers.values where c.hostNQN == hostNQN {
                    c.tearDownLocked(reason: "host removed", &actions)
                }
            }
            target.discoveryChangedLocked()
        }
        actions.run()
    }

    /// The allowed host NQNs.
    public var allowedHosts: [String] { target.lock.withLock { hosts.sorted() } }

    func allowsLocked(host: String) -> Bool { allowAnyHostLocked || hosts.contains(host) }

    // MARK: Listeners

    /// Makes the subsystem reachable (and reported by discovery) at
    /// `address`; the transport starts listening there if it was not.
    ///
    /// - Throws: `.cannotListen` when the transport cannot listen there.
    public func addListener(_ address: ListenerAddress) throws(TargetError) {
        try target.startListening(address)
        target.lock.withLock {
            if !subsystemListeners.contains(where: { $0.isSameEndpoint(as: address) }) {
                subsystemListeners.append(address)
            }
            target.discoveryChangedLocked()
        }
    }

    /// Stops serving the subsystem at `address`: discovery drops it, every
    /// queue of this subsystem that came through it is disconnected (a
    /// controller whose admin queue did is torn down), and the transport
    /// stops listening there unless another subsystem still uses it.
    ///
    /// - Throws: `.unknownListener` when the subsystem has no such listener.
    public func removeListener(_ address: ListenerAddress) throws(TargetError) {
        var actions = DeferredActions()
        try target.lock.withLock { () throws(TargetError) in
            guard subsystemListeners.contains(where: { $0.isSameEndpoint(as: address) }) else {
                throw .unknownListener("\(address.address) port \(address.serviceID)")
            }
            subsystemListeners.removeAll { $0.isSameEndpoint(as: address) }
            listenerANAStates[address.endpointKey] = nil
            for c in controllers.values {
                if let admin = c.adminQueue, admin.listener?.isSameEndpoint(as: address) == true {
                    c.tearDownLocked(reason: "listener removed", &actions)
                    continue
                }
                for q in c.ioQueues.values where q.listener?.isSameEndpoint(as: address) == true {
                    actions.disconnect(q.transport)
                }
            }
            target.discoveryChangedLocked()
        }
        actions.run()
        target.stopListeningIfUnused(address)
        target.logger.info(
            "listener removed",
            metadata: ["nqn": "\(nqn)", "traddr": "\(address.address)", "trsvcid": "\(address.serviceID)"])
    }

    /// The subsystem's listeners.
    public var listeners: [ListenerAddress] { target.lock.withLock { subsystemListeners } }

    // MARK: Namespaces

    /// Adds a namespace backed by `device`.
    ///
    /// An active subsystem is paused around the change and resumed after it
    /// (pause–change–resume); each controller records the NSID in its
    /// Changed Namespace List and raises a Namespace Attribute Changed event.
    ///
    /// - Parameters:
    ///   - namespaceID: the NSID, or nil for the lowest free one.
    ///   - uuid, nguid, eui64: identifiers; by default UUID and NGUID come
    ///     from the device's UUID and EUI-64 is not reported.
    ///   - anaGroupID: the ANA group (1...maxNamespaces), by default the NSID.
    ///   - reservationStore: where reservations persist through power loss
    ///     (SPDK's `ptpl_file`); what it holds is restored now.
    /// - Returns: the namespace.
    /// - Throws: `.namespaceLimit`, `.invalidNamespaceID`, `.duplicateIdentifier`, `.invalidANAGroup`.
    @discardableResult
    public func addNamespace(
        device: any BlockDevice, namespaceID: UInt32? = nil, uuid: DeviceUUID? = nil, nguid: [UInt8]? = nil,
        eui64: [UInt8]? = nil, readOnly: Bool = false, anaGroupID: UInt32? = nil,
        reservationStore: (any ReservationStore)? = nil
    ) throws(TargetError) -> Namespace {
        // The persisted reservations are read before anything is made: a
        // file that cannot be read fails the add, naming it.
        var persisted: PersistedReservation? = nil
        if let store = reservationStore {
            do throws(ReservationStoreError) { persisted = try store.load() } catch {
                throw .reservationStore("\(store.path): \(error.message)")
            }
        }
        var actions = DeferredActions()
        let ns = try target.lock.withLock { () throws(TargetError) -> Namespace in
            guard namespaces.count < maxNamespaces else { throw .namespaceLimit }
            try target.checkDeviceUnclaimedLocked(device)
            let nsid: UInt32
            if let requested = namespaceID {
                guard requested >= 1, requested <= UInt32(maxNamespaces), namespaces[requested] == nil else {
                    throw .invalidNamespaceID(requested)
                }
                nsid = requested
            } else {
                guard let free = (1...UInt32(maxNamespaces)).first(where: { namespaces[$0] == nil }) else {
                    throw .namespaceLimit
                }
                nsid = free
            }
            // SPDK's default: each namespace its own ANA group, numbered as its NSID.
            let group = anaGroupID ?? nsid
            guard group >= 1, group <= UInt32(maxNamespaces) else { throw .invalidANAGroup(group) }
            var u = (uuid ?? device.uuid).array
            if u.allSatisfy({ $0 == 0 }) { u = DeviceUUID.random().array }
            let g = nguid ?? u
            let e = eui64 ?? [UInt8](repeating: 0, count: 8)
            guard g.count == 16, e.count == 8 else { throw .duplicateIdentifier }
            let index = try target.reserveNamespaceIndexLocked(uuid: u, nguid: g, eui64: e)
            try target.claimDeviceLocked(device, namespaceIndex: index, by: "\(nqn) nsid \(nsid)")
            target.commitNamespaceIndexLocked(uuid: u, nguid: g, eui64: e)
            let ns = Namespace(
                namespaceID: nsid, device: device, uuid: u, nguid: g, eui64: e, readOnly: readOnly, anaGroupID: group,
                globalIndex: index)
            ns.reservation.store = reservationStore
            if let persisted { ns.reservation.restore(persisted) }
            target.namespaceRegistry[index] = ns
            namespaceChangedLocked { namespaces[nsid] = ns }
            for c in controllers.values { c.namespaceChangedLocked(nsid, &actions) }
            return ns
        }
        actions.run()
        target.logger.info("namespace added", metadata: ["nqn": "\(nqn)", "nsid": "\(ns.namespaceID)"])
        return ns
    }

    /// Removes namespace `nsid` (pause–change–resume as for `addNamespace`),
    /// raising the Namespace Attribute Changed event on every controller.
    ///
    /// I/O queues stop submitting to it at their next command; each poll
    /// group closes its channel once that channel's I/O has completed
    /// (`PollGroupMessage.releaseNamespace`). `onReleased` runs after every
    /// group has, on a poll group's thread: from then on no thread touches
    /// the device, and its claim (`NVMfTarget.registerDevice`) is released.
    public func removeNamespace(_ nsid: UInt32, onReleased: @escaping @Sendable () -> Void = {}) throws(TargetError) {
        var actions = DeferredActions()
        let ns = try target.lock.withLock { () throws(TargetError) -> Namespace in
            guard let ns = namespaces[nsid] else { throw .unknownNamespace(nsid) }
            namespaceChangedLocked { namespaces[nsid] = nil }
            target.releaseNamespaceLocked(ns)
            for c in controllers.values { c.namespaceChangedLocked(nsid, &actions) }
            return ns
        }
        actions.run()
        target.logger.info("namespace removed", metadata: ["nqn": "\(nqn)", "nsid": "\(nsid)"])
        target.retire(ns, onReleased: onReleased)
    }

    /// The namespace with this NSID.
    public func namespace(_ nsid: UInt32) -> Namespace? { target.lock.withLock { namespaces[nsid] } }

    /// Active NSIDs, ascending.
    public var namespaceIDs: [UInt32] { target.lock.withLock { namespaces.keys.sorted() } }

    /// Number of live controllers.
    public var controllerCount: Int { target.lock.withLock { controllers.count } }

    /// Runs `change` with I/O held off: an active subsystem is paused for it
    /// and resumed after; each transition bumps the generation I/O queues watch.
    private func namespaceChangedLocked(_ change: () -> Void) {
        let wasActive = stateLocked == .active
        if wasActive {
            stateLocked = .paused
            bumpGeneration()
        }
        change()
        anaChangeCount &+= 1
        bumpGeneration()
        if wasActive {
            stateLocked = .active
            bumpGeneration()
        }
    }

    /// Hands out the next free controller ID in the range, wrapping.
    func allocateControllerIDLocked() -> UInt16? {
        let span = Int(controllerIDRange.upperBound) - Int(controllerIDRange.lowerBound) + 1
        for _ in 0..<span {
            let id = nextControllerID
            nextControllerID = id >= controllerIDRange.upperBound ? controllerIDRange.lowerBound : id + 1
            if controllers[id] == nil { return id }
        }
        return nil
    }
}
