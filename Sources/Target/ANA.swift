import NVMe

// Asymmetric Namespace Access: each listener of a subsystem reports, per ANA
// group, whether the namespaces of that group may be reached through it
// (optimized, non-optimized) or not (inaccessible, persistent loss, change).
// A controller's path is the listener its admin queue came through, as in
// SPDK; its I/O queues see the states of that listener. A state change bumps
// the subsystem's generation (every I/O queue refreshes its namespace table
// at its next command) and raises the ANA change event on the controllers of
// that listener, which read log 0Ch again.

/// One listener's ANA states: one for every group, with per-group exceptions.
struct ListenerANAStates: Equatable {
    var allGroups: ANAState = .optimized
    var groups: [UInt32: ANAState] = [:]
    /// When a group of this listener entered the change state, in poll-group
    /// clock milliseconds; set at the first tick after the change (nil until then).
    var changeStartedAt: UInt64?

    func state(_ group: UInt32) -> ANAState { groups[group] ?? allGroups }

    var hasChangeState: Bool { allGroups == .change || groups.values.contains(.change) }
}

extension Subsystem {
    /// ANATT: how long a group may stay in the change state (SPDK and nvmet: 10 s).
    public static let anaTransitionTimeSeconds: UInt8 = 10

    /// ANACAP: every state is reported; a namespace's group never changes while it exists.
    static let anaCapabilities: UInt8 =
        ANACapabilities.reportsOptimized | ANACapabilities.reportsNonOptimized
        | ANACapabilities.reportsInaccessible | ANACapabilities.reportsPersistentLoss
        | ANACapabilities.reportsChange | ANACapabilities.groupIDDoesNotChange

    /// The state of `group` through `listener` (optimized when ANA reporting
    /// is off or the queue has no listener, as with the in-process transport).
    func anaStateLocked(group: UInt32, listener: ListenerAddress?) -> ANAState {
        guard anaReporting, let l = listener else { return .optimized }
        return listenerANAStates[l.endpointKey]?.state(group) ?? .optimized
    }

    /// Sets the ANA state of `listener` for one group, or for every group
    /// when `groupID` is nil (SPDK's `nvmf_subsystem_listener_set_ana_state`).
    ///
    /// Controllers connected through that listener get the ANA change event;
    /// their I/O queues apply the new state from their next command. A group
    /// left in `.change` for `anaTransitionTimeSeconds` becomes inaccessible
    /// (`expireANATransitionsLocked`): a host waits that long for the final
    /// state before it resets the controller.
    ///
    /// - Throws: `.anaReportingDisabled`, `.unknownListener`, `.invalidANAGroup`.
    public func setANAState(_ state: ANAState, listener: ListenerAddress, groupID: UInt32? = nil) throws(TargetError) {
        let changed = try target.lock.withLock { () throws(TargetError) -> Bool in
            guard anaReporting else { throw .anaReportingDisabled(nqn) }
            guard subsystemListeners.contains(where: { $0.isSameEndpoint(as: listener) }) else {
                throw .unknownListener("\(listener.address) port \(listener.serviceID)")
            }
            if let g = groupID, g < 1 || g > UInt32(maxNamespaces) { throw .invalidANAGroup(g) }
            let key = listener.endpointKey
            let before = listenerANAStates[key] ?? ListenerANAStates()
            var after = before
            if let g = groupID {
                after.groups[g] = state
            } else {
                after.allGroups = state
                after.groups.removeAll()
            }
            after.changeStartedAt = nil  // a new change gets a whole ANATT
            guard after.allGroups != before.allGroups || after.groups != before.groups else { return false }
            listenerANAStates[key] = after
            if after.hasChangeState { target.anaTransitionsPending = true }
            anaStatesChangedLocked(listener: listener)
            return true
        }
        if changed {
            target.logger.info(
                "ANA state set",
                metadata: [
                    "nqn": "\(nqn)", "traddr": "\(listener.address)", "trsvcid": "\(listener.serviceID)",
                    "group": "\(groupID.map { "\($0)" } ?? "all")", "state": "\(state)",
                ])
        }
    }

    /// The states of `listener` for every group 1...maxNamespaces (the
    /// `ana_states` of `nvmf_subsystem_get_listeners`), or nil when ANA
    /// reporting is off.
    public func anaStates(listener: ListenerAddress) -> [ANAState]? {
        target.lock.withLock {
            guard anaReporting else { return nil }
            let entry = listenerANAStates[listener.endpointKey] ?? ListenerANAStates()
            return (1...UInt32(maxNamespaces)).map { entry.state($0) }
        }
    }

    /// The groups that hold namespaces, as controller `c` sees them (log 0Ch).
    func anaLogGroupsLocked(for c: Controller) -> [ANALog.Group] {
        var byGroup: [UInt32: [UInt32]] = [:]
        for ns in namespaces.values { byGroup[ns.anaGroupID, default: []].append(ns.namespaceID) }
        let listener = c.adminQueue?.listener
        return byGroup.keys.sorted().map { g in
            ANALog.Group(
                groupID: g, state: anaStateLocked(group: g, listener: listener),
                namespaceIDs: byGroup[g]!.sorted(), changeCount: anaChangeCount)
        }
    }

    /// After a change of `listener`'s states: new change count, I/O queues
    /// refresh, the event to every controller on that listener.
    private func anaStatesChangedLocked(listener: ListenerAddress) {
        anaChangeCount &+= 1
        bumpGeneration()
        for c in controllers.values where c.adminQueue?.listener?.isSameEndpoint(as: listener) == true {
            c.raiseEventLocked(.anaChange)
        }
    }

    /// Groups in the change state past ANATT become inaccessible; returns
    /// true while some group is still in transition.
    func expireANATransitionsLocked(now: UInt64) -> Bool {
        var pending = false
        for (key, var entry) in listenerANAStates where entry.hasChangeState {
            guard let started = entry.changeStartedAt else {
                entry.changeStartedAt = now
                listenerANAStates[key] = entry
                pending = true
                continue
            }
            guard now &- started >= UInt64(Self.anaTransitionTimeSeconds) * 1000 else {
                pending = true
                continue
            }
            if entry.allGroups == .change { entry.allGroups = .inaccessible }
            for (g, s) in entry.groups where s == .change { entry.groups[g] = .inaccessible }
            entry.changeStartedAt = nil
            listenerANAStates[key] = entry
            if let l = subsystemListeners.first(where: { $0.endpointKey == key }) {
                anaStatesChangedLocked(listener: l)
            }
            target.logger.warning(
                "ANA transition not completed within ANATT; the groups in change are now inaccessible",
                metadata: ["nqn": "\(nqn)", "listener": "\(key)"])
        }
        return pending
    }
}

extension NVMfTarget {
    /// Runs from poll-group ticks while some listener has a group in the change state.
    func expireANATransitionsLocked(now: UInt64) {
        var pending = false
        for s in subsystemsByNQN.values where s.anaReporting {
            if s.expireANATransitionsLocked(now: now) { pending = true }
        }
        anaTransitionsPending = pending
    }
}
