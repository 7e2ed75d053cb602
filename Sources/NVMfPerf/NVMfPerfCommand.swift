import ArgumentParser
import CShims
import Foundation
import NVMfHost

/// `nvmf-perf`: spdk_nvme_perf's options where they mean the same, over our own initiator.
public struct NVMfPerfCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "nvmf-perf",
        abstract: "Measure an NVMe-oF RDMA target from user space: IOPS, bandwidth and latency percentiles.",
        discussion: """
            Example: nvmf-perf -r 'trtype:RDMA traddr:10.0.0.1 trsvcid:4420 subnqn:nqn.2024-01.io.example:disk1' \\
                       -q 32 -o 4096 -w randread -t 10 -L
            Without subnqn, every RDMA NVM subsystem the discovery controller lists is used.
            """,
        subcommands: [Run.self, Discover.self], defaultSubcommand: Run.self)

    public init() {}

    /// A measured run (the default subcommand).
    public struct Run: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Run a workload and print its figures (the default).")

        @Option(name: [.customShort("r"), .customLong("transport-id")], help: "SPDK transport ID string (repeatable).")
        var transportIDs: [String] = []
        @Option(name: [.customShort("q"), .customLong("io-depth")], help: "Commands outstanding per queue.")
        var queueDepth: Int = 32
        @Option(name: [.customShort("o"), .customLong("io-size")], help: "Bytes per I/O (e.g. 4096, 128k).")
        var ioSize: String = "4096"
        @Option(
            name: [.customShort("w"), .customLong("io-pattern")],
            help: "read, write, randread, randwrite, rw or randrw.")
        var pattern: String = "randread"
        @Option(name: [.customShort("M"), .customLong("rwmixread")], help: "Percent of reads for rw and randrw.")
        var readMix: Int = 50
        @Option(name: [.customShort("t"), .customLong("time")], help: "Seconds to measure.")
        var seconds: Int = 10
        @Option(
            name: [.customShort("c"), .customLong("core-mask")],
            help: "Worker CPUs: a hex mask (0x3) or a list ([0,2-3]).")
        var coreMask: String?
        @Option(name: .customLong("cores"), help: "Number of workers, on the first CPUs this process may use.")
        var coreCount: Int?
        @Option(name: [.customShort("P"), .customLong("num-qpairs")], help: "I/O queues per namespace.")
        var queuesPerNamespace: Int = 1
        @Flag(name: .customShort("L"), help: "Latency percentiles (-L); also a latency histogram (-LL).")
        var latencyDetail: Int
        @Option(name: .customLong("json"), help: "Write every figure as JSON to this file ('-' for standard output).")
        var jsonPath: String?
        @Option(name: .customLong("plot"), help: "Write a latency-percentile and IOPS-over-time plot (SVG).")
        var plotPath: String?
        @Flag(name: .customLong("verify"), help: "Write each block with its LBA and a seed and check every read.")
        var verify = false
        @Option(name: .customLong("seed"), help: "Seed of the I/O sequence and of the verify pattern.")
        var seed: UInt64 = 0x5EED
        @Flag(name: .customLong("interrupt"), help: "Sleep on completion events instead of busy polling.")
        var interrupt = false
        @Option(name: .customLong("poll-idle"), help: "Poll mode when nothing completed: yield (default) or spin.")
        var pollIdle: String = "yield"
        @Option(name: .customLong("clock"), help: "Latency clock: tsc or monotonic-raw (default: tsc when invariant).")
        var clock: String?
        @Option(name: .customLong("io-range"), help: "Use only the first BYTES of each namespace (e.g. 1g).")
        var ioRange: String?
        @Option(name: .customLong("hostnqn"), help: "Host NQN (default /etc/nvme/hostnqn or a generated one).")
        var hostNQN: String?
        @Option(name: .customLong("keep-alive-ms"), help: "KATO asked for in Connect, milliseconds.")
        var keepAliveMilliseconds: UInt32 = 10_000
        @Option(name: .customLong("io-timeout"), help: "Seconds without a completion before a queue counts as stalled.")
        var stallSeconds: Int = 10
        @Flag(name: .customLong("no-progress"), help: "No per-second progress line.")
        var noProgress = false

        public init() {}

        public mutating func run() throws {
            let configuration: PerfConfiguration
            do { configuration = try makeConfiguration() } catch { throw ValidationError(error.description) }
            let perf = PerfRun(configuration) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            let report: PerfReport
            do { report = try perf.run() } catch {
                FileHandle.standardError.write(Data("nvmf-perf: \(error)\n".utf8))
                throw ExitCode(2)
            }
            print(LatencySummary.render(report, detail: latencyDetail), terminator: "")
            if let jsonPath {
                let text = JSONReport.encode(report)
                if jsonPath == "-" { print(text) } else { try write(text, to: jsonPath) }
            }
            if let plotPath { try write(SVGPlot.render(report), to: plotPath) }
            var failed = false
            if let error = report.error {
                FileHandle.standardError.write(Data("nvmf-perf: run ended early: \(error)\n".utf8))
                failed = true
            }
            if report.total.errors > 0 {
                let first = perf.firstCommandError ?? ""
                FileHandle.standardError.write(
                    Data("nvmf-perf: \(report.total.errors) command(s) failed; first: \(first)\n".utf8))
                failed = true
            }
            if report.total.mismatches > 0 {
                FileHandle.standardError.write(
                    Data("nvmf-perf: verify found \(report.total.mismatches) block(s) that differ\n".utf8))
                failed = true
            }
            if failed { throw ExitCode(1) }
        }

        func makeConfiguration() throws(HostError) -> PerfConfiguration {
            guard let pattern = IOPattern(rawValue: pattern) else {
                throw HostError(
                    "-w \(self.pattern): one of \(IOPattern.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let size = try PerfConfiguration.parseSize(ioSize, option: "-o")
            guard size <= 1 << 30 else { throw HostError("-o \(ioSize): at most 1 GiB") }
            var transports: [TransportID] = []
            for text in transportIDs {
                var parsed = try TransportID(parsing: text)
                if parsed.hostNQN == nil { parsed.hostNQN = hostNQN }
                transports.append(parsed)
            }
            var cores: [Int?]
            if let coreMask {
                guard coreCount == nil else { throw HostError("-c and --cores: give one of them") }
                cores = try PerfConfiguration.parseCores(coreMask)
            } else if let coreCount {
                guard coreCount >= 1 else { throw HostError("--cores \(coreCount): at least 1") }
                let available = Self.availableCPUs()
                guard coreCount <= available.count else {
                    throw HostError("--cores \(coreCount): only \(available.count) CPU(s) are available")
                }
                cores = Array(available.prefix(coreCount))
            } else {
                cores = [Self.availableCPUs().first ?? 0]
            }
            guard pollIdle == "yield" || pollIdle == "spin" else {
                throw HostError("--poll-idle \(pollIdle): yield or spin")
            }
            var clockSource: LatencyClock.Source?
            if let clock {
                guard let source = LatencyClock.Source(rawValue: clock) else {
                    throw HostError("--clock \(clock): tsc or monotonic-raw")
                }
                #if !arch(x86_64)
                    if source == .tsc { throw HostError("--clock tsc: this CPU has no RDTSC; use monotonic-raw") }
                #endif
                clockSource = source
            }
            let range = try ioRange.map { text throws(HostError) in
                try PerfConfiguration.parseSize(text, option: "--io-range")
            }
            return PerfConfiguration(
                transportIDs: transports, queueDepth: queueDepth, ioSize: Int(size), pattern: pattern, readMix: readMix,
                seconds: seconds, cores: cores, queuesPerNamespace: queuesPerNamespace, verify: verify, seed: seed,
                interrupts: interrupt, yieldWhenIdle: pollIdle == "yield", clock: clockSource, ioRange: range,
                hostNQN: hostNQN,
                keepAliveMilliseconds: keepAliveMilliseconds, stallSeconds: stallSeconds, progress: !noProgress)
        }

        /// CPUs in this process's affinity mask, in order.
        static func availableCPUs() -> [Int] {
            let cpus = (0..<1024).filter { cshims_cpu_is_available(Int32($0)) == 1 }
            return cpus.isEmpty ? [0] : cpus
        }

        func write(_ text: String, to path: String) throws {
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                FileHandle.standardError.write(Data("nvmf-perf: cannot write \(path): \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }

    /// `nvmf-perf discover -r 'trtype:RDMA traddr:… trsvcid:…'`: the discovery log, as `nvme discover` prints it.
    public struct Discover: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "discover", abstract: "Print a discovery controller's log page.")

        @Option(name: [.customShort("r"), .customLong("transport-id")], help: "SPDK transport ID string.")
        var transportID: String
        @Option(name: .customLong("hostnqn"), help: "Host NQN.")
        var hostNQN: String?

        public init() {}

        public mutating func run() throws {
            do {
                let parsed = try TransportID(parsing: transportID)
                let entries = try Discovery.entries(
                    parsed, identity: HostIdentity.local(nqn: parsed.hostNQN ?? hostNQN))
                print(Discovery.describe(entries), terminator: "")
            } catch {
                FileHandle.standardError.write(Data("nvmf-perf discover: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}
