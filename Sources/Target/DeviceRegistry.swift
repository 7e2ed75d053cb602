import Backends

// Block devices by name: SPDK's bdev layer, reduced to what a target needs.
// A device is registered under its name (`bdev_*_create`), claimed by at
// most one namespace (`nvmf_subsystem_add_ns`), and deleted only when no
// namespace holds it (`bdev_*_delete`): deleting closes it, so its file
// descriptor is gone when the call returns. A namespace's claim ends when
// every poll group has let go of the device (`NVMfTarget.retire`), not when
// the namespace leaves its subsystem: until then a group may still be
// finishing I/O on it.

/// A registered device and who holds it.
struct DeviceRecord {
    let device: any BlockDevice
    /// The namespace (target-wide index) that claims it, if any.
    var claimedBy: Int?
    /// Subsystem NQN and NSID of the claim, for messages and `bdev_get_bdevs`.
    var claimDescription: String?
}

extension NVMfTarget {
    /// Registers `device` under its name.
    ///
    /// - Throws: `.duplicateDevice` when a device of that name exists.
    public func registerDevice(_ device: any BlockDevice) throws(TargetError) {
        try lock.withLock { () throws(TargetError) in
            guard devicesByName[device.name] == nil else { throw .duplicateDevice(device.name) }
            devicesByName[device.name] = DeviceRecord(device: device)
            deviceOrder.append(device.name)
        }
    }

    /// The registered device named `name`.
    public func device(named name: String) -> (any BlockDevice)? {
        lock.withLock { devicesByName[name]?.device }
    }

    /// Registered device names, in registration order.
    public var deviceNames: [String] { lock.withLock { deviceOrder } }

    /// What claims device `name` ("nqn… nsid 1"), or nil when unclaimed or unknown.
    public func deviceClaim(named name: String) -> String? {
        lock.withLock { devicesByName[name]?.claimDescription }
    }

    /// Closes and forgets device `name`.
    ///
    /// - Throws: `.unknownDevice`; `.deviceClaimed` while a namespace (or a
    ///   poll group still finishing a removed namespace's I/O) holds it.
    public func deleteDevice(named name: String) throws(TargetError) {
        let device = try lock.withLock { () throws(TargetError) -> any BlockDevice in
            guard let record = devicesByName[name] else { throw .unknownDevice(name) }
            guard record.claimedBy == nil else {
                throw .deviceClaimed(name, by: record.claimDescription ?? "a namespace")
            }
            devicesByName[name] = nil
            deviceOrder.removeAll { $0 == name }
            return record.device
        }
        device.close()
        logger.info("bdev deleted", metadata: ["name": "\(name)"])
    }

    /// Closes every registered device (daemon exit, after the transports stopped).
    public func closeAllDevices() {
        let all = lock.withLock { () -> [any BlockDevice] in
            defer {
                devicesByName.removeAll()
                deviceOrder.removeAll()
            }
            return deviceOrder.compactMap { devicesByName[$0]?.device }
        }
        for d in all { d.close() }
    }

    /// Throws `.deviceClaimed` when a namespace holds `device`.
    func checkDeviceUnclaimedLocked(_ device: any BlockDevice) throws(TargetError) {
        guard let record = devicesByName[device.name], record.device === device, record.claimedBy != nil else { return }
        throw .deviceClaimed(device.name, by: record.claimDescription ?? "a namespace")
    }

    /// Claims `device` for namespace `index` if it is registered (an
    /// unregistered device, as tests and embedders pass, is the caller's to manage).
    func claimDeviceLocked(_ device: any BlockDevice, namespaceIndex index: Int, by owner: String)
        throws(TargetError)
    {
        guard var record = devicesByName[device.name], record.device === device else { return }
        guard record.claimedBy == nil else {
            throw .deviceClaimed(device.name, by: record.claimDescription ?? "a namespace")
        }
        record.claimedBy = index
        record.claimDescription = owner
        devicesByName[device.name] = record
    }

    /// Ends namespace `index`'s claim on device `name` (if it still holds it).
    func releaseDeviceClaimLocked(name: String, namespaceIndex index: Int) {
        guard var record = devicesByName[name], record.claimedBy == index else { return }
        record.claimedBy = nil
        record.claimDescription = nil
        devicesByName[name] = record
    }
}
