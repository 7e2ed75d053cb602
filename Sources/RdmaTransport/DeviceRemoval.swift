import CVerbs
import Glibc
import Target
import Verbs

// Device removal (RDMA_CM_EVENT_DEVICE_REMOVAL, IBV_EVENT_DEVICE_FATAL), e.g.
// `rdma link delete rxe0` under a running target.
//
// rxe cannot disassociate a user context, so the kernel's device
// unregistration waits until this process has destroyed every object it
// made on the device: QPs, CQs, SRQs, MRs, the PD, and the CM ids (whose
// context librdmacm then closes). Holding any of them hangs `rdma link
// delete` (and whoever waits on it) for as long as the target runs. So:
//
// 1. CM thread: mark the device removed (new CONNECT_REQUESTs on it are
//    rejected), close every connection on it, retire the listeners bound to
//    it (their addresses are kept), and ask each poll group holding a poller
//    of the device to release it.
// 2. Each poll group drains and destroys those connections as on any close,
//    then drops its poller (CQ, completion channel, SRQ and receive buffers,
//    buffer cache) and answers `pollerReleased`.
// 3. CM thread: when every group has answered, forget the device; the last
//    references go and ARC destroys the data-buffer MR, the PD and the
//    borrowed context's CM id. A moment later librdmacm is asked to
//    resynchronise its device list, which closes its own context of the
//    dead device (`CMDeviceList`); only then can the unregistration finish.
// 4. Every second the CM thread tries the retired listeners' addresses
//    again, so the target serves again once a device has the address back
//    (SPDK and nvmet need the listener re-added by hand).

extension ConnectionManager {
    func isRemoved(_ verbs: UnsafeMutablePointer<ibv_context>) -> Bool {
        inboxLock.withLock { devices.first(where: { $0.key == verbs })?.isRemoved ?? false }
    }

    /// Step 1: starts releasing everything on the device with context `verbs`.
    func deviceRemoved(_ verbs: UnsafeMutablePointer<ibv_context>) {
        guard let device = inboxLock.withLock({ devices.first(where: { $0.key == verbs }) }), !device.isRemoved
        else { return }
        device.isRemoved = true
        var closing = 0
        for connection in connectionsByID.values where connection.poller.device === device {
            connection.group.post(.disconnect(connection))
            closing += 1
        }
        let retired = inboxLock.withLock { () -> [Listening] in
            let gone = listeners.filter { $0.id.pointer.pointee.verbs == verbs }
            listeners.removeAll { $0.id.pointer.pointee.verbs == verbs }
            return gone
        }
        for l in retired where !lostListenAddresses.contains(where: { "\($0.address)" == "\(l.address)" }) {
            lostListenAddresses.append((l.address, l.listener))
        }
        logger.warning(
            "RDMA device removed: closing its connections and releasing its resources",
            metadata: [
                "device": "\(device.context.name)", "connections": "\(closing)",
                "listeners": "\(retired.map { "\($0.address)" })",
            ])
        device.pollersToRelease = 0
        for (index, group) in groups.enumerated() where index < device.pollers.count && device.pollers[index] != nil {
            device.pollersToRelease += 1
            group.post(.releaseDevice(device))
        }
        if device.pollersToRelease == 0 { forgetDevice(device) }
    }

    /// Step 3: poll group `group` dropped its poller of `device`.
    func pollerReleased(_ device: DeviceResources, group: Int) {
        if group < device.pollers.count { device.pollers[group] = nil }
        device.pollersToRelease -= 1
        if device.pollersToRelease <= 0 { forgetDevice(device) }
    }

    private func forgetDevice(_ device: DeviceResources) {
        device.pollers.removeAll()
        inboxLock.withLock { devices.removeAll { $0 === device } }
        // Not now: this iteration of the CM loop still holds the device.
        resynchronizeDevicesAt = monotonicNanoseconds() &+ 100_000_000
        logger.warning(
            "RDMA device released",
            metadata: ["device": "\(device.context.name)", "verbsObjectsLeft": "\(LiveResources.count)"])
    }

    /// Steps 3 and 4: lets librdmacm drop a released device, and listens
    /// again on addresses whose device went away, once a second.
    func deviceRemovalHousekeeping() {
        let now = monotonicNanoseconds()
        if let at = resynchronizeDevicesAt, now >= at {
            resynchronizeDevicesAt = nil
            let present = CMDeviceList.resynchronize()
            logger.info(
                "RDMA CM device list resynchronised",
                metadata: ["devices": "\(present)", "verbsObjectsLeft": "\(LiveResources.count)"])
        }
        guard !lostListenAddresses.isEmpty else { return }
        guard now &- lastListenRetry >= 1_000_000_000 else { return }
        lastListenRetry = now
        var stillLost: [(address: SocketAddress, listener: ListenerAddress)] = []
        for lost in lostListenAddresses {
            do {
                _ = try listen(lost.address, as: lost.listener)
                logger.warning("listening again after a device removal", metadata: ["address": "\(lost.address)"])
            } catch {
                stillLost.append(lost)  // No device has the address yet; quietly try again.
            }
        }
        lostListenAddresses = stillLost
    }
}
