import CShims

#if canImport(Glibc)
    import Glibc
#endif

/// The per-I/O clock: two reads per command, so its cost is part of what is measured.
///
/// The TSC when the CPU says it is invariant (`constant_tsc` and `nonstop_tsc`):
/// one instruction, converted to nanoseconds by a multiply and shift calibrated
/// against CLOCK_MONOTONIC_RAW at start. Otherwise `clock_gettime(CLOCK_MONOTONIC_RAW)`,
/// which is a vDSO call where the kernel's clocksource allows it and a system
/// call where not; `costNanoseconds` says which one this machine got.
public struct LatencyClock: Sendable {
    public enum Source: String, Sendable, CaseIterable {
        case tsc
        case monotonicRaw = "monotonic-raw"
    }

    public let source: Source
    /// Nanoseconds = ticks × multiplier >> 32 (TSC); 1:1 for the monotonic clock.
    let multiplier: UInt64
    /// What one `now()` costs here, measured at start.
    public private(set) var costNanoseconds: Double = 0

    /// The best clock this machine offers, or `forced`.
    public init(forced: Source? = nil) {
        let chosen = forced ?? (Self.tscIsInvariant() ? .tsc : .monotonicRaw)
        source = chosen
        multiplier = chosen == .tsc ? Self.calibrateTSC() : 1 << 32
        costNanoseconds = measureCost()
    }

    /// Ticks now (TSC ticks or nanoseconds).
    @inline(__always)
    public func now() -> UInt64 {
        if source == .tsc { return cshims_rdtsc() }
        return Self.monotonicRawNanoseconds()
    }

    /// Ticks to nanoseconds.
    @inline(__always)
    public func nanoseconds(_ ticks: UInt64) -> UInt64 {
        source == .tsc ? UInt64((UInt128(ticks) &* UInt128(multiplier)) >> 32) : ticks
    }

    /// Nanoseconds to ticks (for deadlines).
    public func ticks(nanoseconds: UInt64) -> UInt64 {
        source == .tsc ? UInt64((UInt128(nanoseconds) << 32) / UInt128(max(multiplier, 1))) : nanoseconds
    }

    /// The description for reports, e.g. `tsc (12 ns per read)`.
    public var name: String { source == .tsc ? "tsc" : "clock_gettime(CLOCK_MONOTONIC_RAW)" }

    @inline(__always)
    static func monotonicRawNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_RAW, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    static func tscIsInvariant() -> Bool {
        #if arch(x86_64)
            guard let file = fopen("/proc/cpuinfo", "r") else { return false }
            defer { fclose(file) }
            var line = [CChar](repeating: 0, count: 8192)
            while fgets(&line, Int32(line.count), file) != nil {
                let text = String(cString: line)
                if text.hasPrefix("flags") {
                    let flags = text.split(separator: " ")
                    return flags.contains("constant_tsc") && flags.contains("nonstop_tsc")
                }
            }
            return false
        #else
            return false
        #endif
    }

    /// TSC ticks per nanosecond as a 32.32 fixed-point multiplier, over 50 ms.
    static func calibrateTSC() -> UInt64 {
        let startNanoseconds = monotonicRawNanoseconds()
        let startTicks = cshims_rdtsc()
        var elapsed: UInt64 = 0
        while elapsed < 50_000_000 { elapsed = monotonicRawNanoseconds() - startNanoseconds }
        let ticks = max(cshims_rdtsc() &- startTicks, 1)
        return UInt64((UInt128(elapsed) << 32) / UInt128(ticks))
    }

    /// Average cost of `now()` over 200,000 reads.
    func measureCost() -> Double {
        let rounds = 200_000
        let start = Self.monotonicRawNanoseconds()
        var sink: UInt64 = 0
        for _ in 0..<rounds { sink &+= now() }
        let elapsed = Self.monotonicRawNanoseconds() - start
        // Keep the loop from being optimised away.
        if sink == 42 { print("", terminator: "") }
        return Double(elapsed) / Double(rounds)
    }
}
