import Backends
import NVMe

// Read-only views of the control-plane state for RPCs (`nvmf_get_subsystems`,
// `nvmf_subsystem_get_controllers`, `…_get_qpairs`, `bdev_get_bdevs`) and
// `save_config`: plain values copied under the lock, so a caller never holds
// a reference into the live objects.

/// A controller as `nvmf_subsystem_get_controllers` reports it.
public struct ControllerInfo: Sendable, Hashable {
    public var controllerID: UInt16
    public var hostNQN: String
    /// HOSTID from Connect (16 bytes).
    public var hostID: [UInt8]
    public var ioQueueCount: Int
    public var keepAliveTimeoutMS: UInt32
}

/// A queue pair as `nvmf_subsystem_get_qpairs` reports it.
public struct QueueInfo: Sendable, Hashable {
    public var controllerID: UInt16
    public var queueID: UInt16
    public var listener: ListenerAddress?
    /// Commands the queue has run.
    public var commands: UInt64
}

/// A namespace as `nvmf_get_subsystems` and `save_config` report it.
public struct NamespaceInfo: Sendable, Hashable {
    public var namespaceID: UInt32
    public var deviceName: String
    public var uuid: [UInt8]
    public var nguid: [UInt8]
    public var eui64: [UInt8]
    public var isReadOnly: Bool
    public var anaGroupID: UInt32
    /// Where its reservations persist (`ptpl_file`), if anywhere.
    public var reservationFile: String?
}

/// A registered block device as `bdev_get_bdevs` reports it.
public struct DeviceInfo {
    public var device: any BlockDevice
    /// What claims it ("nqn nsid N"), or nil.
    public var claim: String?
}

extension Subsystem {
    /// The live controllers, by CNTLID.
    public var controllerInfos: [ControllerInfo] {
        target.lock.withLock {
            controllers.values.sorted { $0.controllerID < $1.controllerID }.map {
                ControllerInfo(
                    controllerID: $0.controllerID, hostNQN: $0.hostNQN, hostID: $0.hostID,
                    ioQueueCount: $0.ioQueues.count, keepAliveTimeoutMS: $0.keepAliveTimeoutMS)
            }
        }
    }

    /// Every connected queue of every live controller (admin queues as QID 0).
    public var queueInfos: [QueueInfo] {
        target.lock.withLock {
            var out: [QueueInfo] = []
            for c in controllers.values.sorted(by: { $0.controllerID < $1.controllerID }) {
                if let a = c.adminQueue {
                    out.append(
                        QueueInfo(
                            controllerID: c.controllerID, queueID: 0, listener: a.listener,
                            commands: a.counters.commands.load(ordering: .relaxed)))
                }
                for (qid, q) in c.ioQueues.sorted(by: { $0.key < $1.key }) {
                    out.append(
                        QueueInfo(
                            controllerID: c.controllerID, queueID: qid, listener: q.listener,
                            commands: q.counters.commands.load(ordering: .relaxed)))
                }
            }
            return out
        }
    }

    /// Namespaces by NSID.
    public var namespaceInfos: [NamespaceInfo] {
        target.lock.withLock {
            namespaces.values.sorted { $0.namespaceID < $1.namespaceID }.map {
                NamespaceInfo(
                    namespaceID: $0.namespaceID, deviceName: $0.device.name, uuid: $0.uuid, nguid: $0.nguid,
                    eui64: $0.eui64, isReadOnly: $0.isReadOnly, anaGroupID: $0.anaGroupID,
                    reservationFile: $0.reservation.store?.path)
            }
        }
    }
}

extension NVMfTarget {
    /// Registered devices in registration order, with their claims.
    public var deviceInfos: [DeviceInfo] {
        lock.withLock {
            deviceOrder.compactMap { name in
                devicesByName[name].map { DeviceInfo(device: $0.device, claim: $0.claimDescription) }
            }
        }
    }

    /// Subsystems in creation order.
    public var subsystems: [Subsystem] { lock.withLock { subsystemOrder.compactMap { subsystemsByNQN[$0] } } }
}
