import Foundation
import Testing

@testable import RdmaTransport

/// fio through the kernel initiator against this transport (RAM namespace),
/// printing the same figures lab/tests/rdma-bench.sh prints for the kernel
/// target in the same boot. Runs only with NVMF_RDMA_BENCH=1 (a benchmark,
/// not a test: it asserts only that fio ran and verified).
extension RdmaTransportLabTests {
    @Suite(
        .enabled(
            if: RdmaLab.environment["NVMF_RDMA_BENCH"] == "1",
            "set NVMF_RDMA_BENCH=1 in the lab"))
    struct BenchLabTests {
        static var mode: PollMode {
            PollMode(rawValue: RdmaLab.environment["NVMF_RDMA_BENCH_MODE"] ?? "") ?? .adaptive
        }
        static var pollGroups: Int { Int(RdmaLab.environment["NVMF_RDMA_BENCH_GROUPS"] ?? "") ?? 2 }
        static var runtime: String { RdmaLab.environment["NVMF_RDMA_BENCH_RUNTIME"] ?? "10" }

        /// Runs one fio job; returns (IOPS, mean latency µs) from its terse output.
        static func fio(_ device: String, rw: String, bs: String, depth: Int) throws -> (Double, Double) {
            let result = try RdmaLab.run([
                "fio", "--name=bench", "--filename=\(device)", "--direct=1", "--ioengine=libaio",
                "--rw=\(rw)",
                "--bs=\(bs)", "--iodepth=\(depth)", "--runtime=\(runtime)", "--time_based", "--minimal",
            ])
            try #require(result.status == 0, "fio: \(result.output)")
            let fields =
                result.output.split(separator: "\n").last.map {
                    $0.split(separator: ";", omittingEmptySubsequences: false)
                } ?? []
            try #require(fields.count > 80, "fio terse output: \(result.output)")
            let isRead = rw.contains("read")
            let iops = Double(fields[isRead ? 7 : 48]) ?? 0
            let latency = Double(fields[isRead ? 39 : 80]) ?? 0
            return (iops, latency)
        }

        @Test func fioAgainstThisTarget() throws {
            let fixture = try RdmaTransportLabTests.Fixture(mode: Self.mode, pollGroups: Self.pollGroups)
            let connect = try RdmaLab.run([
                "nvme", "connect", "-t", "rdma", "-a", RdmaLab.address, "-s", "\(RdmaTransportLabTests.port)",
                "-n",
                RdmaTransportLabTests.nqn,
            ])
            try #require(connect.status == 0, "\(connect.output)")
            defer { _ = try? RdmaLab.run(["nvme", "disconnect", "-n", RdmaTransportLabTests.nqn]) }
            var node: String? = nil
            _ = RdmaLab.waitFor(seconds: 15) {
                node = RdmaLab.namespaceDevice(forSubsystem: RdmaTransportLabTests.nqn)
                return node != nil
            }
            let device = try #require(node)
            for (rw, bs, depth) in [
                ("randread", "4k", 1), ("randread", "4k", 32), ("randwrite", "4k", 32), ("read", "128k", 8),
            ] {
                let (iops, latency) = try Self.fio(device, rw: rw, bs: bs, depth: depth)
                print(
                    "BENCH swift-rdma mode=\(Self.mode.rawValue) \(rw)-\(bs)-qd\(depth): \(Int(iops)) IOPS, mean latency \(Int(latency)) us"
                )
                #expect(iops > 0)
            }
            let verify = try RdmaLab.run([
                "fio", "--name=verify", "--filename=\(device)", "--direct=1", "--ioengine=libaio",
                "--rw=randwrite",
                "--bs=4k", "--iodepth=16", "--size=16m", "--verify=crc32c", "--do_verify=1", "--verify_state_save=0",
                "--minimal",
            ])
            #expect(verify.status == 0, "fio verify: \(verify.output)")
            _ = fixture
        }
    }
}
