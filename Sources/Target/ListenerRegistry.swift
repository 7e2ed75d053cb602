import NVMe

// The target's listeners: the addresses its transports listen on. A
// subsystem's listener (`Subsystem.addListener`) makes the transport listen
// there if none does yet; when the last subsystem lets an address go, the
// transport stops listening. Fabrics Connect admits a queue to a subsystem
// only through one of that subsystem's listeners (`TargetQueue.listener`),
// as nvmet (the port's subsystem links) and SPDK
// (`spdk_nvmf_subsystem_listener_allowed`) do. The discovery subsystem
// answers on every listener.

extension NVMfTarget {
    /// Attaches a transport and makes it listen on every listener of its
    /// type already configured (a daemon builds the subsystems from its
    /// config first, then the transport).
    ///
    /// - Throws: `.cannotListen` naming the address; the listeners started
    ///   before it stay (the caller stops or keeps the transport).
    public func attach(_ transport: any Transport) throws(TargetError) {
        let addresses = lock.withLock { () -> [ListenerAddress] in
            attachedTransports.removeAll { $0.transport == nil }
            attachedTransports.append(WeakTransport(transport: transport))
            return listeners.filter { $0.transportType == transport.transportType }
        }
        for a in addresses { try listen(transport, a) }
    }

    /// Adds a target-wide listener without attaching it to a subsystem (the
    /// discovery service answers there).
    public func addListener(_ address: ListenerAddress) throws(TargetError) {
        try startListening(address)
        lock.withLock { discoveryChangedLocked() }
    }

    /// The target's listeners.
    public var listenerAddresses: [ListenerAddress] { lock.withLock { listeners } }

    /// Listens at `address` unless some transport already does. Without an
    /// attached transport of its type the address is only recorded: `attach` listens later.
    func startListening(_ address: ListenerAddress) throws(TargetError) {
        let transport = lock.withLock { () -> (any Transport)?? in
            if listeners.contains(where: { $0.isSameEndpoint(as: address) }) { return .none }
            return .some(transports.first { $0.transportType == address.transportType })
        }
        // Already listening.
        guard case .some(let t) = transport else { return }
        // The transport's listen runs outside the lock: on RDMA it may
        // register a device's buffers (hundreds of MiB).
        if let t { try listen(t, address) }
        lock.withLock {
            if !listeners.contains(where: { $0.isSameEndpoint(as: address) }) { listeners.append(address) }
        }
    }

    /// Stops listening at `address` when no subsystem has it any more.
    func stopListeningIfUnused(_ address: ListenerAddress) {
        let transport = lock.withLock { () -> (any Transport)? in
            let used = subsystemsByNQN.values.contains { s in
                s.subsystemListeners.contains { $0.isSameEndpoint(as: address) }
            }
            guard !used, let i = listeners.firstIndex(where: { $0.isSameEndpoint(as: address) }) else { return nil }
            listeners.remove(at: i)
            discoveryChangedLocked()
            return transports.first { $0.transportType == address.transportType }
        }
        transport?.stopListening(address)
    }

    private func listen(_ transport: any Transport, _ address: ListenerAddress) throws(TargetError) {
        do {
            try transport.listen(address)
        } catch {
            throw .cannotListen("cannot listen on \(address.address) port \(address.serviceID): \(error)")
        }
        logger.info("listening", metadata: ["traddr": "\(address.address)", "trsvcid": "\(address.serviceID)"])
    }
}
