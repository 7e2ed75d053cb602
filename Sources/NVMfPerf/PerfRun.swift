import Dispatch
import Foundation
import NVMe
import NVMfHost

/// One nvmf-perf run from connect to report: discover when asked, connect every
/// subsystem, open `-P` I/O queues per namespace, spread them over the workers,
/// run (with verify passes around it under `--verify`), and gather the figures.
///
/// The main thread keeps the admin queues alive (Keep Alive every KATO/2),
/// watches their connections and prints the progress line once a second while
/// the workers run.
public final class PerfRun {
    public let configuration: PerfConfiguration
    let control = RunControl()
    var sessions: [HostSession] = []
    var namespaces: [NamespaceTarget] = []
    var workers: [Worker] = []
    var clock = LatencyClock()
    /// Where the progress line and notes go.
    let log: (String) -> Void

    public init(_ configuration: PerfConfiguration, log: @escaping (String) -> Void) {
        self.configuration = configuration
        self.log = log
    }

    /// Connects, runs and reports. Errors before the measurement starts are thrown;
    /// an error during it ends the run early and is in the report's `error`.
    public func run() throws(HostError) -> PerfReport {
        let config = configuration
        try config.validate()
        clock = LatencyClock(forced: config.clock)
        defer { closeSessions() }
        let identity = HostIdentity.local(nqn: config.hostNQN)
        for transportID in try subsystems(identity: identity) {
            let session = try HostSession(
                transportID, identity: identity, keepAliveTimeoutMilliseconds: config.keepAliveMilliseconds)
            sessions.append(session)
            try addNamespaces(of: session)
        }
        guard !namespaces.isEmpty else { throw HostError("no namespaces to run on") }
        try buildWorkers()

        if config.verify {
            log("verify: writing the pattern over \(rangeDescription)")
            runPass(.fill, seconds: nil)
            if let error = control.error { return report(seconds: 0, error: "verify fill: \(error)") }
        }
        var cpuBefore = rusage()
        getrusage(RUSAGE_SELF.rawValue, &cpuBefore)
        let (seconds, intervals) = runPass(.measured, seconds: config.seconds)
        var cpuAfter = rusage()
        getrusage(RUSAGE_SELF.rawValue, &cpuAfter)
        var result = report(seconds: seconds, error: control.error, intervals: intervals)
        result.cpuSeconds = Self.cpuSeconds(cpuAfter) - Self.cpuSeconds(cpuBefore)
        if config.verify && control.error == nil && config.pattern.readPercent(mix: config.readMix) < 100 {
            log("verify: reading back \(rangeDescription)")
            let before = workers.map { $0.results.map(\.mismatches) }
            runPass(.readBack, seconds: nil)
            // The read-back's mismatches count too: they are blocks the run wrote wrong.
            for (worker, counts) in zip(workers, before) {
                for index in worker.results.indices where worker.results[index].mismatches > counts[index] {
                    let extra = worker.results[index].mismatches - counts[index]
                    result.namespaces[index].mismatches += extra
                    result.total.mismatches += extra
                }
            }
            if result.error == nil, let error = control.error { result.error = "verify read-back: \(error)" }
        }
        if result.error == nil, let mismatch = workers.compactMap(\.firstMismatch).first {
            result.error = "verify: \(mismatch)"
        }
        return result
    }

    /// The first command that failed, if any (the run counts failures and goes on).
    public var firstCommandError: String? { control.commandError }

    // MARK: Setup

    /// Subsystems to connect: `-r` ones, and for a discovery `-r` every RDMA NVM subsystem it lists.
    func subsystems(identity: HostIdentity) throws(HostError) -> [TransportID] {
        var result: [TransportID] = []
        for transportID in configuration.transportIDs {
            guard transportID.isDiscovery else {
                result.append(transportID)
                continue
            }
            let entries = try Discovery.entries(transportID, identity: identity)
            let found = entries.compactMap { entry -> TransportID? in
                guard entry.subsystemType == 2, entry.transportType == DiscoveryLogEntry.transportRDMA,
                    let port = UInt16(entry.transportServiceID)
                else { return nil }
                return TransportID(
                    addressFamily: entry.addressFamily == 2 ? .ipv6 : .ipv4, address: entry.transportAddress,
                    port: port, subsystemNQN: entry.subsystemNQN, hostNQN: transportID.hostNQN,
                    namespaceID: transportID.namespaceID)
            }
            guard !found.isEmpty else {
                throw HostError("discovery at \(transportID.address):\(transportID.port) lists no RDMA NVM subsystem")
            }
            log("discovered \(found.count) subsystem(s) at \(transportID.address):\(transportID.port)")
            result += found
        }
        return result
    }

