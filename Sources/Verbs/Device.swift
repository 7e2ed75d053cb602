import CVerbs

#if canImport(Glibc)
    import Glibc
#endif

/// An RDMA device as listed by `ibv_get_device_list`, before it is opened.
///
/// A value type: it only carries the name and GUID read at listing time.
/// `Device.list()` keeps no C list alive; `open()` looks the device up again
/// by name, so a `Device` can be stored and passed around freely.
public struct Device: Hashable, Sendable, CustomStringConvertible {
    /// The kernel name, e.g. `rxe0` or `mlx5_0`.
    public let name: String
    /// Node GUID in host byte order.
    public let guid: UInt64

    public var description: String { name }

    /// All RDMA devices of this machine.
    ///
    /// An empty list is not an error here (callers decide); `requireAny()`
    /// turns it into the one clear "no RDMA device" error.
    /// - Throws: `VerbsError` if the kernel has no RDMA support at all (ENOSYS).
    ///   The corresponding verb is `ibv_get_device_list`.
    public static func list() throws(VerbsError) -> [Device] {
        var count: Int32 = 0
        Glibc.errno = 0
        guard let list = ibv_get_device_list(&count) else {
            throw VerbsError(verb: "ibv_get_device_list", errno: VerbsError.currentErrno(fallback: -1))
        }
        defer { ibv_free_device_list(list) }
        var devices: [Device] = []
        for index in 0..<Int(count) {
            guard let device = list[index] else { continue }
            devices.append(
                Device(
                    name: String(cString: ibv_get_device_name(device)),
                    guid: UInt64(bigEndian: ibv_get_device_guid(device)))
            )
        }
        return devices
    }

    /// The device called `name`, or the first one when `name` is nil.
    /// - Throws: `VerbsError` with `ENODEV` and the Soft-RoCE advice when there is none.
    public static func find(named name: String? = nil) throws(VerbsError) -> Device {
        let devices: [Device]
        do {
            devices = try list()
        } catch {
            throw VerbsError(verb: "ibv_get_device_list", errno: ENODEV)
        }
        if let name {
            if let match = devices.first(where: { $0.name == name }) { return match }
        } else if let first = devices.first {
            return first
        }
        throw VerbsError(verb: "ibv_get_device_list", errno: ENODEV)
    }

    /// Opens the device.
    /// - Throws: ENODEV if it disappeared since listing, or `ibv_open_device`'s errno.
    public func open() throws(VerbsError) -> DeviceContext {
        var count: Int32 = 0
        guard let list = ibv_get_device_list(&count) else {
            throw VerbsError(verb: "ibv_get_device_list", errno: ENODEV)
        }
        defer { ibv_free_device_list(list) }
        for index in 0..<Int(count) {
            guard let device = list[index], String(cString: ibv_get_device_name(device)) == name else {
                continue
            }
            let context = try VerbsError.nonNil(ibv_open_device(device), "ibv_open_device")
            return DeviceContext(owning: context)
        }
        throw VerbsError(verb: "ibv_open_device", errno: ENODEV)
    }
}
