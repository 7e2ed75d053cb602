import Backends
import Logging
import NVMe

/// The NVMe-oF target: subsystems, listeners, the discovery service, and the
/// registry that keeps namespace identifiers unique.
///
/// Everything here is control path and runs under one lock (hence
/// `@unchecked Sendable`: every stored var is read and written under
/// `lock`). I/O runs on `PollGroup`s made by `makePollGroup`.
public final class NVMfTarget: @unchecked Sendable {
    /// Log sink for connects, teardowns and configuration changes.
    public let logger: Logger
    /// Discovery NQN the discovery controller answers to.
    public let discoveryNQN: String

    let lock = ControlLock()
    var subsystemsByNQN: [String: Subsystem] = [:]
    var subsystemOrder: [String] = []
    /// Addresses some transport listens on (`ListenerRegistry.swift`).
    var listeners: [ListenerAddress] = []
    /// Transports attached with `attach`. Weak: a transport holds its
    /// target, and the daemon or test that made it decides when it goes (a
    /// strong reference here kept every transport's CM event channel alive).
    var attachedTransports: [WeakTransport] = []
    var transports: [any Transport] { attachedTransports.compactMap(\.transport) }
    /// GENCTR of the discovery log: bumped whenever any host's view may change.
    var discoveryGeneration: UInt64 = 1
    /// Some subsystem's listener has an ANA group in the change state: poll
    /// groups' ticks check it against ANATT (`expireANATransitionsLocked`).
    var anaTransitionsPending = false
    /// Controllers of the discovery subsystem.
    var discoveryControllers: [UInt16: Controller] = [:]
    var nextDiscoveryControllerID: UInt16 = 1
    /// Every namespace by its target-wide index (the poll groups' channel index).
    /// Indexes are never reused, so a stale channel can never serve a new namespace.
    var namespaceRegistry: [Namespace?]
    var nextNamespaceIndex = 0
    var usedIdentifiers: Set<[UInt8]> = []
    /// Every poll group made and not shut down, for messages to all of them.
    /// Weak: a group holds its target, and a group a test drops without
    /// `shutdown()` must not keep either alive.
    var pollGroups: [WeakPollGroup] = []
    var nextPollGroupIndex = 0
    /// Block devices by name (`DeviceRegistry.swift`).
    var devicesByName: [String: DeviceRecord] = [:]
    var deviceOrder: [String] = []

    /// Creates an empty target.
    ///
    /// - Parameters:
    ///   - maxNamespaceSlots: namespaces the target can create over its
    ///     lifetime (each poll group preallocates a channel slot per index).
    public init(
        logger: Logger = Logger(label: "nvmf.target"), maxNamespaceSlots: Int = 4096,
        discoveryNQN: String = NVMe.discoverySubsystemNQN
    ) {
        self.logger = logger
        self.discoveryNQN = discoveryNQN
        namespaceRegistry = Array(repeating: nil, count: max(maxNamespaceSlots, 1))
    }

    // MARK: Subsystems

    /// Creates a subsystem in the inactive state (call `start()` to accept connects).
    ///
    /// - Throws: `.invalidNQN`, `.duplicateSubsystem`, `.invalidControllerIDRange`.
    @discardableResult
    public func addSubsystem(
        nqn: String, serialNumber: String = "", modelNumber: String = "Swift NVMe-oF target",
        allowAnyHost: Bool = false, maxNamespaces: Int = 32, controllerIDRange: ClosedRange<UInt16> = 1...0xFFEF,
        anaReporting: Bool = false
    ) throws(TargetError) -> Subsystem {
        guard NQN.isValid(nqn), nqn != discoveryNQN else { throw .invalidNQN(nqn) }
        guard controllerIDRange.lowerBound >= 1, controllerIDRange.upperBound <= 0xFFEF else {
            throw .invalidControllerIDRange
        }
        return try lock.withLock { () throws(TargetError) -> Subsystem in
            guard subsystemsByNQN[nqn] == nil else { throw .duplicateSubsystem(nqn) }
            let serial = serialNumber.isEmpty ? Self.serial(for: nqn) : serialNumber
            let s = Subsystem(
                target: self, nqn: nqn, serialNumber: serial, modelNumber: modelNumber, allowAnyHost: allowAnyHost,
                maxNamespaces: min(max(maxNamespaces, 1), 1024), controllerIDRange: controllerIDRange,
                anaReporting: anaReporting)
            subsystemsByNQN[nqn] = s
            subsystemOrder.append(nqn)
            discoveryChangedLocked()
            logger.info("subsystem added", metadata: ["nqn": "\(nqn)"])
            return s
        }
    }

