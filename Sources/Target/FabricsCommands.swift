import Backends
import NVMe

extension TargetQueue {
    /// Connect (Fabrics 01h): creates a controller (admin queue, CNTLID
    /// FFFFh) or attaches this I/O queue to the controller named by
    /// (SUBNQN, HOSTNQN, CNTLID).
    ///
    /// Every admin Connect makes a new controller, so a second path to a
    /// subsystem is a second controller (CMIC bit 1). Failures follow the
    /// reference §1.6: Incompatible Format, Invalid Parameters with IPO/IATTR
    /// in DW0, Invalid Host, Controller Busy.
    func executeConnectLocked(_ command: SubmissionQueueEntry, data: IOBuffer) -> CommandResult {
        let connect = ConnectCommand(command)
        guard !isConnected else { return refusedConnect("queue already connected", .failure(.connectControllerBusy)) }
        guard connect.recordFormat == 0 else {
            return refusedConnect(
                "record format \(connect.recordFormat) is not 0",
                .failure(NVMeStatus.connectIncompatibleFormat.at(ConnectCommand.Offset.recordFormat)))
        }
        if let refused = checkNegotiatedLocked(connect) { return refused }
        guard data.count >= ConnectData.wireSize else {
            return refusedConnect(
                "Connect data is \(data.count) bytes, not 1024", .failure(NVMeStatus.dataSGLLengthInvalid.at(24)))
        }
        let raw = data.bytes
        guard ConnectData.isTerminated(raw, field: ConnectData.Offset.subsystemNQN) else {
            return refusedConnect(
                "SUBNQN is not NUL-terminated", invalidParameter(ConnectData.Offset.subsystemNQN, inData: true))
        }
        // HOSTNQN only has to be a terminated string, as in nvmet and SPDK:
        // SPDK v24.01's identify and perf send an empty one unless told
        // otherwise. An allow-list compares it byte for byte with the NQNs
        // it holds (validated when added), so a malformed one only gets
        // into a subsystem open to any host.
        guard ConnectData.isTerminated(raw, field: ConnectData.Offset.hostNQN),
            let connectData = ConnectData(decoding: raw)
        else {
            return refusedConnect(
                "HOSTNQN is not NUL-terminated UTF-8", invalidParameter(ConnectData.Offset.hostNQN, inData: true))
        }
        let host = connectData.hostNQN.isEmpty ? "(empty)" : connectData.hostNQN

        if connectData.subsystemNQN == target.discoveryNQN {
            guard connect.queueID == 0 else {
                return refusedConnect(
                    "I/O queue \(connect.queueID) to the discovery subsystem, host \(host)",
                    invalidParameter(ConnectCommand.Offset.queueID, inData: false))
            }
            return connectAdminLocked(connect, connectData, subsystem: nil)
        }
        guard let s = target.subsystemsByNQN[connectData.subsystemNQN], s.stateLocked != .inactive else {
            return refusedConnect(
                "unknown or inactive subsystem \(connectData.subsystemNQN), host \(host)",
                invalidParameter(ConnectData.Offset.subsystemNQN, inData: true))
        }
        // Through one of its listeners only (nvmet: the port's subsystem
        // links; it answers an unlinked subsystem as unknown, so do we).
        if let l = listener, !s.subsystemListeners.contains(where: { $0.isSameEndpoint(as: l) }) {
            return refusedConnect(
                "subsystem \(s.nqn) has no listener at \(l.address) port \(l.serviceID), host \(host)",
                invalidParameter(ConnectData.Offset.subsystemNQN, inData: true))
        }
        guard s.allowsLocked(host: connectData.hostNQN) else {
            return refusedConnect("host \(host) is not allowed in \(s.nqn)", .failure(.connectInvalidHost))
        }
        if connect.queueID == 0 { return connectAdminLocked(connect, connectData, subsystem: s) }
        return connectIOLocked(connect, connectData, subsystem: s)
    }

