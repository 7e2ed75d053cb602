import CVerbs

/// librdmacm's own list of devices.
///
/// librdmacm keeps one open `ibv_context` per device for its ids and closes a
/// device that went away (`rdma link delete`, hot unplug) only when it next
/// compares its list with the system's, which happens on `rdma_get_devices`
/// or when a lookup misses. Until then that context pins the device and the
/// kernel's unregistration waits; an application that has released its own
/// objects on a removed device calls `resynchronize()` to let it go.
public enum CMDeviceList {
    /// Compares librdmacm's device list with the system's (closing contexts
    /// of devices that are gone and no longer used, adding new ones); returns
    /// how many devices are present. The verbs are `rdma_get_devices` and
    /// `rdma_free_devices`.
    @discardableResult
    public static func resynchronize() -> Int {
        var count: Int32 = 0
        guard let list = rdma_get_devices(&count) else { return 0 }
        rdma_free_devices(list)
        return Int(count)
    }
}