    /// Removes a subsystem, tearing down its controllers and namespaces.
    /// `onReleased` runs once every poll group has let go of every one of
    /// its namespaces' devices (see `Subsystem.removeNamespace`).
    public func removeSubsystem(nqn: String, onReleased: @escaping @Sendable () -> Void = {}) throws(TargetError) {
        var actions = DeferredActions()
        let removed = try lock.withLock { () throws(TargetError) -> [Namespace] in
            guard let s = subsystemsByNQN.removeValue(forKey: nqn) else { throw .unknownSubsystem(nqn) }
            subsystemOrder.removeAll { $0 == nqn }
            s.stateLocked = .inactive
            for c in s.controllers.values { c.tearDownLocked(reason: "subsystem removed", &actions) }
            let namespaces = Array(s.namespaces.values)
            for ns in namespaces { releaseNamespaceLocked(ns) }
            s.namespaces.removeAll()
            s.bumpGeneration()
            discoveryChangedLocked()
            return namespaces
        }
        actions.run()
        logger.info("subsystem removed", metadata: ["nqn": "\(nqn)"])
        let all = PollGroupBarrier(count: removed.count, onComplete: onReleased)
        for ns in removed { retire(ns, onReleased: { all.pass() }) }
    }

    /// The subsystem with this NQN.
    public func subsystem(nqn: String) -> Subsystem? { lock.withLock { subsystemsByNQN[nqn] } }

    /// NQNs of all subsystems, in creation order.
    public var subsystemNQNs: [String] { lock.withLock { subsystemOrder } }

    /// GENCTR of the discovery log page.
    public var discoveryGenerationCounter: UInt64 { lock.withLock { discoveryGeneration } }

    // MARK: Poll groups

    /// Makes a poll group: one per I/O thread.
    ///
    /// - Parameters:
    ///   - maxQueues: queues (connections) the group can hold at once.
    ///   - channelQueueDepth: depth of each backend channel it opens.
    public func makePollGroup(maxQueues: Int = 1024, channelQueueDepth: Int = 4096) -> PollGroup {
        lock.withLock {
            let g = PollGroup(
                target: self, index: nextPollGroupIndex, maxQueues: maxQueues, channelQueueDepth: channelQueueDepth)
            nextPollGroupIndex += 1
            pollGroups.removeAll { $0.mailbox == nil }
            pollGroups.append(WeakPollGroup(mailbox: g.mailbox))
            return g
        }
    }

    /// Posts `message` to every poll group; `onComplete` runs once all of
    /// them have done it (at once when there is none), on the thread of the
    /// last one. `spdk_for_each_channel`, with a message for the callback.
    @discardableResult
    public func postToEveryPollGroup(
        _ message: PollGroupMessage, onComplete: @escaping @Sendable () -> Void = {}
    ) -> PollGroupBarrier {
        let mailboxes = lock.withLock { pollGroups.compactMap(\.mailbox) }
        let barrier = PollGroupBarrier(count: mailboxes.count, onComplete: onComplete)
        for m in mailboxes where !m.post(.init(message: message, barrier: barrier)) { barrier.pass() }
        return barrier
    }

    func forgetPollGroup(_ group: PollGroup) {
        lock.withLock { pollGroups.removeAll { $0.mailbox == nil || $0.mailbox === group.mailbox } }
    }

    // MARK: Internals (lock held)

    func discoveryChangedLocked() {
        discoveryGeneration &+= 1
        for c in discoveryControllers.values { c.raiseEventLocked(.discoveryLogChanged) }
    }

