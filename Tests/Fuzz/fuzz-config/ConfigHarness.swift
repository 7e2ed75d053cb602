// Fuzzes the SPDK-format JSON configuration: ConfigFile(json:) on the raw
// input, then, when it parses, ConfigFile.apply on a fresh NVMfTarget.
//
// The harness constrains what would touch the machine before applying:
// - bdev_malloc_create larger than `mallocLimit` bytes gets fewer blocks
//   (the parser itself accepts any num_blocks × block_size up to 2^63; see
//   Tests/Fuzz/README.md);
// - bdev_aio_create opens the harness's own 1 MiB scratch file when its
//   filename is "fuzz-aio.img", and a path that does not exist otherwise, so
//   it fails with an error and never opens a real file or device;
// - bdev_rbd_register_cluster and bdev_rbd_create never reach librados (a
//   fuzzed mon_host would make each input wait for client_mount_timeout):
//   both become a bdev_rbd_create on a cluster that is not registered, which
//   fails in the applier with an error, after the same decoding.
import Backends
import FuzzSupport
import Glibc
import Logging
import NVMfConfig
import Target

final class ConfigHarness {
    static let mallocLimit: UInt64 = 64 << 20
    static let aioToken = "fuzz-aio.img"
    static let shared = ConfigHarness()

    let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    /// A directory of our own: the aio scratch file and nothing else.
    let scratchDirectory: String
    let aioFile: String

    init() {
        let scratch = ScratchFile(harness: "fuzz-config", fileName: Self.aioToken)
        scratchDirectory = scratch.directory
        aioFile = scratch.path
    }

    func constrained(_ call: ConfigCall) -> ConfigCall {
        switch call {
        case .bdevMallocCreate(let name, let blocks, let blockSize, let uuid):
            let (bytes, overflow) = blocks.multipliedReportingOverflow(by: UInt64(max(blockSize, 1)))
            guard overflow || bytes > Self.mallocLimit else { return call }
            let fewer = max(Self.mallocLimit / UInt64(max(blockSize, 1)), 1)
            return .bdevMallocCreate(name: name, numBlocks: fewer, blockSize: blockSize, uuid: uuid)
        case .bdevAioCreate(let name, let filename, let blockSize, let readOnly, let uuid):
            let path = filename == Self.aioToken ? aioFile : "\(scratchDirectory)/no-such-dir/file"
            return .bdevAioCreate(name: name, filename: path, blockSize: blockSize, readOnly: readOnly, uuid: uuid)
        case .bdevRbdRegisterCluster(let name, _):
            return .bdevRbdCreate(Self.unreachableRBD(name: name))
        case .bdevRbdCreate(let c):
            return .bdevRbdCreate(Self.unreachableRBD(name: c.name ?? "Ceph0"))
        default:
            return call
        }
    }

    static func unreachableRBD(name: String) -> RBDDeviceConfig {
        RBDDeviceConfig(
            name: name, poolName: "rbd", imageName: "fuzz", blockSize: 4096, clusterName: "fuzz-not-registered",
            userID: nil, config: nil, uuid: nil, readOnly: false)
    }

    func run(_ input: UnsafeRawBufferPointer) {
        let file: ConfigFile
        do { file = try ConfigFile(json: Array(input)) } catch { return }
        var safe = file
        for i in safe.entries.indices { safe.entries[i].call = constrained(safe.entries[i].call) }
        let target = NVMfTarget(logger: logger)
        do {
            let applied = try safe.apply(to: target, logger: logger)
            defer { for d in applied.devices.values { d.close() } }
            for nqn in target.subsystemNQNs {
                guard let s = target.subsystem(nqn: nqn) else { fatalError("subsystem \(nqn) listed but missing") }
                guard s.state == .active else { fatalError("subsystem \(nqn) not started by apply") }
                for nsid in s.namespaceIDs {
                    guard let ns = s.namespace(nsid), nsid >= 1, Int(nsid) <= s.maxNamespaces, ns.blockCount > 0 else {
                        fatalError("namespace \(nsid) of \(nqn) is inconsistent")
                    }
                }
            }
            for (i, l) in applied.listeners.enumerated() where applied.listeners[..<i].contains(l) {
                fatalError("listener \(l) listed twice")
            }
        } catch {
            // A failed apply closes its devices and removes the subsystems it made.
            if !target.subsystemNQNs.isEmpty {
                fatalError("failed apply left \(target.subsystemNQNs) behind: \(error)")
            }
        }
    }
}
