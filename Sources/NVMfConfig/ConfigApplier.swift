import Backends
import Logging
import RBDBackend
import Target

/// What applying a configuration produced: the devices it registered with
/// the target (which closes them: `NVMfTarget.closeAllDevices`), the
/// transport settings and the addresses to listen on.
public struct AppliedConfiguration {
    /// Block devices by bdev name (also in the target's registry).
    public var devices: [String: any BlockDevice] = [:]
    /// The transport's settings (SPDK's defaults if the file had none).
    public var transport = TransportConfig()
    /// Distinct listen addresses over all subsystems, in file order (a
    /// listener's PORTID is its position here, plus one).
    public var listeners: [ListenerConfig] = []
    /// `nvmf_create_transport` was applied.
    public var transportCreated = false
    /// Ceph clusters registered by `bdev_rbd_register_cluster` (shared: a
    /// copy of this value refers to the same registry).
    public var rbdClusters = RBDClusterRegistry()

    public init() {}
}

/// What one applied call made, for an RPC's result.
public enum ConfigOutcome: Equatable {
    case device(name: String)
    case subsystem(nqn: String)
    case namespace(nsid: UInt32)
    case cluster(name: String)
    case done
}

extension ConfigFile {
    /// Creates the devices and subsystems the file describes on `target`.
    ///
    /// Subsystems are started (active) once the whole file has applied, as
    /// SPDK's `framework_start_init` does. On error the devices created so far
    /// are closed and the error names the call.
    public func apply(to target: NVMfTarget, logger: Logger) throws(ConfigError) -> AppliedConfiguration {
        for call in skippedCalls {
            logger.warning("\(call): SPDK's own tuning, no counterpart in this target; skipped")
        }
        var out = AppliedConfiguration()
        var created: [Subsystem] = []
        do throws(ConfigError) {
            for entry in entries {
                _ = try out.apply(entry.call, path: entry.path, to: target, created: &created)
            }
            for s in created {
                do { try s.start() } catch { throw ConfigError(path: s.nqn, message: "cannot start: \(error)") }
            }
        } catch {
            for s in created { try? target.removeSubsystem(nqn: s.nqn) }
            for name in out.devices.keys { try? target.deleteDevice(named: name) }
            out.rbdClusters.shutdownAll()
            throw error
        }
        logger.info(
            "configuration applied",
            metadata: [
                "devices": "\(out.devices.count)", "subsystems": "\(created.count)",
                "listeners": "\(out.listeners.map { "\($0.address):\($0.serviceID)" })",
            ])
        return out
    }

}

