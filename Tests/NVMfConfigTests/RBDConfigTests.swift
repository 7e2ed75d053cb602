import Backends
import RBDBackend
import Testing

@testable import NVMfConfig

/// bdev_rbd_register_cluster and bdev_rbd_create: SPDK's parameters decoded,
/// and every refusal naming its field. (Connecting needs a cluster: the
/// lab's rbd.sh.)
@Suite struct RBDConfigTests {
    func decode(_ method: String, _ json: String) throws(ConfigError) -> ConfigCall {
        let value: JSONValue
        do { value = try JSONParser.parse(Array(json.utf8)) } catch {
            Issue.record("bad test JSON: \(error)")
            return .nvmfSubsystemAddHost(nqn: "", host: "")
        }
        return try ConfigCall.decode(method: method, params: value, path: "t")
    }

    func refusal(_ method: String, _ json: String) -> ConfigError? {
        do {
            _ = try decode(method, json)
            return nil
        } catch { return error }
    }

    @Test func registerClusterTakesSPDKParameters() throws {
        let call = try decode(
            "bdev_rbd_register_cluster",
            #"{"name":"c1","user_id":"nvmf","config_param":{"mon_host":"10.0.0.1","rados_osd_op_timeout":"15"},"config_file":"/etc/ceph/x.conf","key_file":"/etc/ceph/k","core_mask":"0x6"}"#
        )
        #expect(
            call
                == .bdevRbdRegisterCluster(
                    name: "c1",
                    options: RBDClusterOptions(
                        userID: "nvmf",
                        configParams: [
                            RBDConfigEntry("mon_host", "10.0.0.1"), RBDConfigEntry("rados_osd_op_timeout", "15"),
                        ],
                        configFile: "/etc/ceph/x.conf", keyFile: "/etc/ceph/k", coreMask: 6)))
    }

    @Test func createTakesSPDKParameters() throws {
        let call = try decode(
            "bdev_rbd_create",
            #"{"name":"Ceph0","pool_name":"rbd","rbd_name":"img","block_size":4096,"cluster_name":"c1","uuid":"2e5e0000-0000-4000-8000-000000000001"}"#
        )
        guard case .bdevRbdCreate(let c) = call else {
            Issue.record("decoded as \(call)")
            return
        }
        #expect(c.name == "Ceph0" && c.poolName == "rbd" && c.imageName == "img" && c.blockSize == 4096)
        #expect(c.clusterName == "c1" && c.userID == nil && c.config == nil && !c.readOnly)
        #expect(c.uuid == DeviceUUID(string: "2e5e0000-0000-4000-8000-000000000001"))
        let own = try decode(
            "bdev_rbd_create",
            #"{"pool_name":"rbd","rbd_name":"img","block_size":512,"user_id":"admin","config":{"mon_host":"127.0.0.1"},"read_only":true}"#
        )
        guard case .bdevRbdCreate(let o) = own else { return }
        #expect(
            o.name == nil && o.userID == "admin" && o.config == [RBDConfigEntry("mon_host", "127.0.0.1")] && o.readOnly)
    }

    @Test func refusalsNameTheField() {
        let cases: [(String, String, String, String)] = [
            ("bdev_rbd_register_cluster", #"{"user_id":"a"}"#, "t (bdev_rbd_register_cluster).params.name", "required"),
            ("bdev_rbd_register_cluster", #"{"name":"c","config_param":{"a":1}}"#, "config_param.a", "string"),
            ("bdev_rbd_register_cluster", #"{"name":"c","core_mask":"0xZ"}"#, "core_mask", "CPU mask"),
            ("bdev_rbd_register_cluster", #"{"name":"c","core_mask":"[3-1]"}"#, "core_mask", "CPU mask"),
            ("bdev_rbd_register_cluster", #"{"name":"c","core_mask":"[64]"}"#, "core_mask", "CPU mask"),
            ("bdev_rbd_register_cluster", #"{"name":"c","core_mask":"0x0"}"#, "core_mask", "no CPU"),
            ("bdev_rbd_register_cluster", #"{"name":"c","bogus":1}"#, "bogus", "unknown"),
            ("bdev_rbd_create", #"{"rbd_name":"i","block_size":512}"#, "pool_name", "required"),
            ("bdev_rbd_create", #"{"pool_name":"p","block_size":512}"#, "rbd_name", "required"),
            ("bdev_rbd_create", #"{"pool_name":"p","rbd_name":"i"}"#, "block_size", "required"),
            ("bdev_rbd_create", #"{"pool_name":"p","rbd_name":"i","block_size":0}"#, "block_size", "512...65536"),
            ("bdev_rbd_create", #"{"pool_name":"p","rbd_name":"i","block_size":1000}"#, "block_size", "power of two"),
            (
                "bdev_rbd_create",
                #"{"pool_name":"p","rbd_name":"i","block_size":512,"cluster_name":"c","user_id":"u"}"#,
                "user_id", "without cluster_name"
            ),
            (
                "bdev_rbd_create", #"{"pool_name":"p","rbd_name":"i","block_size":512,"cluster_name":"c","config":{}}"#,
                "config", "without cluster_name"
            ),
            ("bdev_rbd_create", #"{"pool_name":"p","rbd_name":"i","block_size":512,"uuid":"x"}"#, "uuid", "not a UUID"),
            ("bdev_rbd_create", #"{"name":"","pool_name":"p","rbd_name":"i","block_size":512}"#, "name", "empty"),
        ]
        for (method, json, field, words) in cases {
            guard let e = refusal(method, json) else {
                Issue.record("\(method) \(json) was accepted")
                continue
            }
            #expect(e.path.hasSuffix(field) || e.path == field, "\(json): path \(e.path)")
            #expect(e.message.contains(words), "\(json): \(e.message)")
        }
    }

    @Test func cpuMaskForms() throws {
        #expect(try ConfigCall.cpuMask("0x3", path: "m") == 3)
        #expect(try ConfigCall.cpuMask("c", path: "m") == 12)
        #expect(try ConfigCall.cpuMask("[0,2-3]", path: "m") == 0b1101)
        #expect(try ConfigCall.cpuMask("[ 1 , 5 ]", path: "m") == 0b100010)
    }

    @Test func rbdCallsBelongInTheBdevSubsystem() {
        let text =
            #"{"subsystems":[{"subsystem":"nvmf","config":[{"method":"bdev_rbd_register_cluster","params":{"name":"c"}}]}]}"#
        do {
            _ = try ConfigFile(json: Array(text.utf8))
            Issue.record("accepted in the nvmf subsystem")
        } catch {
            #expect(error.message.contains("\"bdev\" subsystem"))
        }
    }
}
