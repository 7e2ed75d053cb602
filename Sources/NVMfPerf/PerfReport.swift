import Histogram

/// Command latencies in nanoseconds, submission to completion as the host sees it.
///
/// Three significant digits: 0.1 % resolution from 1 ns up to an hour.
public typealias LatencyHistogram = Histogram<UInt64>

extension Histogram where Count == UInt64 {
    /// A latency histogram for one run: 1 ns to 1 hour, three significant digits.
    public static func latency() -> LatencyHistogram {
        LatencyHistogram(
            lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000,
            numberOfSignificantValueDigits: .three)
    }
}

/// What was run: the command line's meaning, for the report's header and `--json`.
public struct JobDescription: Sendable, Equatable {
    /// `read`, `write`, `randread`, `randwrite`, `rw` or `randrw` (spdk_nvme_perf's `-w`).
    public var workload: String
    /// Bytes per I/O (`-o`).
    public var ioSize: Int
    /// Outstanding I/Os per queue (`-q`).
    public var queueDepth: Int
    /// Share of reads in `rw`/`randrw`, 0–100 (`-M`); 100 for reads, 0 for writes.
    public var readPercent: Int
    /// Requested run time in seconds (`-t`).
    public var seconds: Int
    /// I/O queues per namespace (`-P`).
    public var queuesPerNamespace: Int
    /// CPUs the workers ran on.
    public var cores: [Int]
    /// Every block written carries its LBA and seed and every read is checked (`--verify`).
    public var verify: Bool
    /// `poll` or `interrupt`.
    public var completionMode: String

    public init(
        workload: String, ioSize: Int, queueDepth: Int, readPercent: Int, seconds: Int,
        queuesPerNamespace: Int, cores: [Int], verify: Bool, completionMode: String
    ) {
        self.workload = workload
        self.ioSize = ioSize
        self.queueDepth = queueDepth
        self.readPercent = readPercent
        self.seconds = seconds
        self.queuesPerNamespace = queuesPerNamespace
        self.cores = cores
        self.verify = verify
        self.completionMode = completionMode
    }
}

/// The figures for one namespace, or for all of them together.
public struct NamespaceResult: Sendable {
    /// e.g. `RDMA (addr:10.0.0.1 subnqn:nqn.2024-01.io.example:disk1) NSID 1`, or `Total`.
    public var name: String
    /// Completed I/Os (successful or not).
    public var ios: UInt64
    /// Bytes moved by the successful ones.
    public var bytes: UInt64
    /// Commands that completed with an error status.
    public var errors: UInt64
    /// Blocks whose content did not match what `--verify` wrote.
    public var mismatches: UInt64
    /// Time the I/Os were measured over.
    public var seconds: Double
    public var latency: LatencyHistogram

    public init(
        name: String, ios: UInt64 = 0, bytes: UInt64 = 0, errors: UInt64 = 0, mismatches: UInt64 = 0,
        seconds: Double = 0, latency: LatencyHistogram = .latency()
    ) {
        self.name = name
        self.ios = ios
        self.bytes = bytes
        self.errors = errors
        self.mismatches = mismatches
        self.seconds = seconds
        self.latency = latency
    }

    public var iops: Double { seconds > 0 ? Double(ios) / seconds : 0 }
    public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1_048_576 : 0 }
}

/// One second of the run, all namespaces together: the live progress line and the
/// IOPS-over-time plot.
public struct IntervalSample: Sendable, Equatable {
    /// Seconds since the measured run started, at the end of this interval.
    public var elapsed: Double
    /// Length of the interval in seconds (about 1).
    public var seconds: Double
    public var ios: UInt64
    public var bytes: UInt64
    /// Median and 99th-percentile latency over the interval, nanoseconds.
    public var p50: UInt64
    public var p99: UInt64

    public init(elapsed: Double, seconds: Double, ios: UInt64, bytes: UInt64, p50: UInt64, p99: UInt64) {
        self.elapsed = elapsed
        self.seconds = seconds
        self.ios = ios
        self.bytes = bytes
        self.p50 = p50
        self.p99 = p99
    }

    public var iops: Double { seconds > 0 ? Double(ios) / seconds : 0 }
    public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1_048_576 : 0 }
}

/// Everything a run measured: the text summary, `--json` and `--plot` all come from this.
public struct PerfReport: Sendable {
    public var job: JobDescription
    public var namespaces: [NamespaceResult]
    public var total: NamespaceResult
    public var intervals: [IntervalSample]
    /// CPU time of the whole nvmf-perf process over the measured run (user + system), seconds.
    public var cpuSeconds: Double
    /// What one timestamp costs on this machine, nanoseconds (measured at start).
    public var timestampCostNanoseconds: Double
    /// `tsc` or `clock_gettime(CLOCK_MONOTONIC_RAW)`.
    public var clockSource: String
    /// Why the run ended early (target gone, connection lost), or nil.
    public var error: String?

    public init(
        job: JobDescription, namespaces: [NamespaceResult], total: NamespaceResult,
        intervals: [IntervalSample], cpuSeconds: Double, timestampCostNanoseconds: Double,
        clockSource: String, error: String? = nil
    ) {
        self.job = job
        self.namespaces = namespaces
        self.total = total
        self.intervals = intervals
        self.cpuSeconds = cpuSeconds
        self.timestampCostNanoseconds = timestampCostNanoseconds
        self.clockSource = clockSource
        self.error = error
    }

    /// The initiator's own CPU per I/O, microseconds.
    public var cpuMicrosecondsPerIO: Double {
        total.ios > 0 ? cpuSeconds * 1e6 / Double(total.ios) : 0
    }
}
