/// spdk_nvme_perf's `-w` patterns.
public enum IOPattern: String, CaseIterable, Sendable {
    case read, write, randread, randwrite, rw, randrw

    public var isRandom: Bool { self == .randread || self == .randwrite || self == .randrw }

    /// Share of reads: fixed for pure patterns, `-M` for the mixed ones.
    public func readPercent(mix: Int) -> Int {
        switch self {
        case .read, .randread: return 100
        case .write, .randwrite: return 0
        case .rw, .randrw: return mix
        }
    }
}

/// The sequence of I/Os one queue issues: which LBA next, read or write.
///
/// Random patterns draw I/O-size-aligned offsets uniformly over the range;
/// sequential ones walk it from a per-queue starting point and wrap. A finite
/// generator (`limit`) stops after covering its share once: the verify fill and
/// read-back passes. No allocation; one xorshift step per decision.
public struct IOGenerator: Sendable {
    /// First LBA of the range and its length in I/O-size units.
    let firstLBA: UInt64
    let units: UInt64
    let blocksPerIO: UInt64
    let random: Bool
    let readPercent: UInt64
    var state: UInt64
    var cursor: UInt64
    /// I/Os left for a finite pass, or nil for a timed run.
    var remaining: UInt64?

    /// - Parameters:
    ///   - rangeBlocks: blocks of the namespace the run may touch (from LBA 0).
    ///   - share/of: this queue's part, for the sequential start and finite passes.
    public init(
        rangeBlocks: UInt64, blocksPerIO: Int, pattern: IOPattern, readPercent: Int, seed: UInt64,
        share: Int, of shares: Int, finite: Bool = false
    ) {
        self.blocksPerIO = UInt64(max(blocksPerIO, 1))
        units = max(rangeBlocks / self.blocksPerIO, 1)
        firstLBA = 0
        random = pattern.isRandom && !finite
        self.readPercent = UInt64(min(max(readPercent, 0), 100))
        state = (seed ^ 0x2545_F491_4F6C_DD1D) &+ UInt64(share) &* 0x9E37_79B9_7F4A_7C15 | 1
        let start = units * UInt64(share) / UInt64(max(shares, 1))
        let end = units * UInt64(share + 1) / UInt64(max(shares, 1))
        cursor = start
        remaining = finite ? end - start : nil
    }

    @inline(__always)
    mutating func nextRandom() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// The next I/O, or nil when a finite pass is done.
    @inline(__always)
    public mutating func next() -> (isRead: Bool, lba: UInt64)? {
        if let left = remaining {
            if left == 0 { return nil }
            remaining = left &- 1
        }
        let unit: UInt64
        if random {
            unit = nextRandom() % units
        } else {
            unit = cursor
            cursor = cursor &+ 1 == units ? 0 : cursor &+ 1
        }
        let isRead: Bool
        switch readPercent {
        case 100: isRead = true
        case 0: isRead = false
        default: isRead = nextRandom() % 100 < readPercent
        }
        return (isRead, firstLBA &+ unit &* blocksPerIO)
    }
}
