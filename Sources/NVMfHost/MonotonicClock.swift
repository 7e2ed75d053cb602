#if canImport(Glibc)
    import Glibc
#endif

/// CLOCK_MONOTONIC in milliseconds, for control-path deadlines.
enum MonotonicClock {
    static func milliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
