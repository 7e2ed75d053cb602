import NVMfHost

/// A run as the command line asked for it, checked.
public struct PerfConfiguration: Sendable {
    public var transportIDs: [TransportID]
    public var queueDepth: Int
    public var ioSize: Int
    public var pattern: IOPattern
    /// `-M`: reads in percent for rw/randrw.
    public var readMix: Int
    public var seconds: Int
    /// CPUs for the workers (one worker each), or nil entries to leave a worker unpinned.
    public var cores: [Int?]
    public var queuesPerNamespace: Int
    public var verify: Bool
    public var seed: UInt64
    public var interrupts: Bool
    /// Poll mode: give the CPU away (`sched_yield`) every 32 empty polls instead of spinning.
    public var yieldWhenIdle: Bool
    public var clock: LatencyClock.Source?
    /// Bytes of each namespace to use from LBA 0 (nil: all of it).
    public var ioRange: UInt64?
    public var hostNQN: String?
    public var keepAliveMilliseconds: UInt32
    public var stallSeconds: Int
    public var progress: Bool

    public init(
        transportIDs: [TransportID], queueDepth: Int, ioSize: Int, pattern: IOPattern, readMix: Int, seconds: Int,
        cores: [Int?], queuesPerNamespace: Int = 1, verify: Bool = false, seed: UInt64 = 0x5EED,
        interrupts: Bool = false, yieldWhenIdle: Bool = true, clock: LatencyClock.Source? = nil, ioRange: UInt64? = nil,
        hostNQN: String? = nil,
        keepAliveMilliseconds: UInt32 = 10_000, stallSeconds: Int = 10, progress: Bool = true
    ) {
        self.transportIDs = transportIDs
        self.queueDepth = queueDepth
        self.ioSize = ioSize
        self.pattern = pattern
        self.readMix = readMix
        self.seconds = seconds
        self.cores = cores
        self.queuesPerNamespace = queuesPerNamespace
        self.verify = verify
        self.seed = seed
        self.interrupts = interrupts
        self.yieldWhenIdle = yieldWhenIdle
        self.clock = clock
        self.ioRange = ioRange
        self.hostNQN = hostNQN
        self.keepAliveMilliseconds = keepAliveMilliseconds
        self.stallSeconds = stallSeconds
        self.progress = progress
    }

    /// Refuses values that cannot make a run, naming the option.
    public func validate() throws(HostError) {
        guard !transportIDs.isEmpty else { throw HostError("-r: give at least one transport ID") }
        guard (1...4096).contains(queueDepth) else { throw HostError("-q \(queueDepth): queue depth must be 1–4096") }
        guard ioSize >= 512, ioSize <= 1 << 30, ioSize % 512 == 0 else {
            throw HostError("-o \(ioSize): I/O size must be a multiple of 512 bytes, at most 1 GiB")
        }
        guard (0...100).contains(readMix) else { throw HostError("-M \(readMix): read share must be 0–100") }
        guard seconds >= 1 else { throw HostError("-t \(seconds): run time must be at least 1 second") }
        guard !cores.isEmpty else { throw HostError("-c: no cores selected") }
        guard (1...64).contains(queuesPerNamespace) else {
            throw HostError("-P \(queuesPerNamespace): queues per namespace must be 1–64")
        }
        guard stallSeconds >= 1 else { throw HostError("--io-timeout: at least 1 second") }
        if let ioRange, ioRange < UInt64(ioSize) {
            throw HostError("--io-range \(ioRange): smaller than one I/O of \(ioSize) bytes")
        }
    }

    /// Parses spdk_nvme_perf's core mask (`0x3`, `3` hex) or a list (`[0,2-3]`, `0,2-3`).
    public static func parseCores(_ text: String) throws(HostError) -> [Int] {
        var trimmed = Substring(text)
        if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") { trimmed = trimmed.dropFirst().dropLast() }
        if !trimmed.contains(","), !trimmed.contains("-"), !text.hasPrefix("[") {
            let hex = trimmed.hasPrefix("0x") || trimmed.hasPrefix("0X") ? trimmed.dropFirst(2) : trimmed
            guard let mask = UInt64(hex, radix: 16), mask != 0 else {
                throw HostError("-c \(text): not a core mask (e.g. 0x3) or list (e.g. [0,2-3])")
            }
            return (0..<64).filter { mask & (1 << UInt64($0)) != 0 }
        }
        var cores: [Int] = []
        for part in trimmed.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1)
            guard let low = Int(bounds[0]), low >= 0, low < 4096 else {
                throw HostError("-c \(text): '\(part)' is not a core number or range")
            }
            let high = bounds.count == 2 ? Int(bounds[1]) : low
            guard let high, high >= low, high < 4096 else {
                throw HostError("-c \(text): '\(part)' is not a core number or range")
            }
            cores += Array(low...high)
        }
        guard !cores.isEmpty else { throw HostError("-c \(text): no cores") }
        return Array(Set(cores)).sorted()
    }

    /// `4096`, `4k`, `128K`, `1m`, `2G`: bytes.
    public static func parseSize(_ text: String, option: String) throws(HostError) -> UInt64 {
        let lower = text.lowercased()
        let units: [(String, UInt64)] = [("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40)]
        var multiplier: UInt64 = 1
        var digits = Substring(lower)
        for (suffix, value) in units where lower.hasSuffix(suffix) || lower.hasSuffix(suffix + "ib") {
            digits = lower.hasSuffix(suffix + "ib") ? digits.dropLast(3) : digits.dropLast()
            multiplier = value
        }
        guard let number = UInt64(digits), number > 0 else {
            throw HostError("\(option) \(text): not a size (e.g. 4096, 4k, 1m)")
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw HostError("\(option) \(text): too large") }
        return bytes
    }
}