    /// Logs why a Connect is refused (every refusal says why, at info level:
    /// a host that cannot connect is an operator's first question) and
    /// returns `result`.
    private func refusedConnect(_ reason: String, _ result: CommandResult) -> CommandResult {
        target.logger.info(
            "connect refused: \(reason)",
            metadata: ["status": "\(result.status)", "dword0": "\(result.dword0)"])
        return result
    }

    /// Holds Connect to what the transport negotiated for this connection
    /// (`negotiated`, from `PollGroup.addQueue`); nil when it agrees.
    ///
    /// The transport sized this queue before any command arrived (RDMA: QP,
    /// receive buffers and request slots from the CM private data's QID and
    /// HSQSIZE), so Connect may not re-label or enlarge it:
    /// - a QID other than the transport's: the queue would take the role
    ///   (admin or I/O, which QID) of a connection it was not built for;
    /// - SQSIZE + 1 above the negotiated depth: the host would be allowed
    ///   more commands in flight than the queue has slots, and the excess
    ///   would be dropped as a flow-control violation instead of refused here.
    /// Both are Connect Invalid Parameters with IPO naming the SQE field, the
    /// status the reference (§1.6) and nvmet give for a bad QID or SQSIZE.
    /// nvmet and SPDK bound SQSIZE only by their configured maxima (MQES,
    /// max_queue_depth) and take the QID from Connect alone; checking against
    /// the per-connection values is stricter and cannot refuse the Linux
    /// host, which sends the same QID and SQSIZE = HSQSIZE in both places.
    private func checkNegotiatedLocked(_ connect: ConnectCommand) -> CommandResult? {
        guard let n = negotiated else { return nil }
        if connect.queueID != n.queueID {
            return refusedConnect(
                "Connect QID \(connect.queueID) differs from the transport's QID \(n.queueID)",
                invalidParameter(ConnectCommand.Offset.queueID, inData: false))
        }
        if connect.queueDepth > n.queueDepth {
            return refusedConnect(
                "Connect SQSIZE \(connect.submissionQueueSize) exceeds the transport's depth \(n.queueDepth)",
                invalidParameter(ConnectCommand.Offset.submissionQueueSize, inData: false))
        }
        return nil
    }

    private func invalidParameter(_ offset: Int, inData: Bool) -> CommandResult {
        let status = inData ? NVMeStatus.connectInvalidParameters : NVMeStatus.connectInvalidParameters.at(offset)
        return .failure(status, dword0: ConnectResponse.invalidParameter(offset: offset, inData: inData))
    }

    private func connectAdminLocked(_ connect: ConnectCommand, _ data: ConnectData, subsystem s: Subsystem?)
        -> CommandResult
    {
        guard data.controllerID == ConnectData.dynamicControllerID else {
            return refusedConnect(
                "admin Connect with CNTLID \(data.controllerID), not FFFFh",
                invalidParameter(ConnectData.Offset.controllerID, inData: true))
        }
        guard connect.submissionQueueSize >= 1, connect.queueDepth <= options.maxAdminQueueDepth else {
            return refusedConnect(
                "admin SQSIZE \(connect.submissionQueueSize) outside 1...\(options.maxAdminQueueDepth - 1)",
                invalidParameter(ConnectCommand.Offset.submissionQueueSize, inData: false))
        }
        let controllerID: UInt16
        if let s {
            guard let id = s.allocateControllerIDLocked() else {
                return refusedConnect("no free controller ID in \(s.nqn)", .failure(.connectControllerBusy))
            }
            controllerID = id
        } else {
            guard let id = allocateDiscoveryControllerIDLocked() else {
                return refusedConnect("no free discovery controller ID", .failure(.connectControllerBusy))
            }
            controllerID = id
        }
        let c = Controller(
            target: target, subsystem: s, controllerID: controllerID, hostNQN: data.hostNQN, hostID: data.hostID,
            keepAliveTimeoutMS: connect.keepAliveTimeout, options: options)
        c.adminQueue = self
        if let s { s.controllers[controllerID] = c } else { target.discoveryControllers[controllerID] = c }
        attachLocked(c, connect, subsystem: s)
        target.logger.info(
            "controller created",
            metadata: [
                "nqn": "\(s?.nqn ?? target.discoveryNQN)", "cntlid": "\(controllerID)", "host": "\(data.hostNQN)",
                "kato": "\(connect.keepAliveTimeout)",
            ])
        return .success(dword0: ConnectResponse.success(controllerID: controllerID))
    }