    /// The next namespace slot, if its identifiers (UUID, NGUID, EUI-64) are
    /// each unique among identifiers of their type across the target (zero
    /// identifiers mean "none" and are not reserved). Nothing is taken until
    /// `commitNamespaceIndexLocked`, so a later failure leaves nothing behind.
    func reserveNamespaceIndexLocked(uuid: [UInt8], nguid: [UInt8], eui64: [UInt8]) throws(TargetError) -> Int {
        let keys = Self.identifierKeys(uuid: uuid, nguid: nguid, eui64: eui64)
        guard keys.allSatisfy({ !usedIdentifiers.contains($0) }) else { throw .duplicateIdentifier }
        guard nextNamespaceIndex < namespaceRegistry.count else { throw .noResources }
        return nextNamespaceIndex
    }

    /// Takes the index `reserveNamespaceIndexLocked` returned and its identifiers.
    func commitNamespaceIndexLocked(uuid: [UInt8], nguid: [UInt8], eui64: [UInt8]) {
        for k in Self.identifierKeys(uuid: uuid, nguid: nguid, eui64: eui64) { usedIdentifiers.insert(k) }
        nextNamespaceIndex += 1
    }

    func releaseNamespaceLocked(_ ns: Namespace) {
        for k in Self.identifierKeys(uuid: ns.uuid, nguid: ns.nguid, eui64: ns.eui64) { usedIdentifiers.remove(k) }
        if ns.globalIndex < namespaceRegistry.count { namespaceRegistry[ns.globalIndex] = nil }
    }

    /// NIDT-prefixed identifiers, so equal bytes of different types do not clash.
    static func identifierKeys(uuid: [UInt8], nguid: [UInt8], eui64: [UInt8]) -> [[UInt8]] {
        [
            (NamespaceDescriptorList.uuid, uuid), (NamespaceDescriptorList.nguid, nguid),
            (NamespaceDescriptorList.eui64, eui64),
        ]
        .filter { $0.1.contains { $0 != 0 } }
        .map { [$0.0] + $0.1 }
    }

    /// Tells every poll group to let go of `ns` (already out of the
    /// registry, so no group can open it again), then releases its device's
    /// claim and runs `onReleased`.
    func retire(_ ns: Namespace, onReleased: @escaping @Sendable () -> Void) {
        let index = ns.globalIndex
        let deviceName = ns.device.name
        postToEveryPollGroup(.releaseNamespace(index: index)) { [weak self] in
            self?.lock.withLock { self?.releaseDeviceClaimLocked(name: deviceName, namespaceIndex: index) }
            onReleased()
        }
    }

    func namespaceLocked(globalIndex: Int) -> Namespace? {
        globalIndex >= 0 && globalIndex < namespaceRegistry.count ? namespaceRegistry[globalIndex] : nil
    }

    /// A 20-character serial derived from the NQN (FNV-1a), so restarts keep it.
    static func serial(for nqn: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in nqn.utf8 {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// A poll group as the target lists it: by its mailbox, weakly. Not the
/// group itself: a weak reference gives an object a side table, after which
/// every retain and release of it takes the slow path, and the poll loop
/// retains its group (+100 instructions per 4 KiB read in perf/target-core
/// when the group was referenced weakly).
struct WeakPollGroup {
    weak var mailbox: PollGroupMailbox?
}

struct WeakTransport {
    weak var transport: (any Transport)?
}

/// Transport calls collected under the lock and made after releasing it,
/// so a transport may re-enter the target from them.
struct DeferredActions {
    var completions: [(any TransportQueue, UInt32, CommandResult)] = []
    var disconnects: [any TransportQueue] = []

    mutating func complete(_ q: (any TransportQueue)?, slot: UInt32, _ r: CommandResult) {
        if let q { completions.append((q, slot, r)) }
    }

    mutating func disconnect(_ q: (any TransportQueue)?) {
        if let q, !disconnects.contains(where: { $0 === q }) { disconnects.append(q) }
    }

    func run() {
        for (q, slot, r) in completions { q.completeRequest(slot: slot, result: r) }
        for q in disconnects { q.disconnect() }
    }
}