    func addNamespaces(of session: HostSession) throws(HostError) {
        let config = configuration
        let ids: [UInt32]
        if let only = session.transportID.namespaceID {
            ids = [only]
        } else {
            ids = try session.controller.activeNamespaceIDs()
        }
        guard !ids.isEmpty else { throw HostError("\(session.transportID.subsystemNQN) has no active namespaces") }
        for id in ids {
            let geometry = try session.controller.namespaceGeometry(id)
            let name =
                "RDMA (addr:\(session.transportID.address) subnqn:\(session.transportID.subsystemNQN)) NSID \(id)"
            guard config.ioSize % geometry.blockSize == 0 else {
                throw HostError(
                    "\(name): I/O size \(config.ioSize) is not a multiple of its \(geometry.blockSize)-byte blocks")
            }
            guard geometry.byteCount >= UInt64(config.ioSize) else {
                throw HostError(
                    "\(name) holds \(geometry.byteCount) bytes, less than one I/O of \(config.ioSize) bytes")
            }
            let rangeBytes = min(config.ioRange ?? geometry.byteCount, geometry.byteCount)
            namespaces.append(
                NamespaceTarget(
                    index: namespaces.count, namespaceID: id, blockSize: geometry.blockSize,
                    rangeBlocks: rangeBytes / UInt64(geometry.blockSize), name: name))
            sessionOfNamespace.append(sessions.count - 1)
        }
    }
    var sessionOfNamespace: [Int] = []

    func buildWorkers() throws(HostError) {
        let config = configuration
        var jobsPerWorker = Array(repeating: [QueueJob](), count: config.cores.count)
        var next = 0
        let readPercent = config.pattern.readPercent(mix: config.readMix)
        for target in namespaces {
            let session = sessions[sessionOfNamespace[target.index]]
            for share in 0..<config.queuesPerNamespace {
                // Two slots at least: one command in flight while a control command could use another.
                let queue = try session.openIOQueue(
                    depth: max(config.queueDepth, 2), ioBytes: config.ioSize, interrupts: config.interrupts)
                if queue.depth < config.queueDepth {
                    log(
                        "note: \(target.name) queue \(queue.queueID) granted depth \(queue.depth) of \(config.queueDepth)"
                    )
                }
                let generator = IOGenerator(
                    rangeBlocks: target.rangeBlocks, blocksPerIO: config.ioSize / target.blockSize,
                    pattern: config.pattern, readPercent: readPercent, seed: config.seed, share: share,
                    of: config.queuesPerNamespace)
                jobsPerWorker[next % jobsPerWorker.count].append(
                    QueueJob(
                        queue: queue, target: target, generator: generator, queueDepth: config.queueDepth,
                        ioSize: config.ioSize))
                next += 1
            }
        }
        workers = zip(config.cores, jobsPerWorker).filter { !$0.1.isEmpty }.map { core, jobs in
            Worker(
                cpu: core, jobs: jobs, namespaces: namespaces, clock: clock, control: control, ioSize: config.ioSize,
                verifySeed: config.verify ? config.seed : nil, interrupts: config.interrupts,
                yieldWhenIdle: config.yieldWhenIdle,
                stallSeconds: config.stallSeconds)
        }
    }

    var rangeDescription: String {
        let bytes = namespaces.map { $0.rangeBlocks * UInt64($0.blockSize) }.reduce(0, +)
        return "\(bytes >> 20) MiB in \(namespaces.count) namespace(s)"
    }

    // MARK: Running

    /// Runs one pass on every worker's thread; returns the measured seconds and per-second samples.
    @discardableResult
    func runPass(_ pass: Worker.Pass, seconds: Int?) -> (Double, [IntervalSample]) {
        let config = configuration
        // Finite passes cover each queue's share of the range once, sequentially.
        var measuredGenerators: [[IOGenerator]] = []
        if pass != .measured {
            for worker in workers {
                measuredGenerators.append(worker.jobs.map(\.generator))
                for job in worker.jobs {
                    job.generator = IOGenerator(
                        rangeBlocks: job.target.rangeBlocks, blocksPerIO: job.blocksPerIO, pattern: .write,
                        readPercent: 0, seed: config.seed, share: shareIndex(of: job), of: config.queuesPerNamespace,
                        finite: true)
                }
            }
        }
        defer {
            // A verify pass leaves the measured run's generators and figures as they were.
            for (worker, generators) in zip(workers, measuredGenerators) {
                for (job, generator) in zip(worker.jobs, generators) { job.generator = generator }
                if pass == .fill { worker.resetResults() }
            }
        }
        let start = clock.now()
        let end = start &+ clock.ticks(nanoseconds: UInt64(seconds ?? 0) * 1_000_000_000)
        let finished = DispatchSemaphore(value: 0)
        for worker in workers {
            let thread = Thread { [worker] in
                worker.run(pass, start: start, end: end)
                finished.signal()
            }
            thread.name = "nvmf-perf-\(worker.cpu.map(String.init) ?? "any")"
            thread.start()
        }
        var running = workers.count
        var intervals: [IntervalSample] = []
        var printedThrough = -1
        let keepAliveEvery = max(Int(config.keepAliveMilliseconds) / 2, 100)
        var nextKeepAlive = Self.milliseconds() + keepAliveEvery
        while running > 0 {
            if finished.wait(timeout: .now() + .milliseconds(50)) == .success {
                running -= 1
                continue
            }
            if pass == .measured {
                printedThrough = collectIntervals(after: printedThrough, into: &intervals, final: false)
            }
            // KATO 0 asked for no keep-alive timer: then none is sent.
            if config.keepAliveMilliseconds > 0, Self.milliseconds() >= nextKeepAlive {
                nextKeepAlive = Self.milliseconds() + keepAliveEvery
                for session in sessions {
                    do { try session.controller.keepAlive() } catch { control.fail("keep-alive: \(error)") }
                }
            }
            for session in sessions where !session.adminQueue.checkConnection() {
                control.fail(session.adminQueue.failure?.description ?? "admin queue lost")
            }
        }
        let elapsed = Double(clock.nanoseconds(clock.now() &- start)) / 1e9
        if pass == .measured {
            _ = collectIntervals(
                after: printedThrough, into: &intervals, final: true, endedAt: min(elapsed, Double(seconds ?? 0)))
        }
        let measured = control.error == nil ? Double(seconds ?? 0) : min(elapsed, Double(seconds ?? 0))
        return (max(measured, 0.000_001), intervals)
    }

