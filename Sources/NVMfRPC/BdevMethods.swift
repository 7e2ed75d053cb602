import Backends
import NVMfConfig
import RBDBackend
import Target

// bdev_malloc_create/delete, bdev_null_create/delete, bdev_aio_create/delete,
// bdev_get_bdevs. Creation goes through the startup config's decoder and
// applier, so a call and a config line mean the same; a device is deleted
// only when no namespace claims it (the target's registry).

extension RPCMethods {
    func registerBdevMethods() {
        for method in ["bdev_malloc_create", "bdev_null_create", "bdev_aio_create", "bdev_rbd_create"] {
            register(method) { m, p throws(RPCError) in
                guard case .device(let name) = try m.applyConfigCall(method, &p) else {
                    throw .internalError("\(method) made no device")
                }
                return .string(name)
            }
        }
        for (method, kind) in [
            ("bdev_malloc_delete", "Malloc"), ("bdev_null_delete", "Null"), ("bdev_aio_delete", "AIO"),
            ("bdev_rbd_delete", "Ceph"),
        ] {
            register(method) { m, p throws(RPCError) in
                let name = try m.required(&p, "name")
                guard let device = m.target.device(named: name) else {
                    throw .invalidParams("\(p.path).name: no bdev \"\(name)\"")
                }
                guard Self.productName(device).hasPrefix(kind) else {
                    throw .invalidParams(
                        "\(p.path).name: \"\(name)\" is a \(Self.productName(device)), not a \(kind) bdev")
                }
                do throws(TargetError) { try m.target.deleteDevice(named: name) } catch { throw m.targetError(error) }
                m.state.devices[name] = nil
                return .bool(true)
            }
        }
        register("bdev_get_bdevs") { m, p throws(RPCError) in
            let name = try m.optionalString(&p, "name")
            _ = try m.optionalInteger(&p, "timeout", in: 0...Int(Int32.max))
            let all = m.target.deviceInfos
            if let name, !all.contains(where: { $0.device.name == name }) {
                throw .invalidParams("\(p.path).name: no bdev \"\(name)\"")
            }
            return .array(all.filter { name == nil || $0.device.name == name }.map(Self.bdevJSON))
        }
    }

    /// SPDK's product_name for our device kinds.
    static func productName(_ d: any BlockDevice) -> String {
        switch d {
        case is AioBlockDevice: return "AIO disk"
        case is RBDBlockDevice: return "Ceph Rbd Disk"
        case is NullBlockDevice: return "Null disk"
        case is MemoryBlockDevice: return "Malloc disk"
        default: return "disk"
        }
    }

    static func bdevJSON(_ info: DeviceInfo) -> JSONValue {
        let d = info.device
        var o: [String: JSONValue] = [
            "name": .string(d.name), "aliases": .array([]), "product_name": .string(productName(d)),
            "block_size": .int(d.blockSize), "num_blocks": .int(d.blockCount), "uuid": .string("\(d.uuid)"),
            "claimed": .bool(info.claim != nil), "zoned": .bool(false),
            "supported_io_types": .object([
                "read": .bool(true), "write": .bool(!d.isReadOnly), "unmap": .bool(!d.isReadOnly),
                "write_zeroes": .bool(!d.isReadOnly), "flush": .bool(true), "reset": .bool(false),
            ]),
        ]
        if info.claim != nil { o["claim_type"] = .string("exclusive_write") }
        if let rbd = d as? RBDBlockDevice {
            var r: [String: JSONValue] = [
                "pool_name": .string(rbd.poolName), "rbd_name": .string(rbd.imageName),
                "exclusive_lock": .bool(rbd.features & RBDBlockDevice.exclusiveLockFeature != 0),
                "rbd_cache": .bool(rbd.hasVolatileWriteCache),
            ]
            if !rbd.ownsCluster { r["cluster_name"] = .string(rbd.cluster.name) }
            o["driver_specific"] = .object(["rbd": .object(r)])
        }
        if let aio = d as? AioBlockDevice {
            o["driver_specific"] = .object([
                "aio": .object(["filename": .string(aio.path), "readonly": .bool(aio.isReadOnly)])
            ])
        }
        return .object(o)
    }
}