    private func connectIOLocked(_ connect: ConnectCommand, _ data: ConnectData, subsystem s: Subsystem)
        -> CommandResult
    {
        guard Int(connect.queueID) <= options.maxIOQueues else {
            return refusedConnect(
                "QID \(connect.queueID) above the \(options.maxIOQueues) I/O queues allowed",
                invalidParameter(ConnectCommand.Offset.queueID, inData: false))
        }
        guard connect.submissionQueueSize >= 1, connect.queueDepth <= options.maxQueueDepth else {
            return refusedConnect(
                "I/O SQSIZE \(connect.submissionQueueSize) outside 1...\(options.maxQueueDepth - 1)",
                invalidParameter(ConnectCommand.Offset.submissionQueueSize, inData: false))
        }
        guard let c = s.controllers[data.controllerID], c.hostNQN == data.hostNQN, !c.isTornDown else {
            return refusedConnect(
                "no live controller \(data.controllerID) of this host in \(s.nqn)",
                invalidParameter(ConnectData.Offset.controllerID, inData: true))
        }
        guard c.isReady else {
            return refusedConnect(
                "I/O queue before controller \(c.controllerID) is enabled", .failure(.commandSequenceError))
        }
        guard c.ioQueues[connect.queueID] == nil else {
            return refusedConnect(
                "QID \(connect.queueID) of controller \(c.controllerID) already exists",
                .failure(.connectControllerBusy))
        }
        c.ioQueues[connect.queueID] = self
        attachLocked(c, connect, subsystem: s)
        namespaces = ContiguousArray(repeating: .absent, count: s.maxNamespaces)
        namespaceGeneration = .max
        return .success(dword0: ConnectResponse.success(controllerID: c.controllerID))
    }

    private func attachLocked(_ c: Controller, _ connect: ConnectCommand, subsystem s: Subsystem?) {
        controller = c
        subsystem = s
        generationWatch = s?.generation
        queueID = connect.queueID
        queueDepth = connect.queueDepth
        disablesSQFlowControl = connect.disablesSQFlowControl
        isConnected = true
        if connect.queueID == 0 { pollGroup.adminQueuesConnected += 1 } else { pollGroup.ioQueuesConnected += 1 }
        transport?.fabricsConnected()
    }

    private func allocateDiscoveryControllerIDLocked() -> UInt16? {
        for _ in 0..<0xFFEF {
            let id = target.nextDiscoveryControllerID
            target.nextDiscoveryControllerID = id >= 0xFFEF ? 1 : id + 1
            if target.discoveryControllers[id] == nil { return id }
        }
        return nil
    }

    /// Property Get / Property Set on the admin queue.
    func executePropertyLocked(_ c: Controller, _ command: SubmissionQueueEntry, _ actions: inout DeferredActions)
        -> CommandResult
    {
        let p = PropertyCommand(command)
        guard p.sizeField <= 1 else { return .failure(NVMeStatus.invalidField.at(40)) }
        let eightBytes = p.sizeField == 1
        if p.isGet {
            let (status, value) = c.propertyGetLocked(offset: p.offset, eightBytes: eightBytes)
            guard status.isSuccess else { return .failure(status) }
            return .success(
                dword0: UInt32(truncatingIfNeeded: value), dword1: UInt32(truncatingIfNeeded: value >> 32))
        }
        let status = c.propertySetLocked(offset: p.offset, eightBytes: eightBytes, value: p.value, &actions)
        return status.isSuccess ? .success() : .failure(status)
    }
}