    /// The position of `job` among its namespace's queues.
    func shareIndex(of job: QueueJob) -> Int {
        var position = 0
        for worker in workers {
            for other in worker.jobs where other.target.index == job.target.index {
                if other === job { return position % configuration.queuesPerNamespace }
                position += 1
            }
        }
        return 0
    }

    /// Merges the seconds every worker has finished and prints their progress lines.
    func collectIntervals(
        after printed: Int, into intervals: inout [IntervalSample], final: Bool, endedAt: Double = 0
    ) -> Int {
        let snapshots = workers.map { worker in worker.published.withLock { ($0.slices, $0.through) } }
        let complete = final ? Int.max : snapshots.map(\.1).min() ?? -1
        let seconds = Set(snapshots.flatMap { $0.0.map(\.index) }).filter { $0 > printed && $0 <= complete }.sorted()
        var last = printed
        for second in seconds {
            var latency = LatencyHistogram.latency()
            var ios: UInt64 = 0
            var bytes: UInt64 = 0
            for (slices, _) in snapshots {
                for slice in slices where slice.index == second {
                    latency.add(slice.latency)
                    ios += slice.ios
                    bytes += slice.bytes
                }
            }
            let length = final && second == seconds.last ? min(max(endedAt - Double(second), 0.001), 1) : 1
            let sample = IntervalSample(
                elapsed: Double(second) + length, seconds: length, ios: ios, bytes: bytes,
                p50: latency.valueAtPercentile(50), p99: latency.valueAtPercentile(99))
            if sample.ios > 0 || !final {
                intervals.append(sample)
                if configuration.progress { log(ProgressLine.format(sample)) }
            }
            last = second
        }
        return last
    }

    // MARK: Results

    func report(seconds: Double, error: String?, intervals: [IntervalSample] = []) -> PerfReport {
        let config = configuration
        var perNamespace = namespaces.map { NamespaceResult(name: $0.name, seconds: seconds) }
        for worker in workers {
            for (index, result) in worker.results.enumerated() {
                perNamespace[index].ios += result.ios
                perNamespace[index].bytes += result.bytes
                perNamespace[index].errors += result.errors
                perNamespace[index].mismatches += result.mismatches
                perNamespace[index].latency.add(result.latency)
            }
        }
        var total = NamespaceResult(name: "Total", seconds: seconds)
        for result in perNamespace {
            total.ios += result.ios
            total.bytes += result.bytes
            total.errors += result.errors
            total.mismatches += result.mismatches
            total.latency.add(result.latency)
        }
        let job = JobDescription(
            workload: config.pattern.rawValue, ioSize: config.ioSize, queueDepth: config.queueDepth,
            readPercent: config.pattern.readPercent(mix: config.readMix), seconds: config.seconds,
            queuesPerNamespace: config.queuesPerNamespace, cores: config.cores.compactMap { $0 },
            verify: config.verify, completionMode: config.interrupts ? "interrupt" : "poll")
        return PerfReport(
            job: job, namespaces: perNamespace, total: total, intervals: intervals, cpuSeconds: 0,
            timestampCostNanoseconds: clock.costNanoseconds, clockSource: clock.name, error: error)
    }

    func closeSessions() {
        for worker in workers {
            for job in worker.jobs { job.queue.close() }
        }
        for session in sessions {
            do { try session.close() } catch {
                log("note: shutting down \(session.transportID.subsystemNQN): \(error)")
            }
        }
        sessions.removeAll()
    }

    static func cpuSeconds(_ usage: rusage) -> Double {
        Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func milliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