extension AppliedConfiguration {
    /// Applies one call: the startup file's calls one by one, and the RPC
    /// server's creating methods. Subsystems it creates are appended to
    /// `created` (inactive: the caller starts them).
    ///
    /// - Throws: a `ConfigError` at `path` naming what is wrong; nothing of
    ///   the call is left behind.
    public mutating func apply(
        _ call: ConfigCall, path: String, to target: NVMfTarget, created subsystems: inout [Subsystem]
    ) throws(ConfigError) -> ConfigOutcome {
        var out = self
        defer { self = out }
        func fail(_ message: String) -> ConfigError { ConfigError(path: path, message: message) }
        func subsystem(_ nqn: String) throws(ConfigError) -> Subsystem {
            guard let s = target.subsystem(nqn: nqn) else { throw fail("no subsystem \"\(nqn)\" (create it first)") }
            return s
        }
        func newDevice(_ name: String, _ make: () throws(BlockDeviceError) -> any BlockDevice) throws(ConfigError) {
            guard target.device(named: name) == nil else { throw fail("a bdev named \"\(name)\" already exists") }
            let device: any BlockDevice
            do { device = try make() } catch { throw fail(error.description) }
            do { try target.registerDevice(device) } catch {
                device.close()
                throw fail(ConfigFile.describe(error))
            }
            out.devices[name] = device
        }
        let describe = ConfigFile.describe
        switch call {
        case .bdevMallocCreate(let name, let blocks, let blockSize, let uuid):
            try newDevice(name) { () throws(BlockDeviceError) in
                try MemoryBlockDevice(name: name, blockCount: blocks, blockSize: blockSize, uuid: uuid)
            }
            return .device(name: name)
        case .bdevNullCreate(let name, let blocks, let blockSize, let uuid):
            try newDevice(name) { () throws(BlockDeviceError) in
                try NullBlockDevice(name: name, blockCount: blocks, blockSize: blockSize, uuid: uuid)
            }
            return .device(name: name)
        case .bdevAioCreate(let name, let filename, let blockSize, let readOnly, let uuid):
            try newDevice(name) { () throws(BlockDeviceError) in
                try AioBlockDevice(path: filename, name: name, blockSize: blockSize, readOnly: readOnly, uuid: uuid)
            }
            return .device(name: name)
        case .bdevRbdRegisterCluster(let name, let options):
            try out.applyRegisterCluster(name: name, options: options, path: path)
            return .cluster(name: name)
        case .bdevRbdCreate(let c):
            // SPDK's default names: Ceph0, Ceph1, ...
            let name = c.name ?? (0...).lazy.map { "Ceph\($0)" }.first { target.device(named: $0) == nil }!
            let state = out
            try newDevice(name) { () throws(BlockDeviceError) in try state.makeRBDDevice(c, name: name) }
            return .device(name: name)
        case .nvmfCreateTransport(let t):
            guard !out.transportCreated else { throw fail("the RDMA transport is already created") }
            guard subsystems.isEmpty else { throw fail("create the transport before any subsystem") }
            out.transportCreated = true
            out.transport = t
        case .nvmfCreateSubsystem(let c):
            do {
                let s = try target.addSubsystem(
                    nqn: c.nqn, serialNumber: c.serialNumber, modelNumber: c.modelNumber, allowAnyHost: c.allowAnyHost,
                    maxNamespaces: c.maxNamespaces,
                    controllerIDRange: UInt16(c.minControllerID)...UInt16(c.maxControllerID),
                    anaReporting: c.anaReporting)
                subsystems.append(s)
                return .subsystem(nqn: s.nqn)
            } catch {
                throw fail(describe(error))
            }
        case .nvmfSubsystemAddListener(let nqn, let l, let anaState):
            let s = try subsystem(nqn)
            // A state other than optimized needs ANA reporting: refused before anything is made.
            if let state = anaState, state != .optimized, !s.anaReporting {
                throw fail(describe(.anaReportingDisabled(nqn)))
            }
            // PORTID is 16 bits; FFFFh is reserved. A config with more
            // distinct listeners is refused rather than trapping.
            guard
                let portID = UInt16(exactly: out.listeners.firstIndex(of: l).map { $0 + 1 } ?? out.listeners.count + 1),
                portID < 0xFFFF
            else { throw fail("more than 65534 distinct listen addresses") }
            let address = ListenerAddress(
                addressFamily: l.addressFamily, address: l.address, serviceID: l.serviceID, portID: portID)
            do { try s.addListener(address) } catch { throw fail(describe(error)) }
            if !out.listeners.contains(l) { out.listeners.append(l) }
            if let state = anaState, s.anaReporting {
                do { try s.setANAState(state, listener: address) } catch { throw fail(describe(error)) }
            }
        case .nvmfSubsystemListenerSetANAState(let nqn, let l, let state, let group):
            let s = try subsystem(nqn)
            let address = ListenerAddress(addressFamily: l.addressFamily, address: l.address, serviceID: l.serviceID)
            do { try s.setANAState(state, listener: address, groupID: group) } catch { throw fail(describe(error)) }
        case .nvmfSubsystemAddNamespace(let nqn, let n):
            let s = try subsystem(nqn)
            guard let device = target.device(named: n.bdevName) else { throw fail("no bdev named \"\(n.bdevName)\"") }
            do {
                let ns = try s.addNamespace(
                    device: device, namespaceID: n.namespaceID, uuid: n.uuid, nguid: n.nguid, eui64: n.eui64,
                    readOnly: device.isReadOnly, anaGroupID: n.anaGroupID,
                    reservationStore: n.ptplFile.map { ReservationFile(path: $0, deviceUUID: device.uuid) })
                return .namespace(nsid: ns.namespaceID)
            } catch {
                throw fail(describe(error))
            }
        case .nvmfSubsystemAddHost(let nqn, let host):
            let s = try subsystem(nqn)
            do { try s.addHost(host) } catch { throw fail(describe(error)) }
        }
        return .done
    }
}

extension ConfigFile {

    /// Control-path errors in words a person fixing the file can act on.
    public static func describe(_ e: TargetError) -> String {
        switch e {
        case .invalidNQN(let n): return "invalid NQN \"\(n)\" (nqn.YYYY-MM.reverse.domain:name, at most 223 bytes)"
        case .duplicateSubsystem(let n): return "subsystem \"\(n)\" already exists"
        case .unknownSubsystem(let n): return "no subsystem \"\(n)\""
        case .namespaceLimit: return "the subsystem has max_namespaces namespaces already"
        case .invalidNamespaceID(let id): return "nsid \(id) is in use or outside 1...max_namespaces"
        case .unknownNamespace(let id): return "no namespace \(id)"
        case .duplicateIdentifier: return "uuid/nguid/eui64 already used by another namespace of this target"
        case .invalidControllerIDRange: return "min_cntlid...max_cntlid must lie within 1...65519"
        case .invalidState: return "not allowed in the subsystem's current state"
        case .noResources: return "the target has no room for more"
        case .duplicateDevice(let n): return "a bdev named \"\(n)\" already exists"
        case .unknownDevice(let n): return "no bdev named \"\(n)\""
        case .deviceClaimed(let n, let by): return "bdev \"\(n)\" is in use by \(by)"
        case .cannotListen(let why): return why
        case .unknownListener(let a): return "no listener at \(a)"
        case .anaReportingDisabled(let n):
            return "subsystem \"\(n)\" was created without ana_reporting (ANA states and groups need it)"
        case .invalidANAGroup(let g): return "anagrpid \(g) is outside 1...max_namespaces"
        case .reservationStore(let why): return why
        }
    }
}
