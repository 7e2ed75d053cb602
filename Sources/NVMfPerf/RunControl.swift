import Atomics
import Foundation

/// What the main thread and the workers share during a run: the stop flag, the
/// first error, and each worker's per-second figures.
///
/// The flag is an atomic read a few times per millisecond; the lock is taken
/// once per second per worker and at the end, never per I/O.
final class RunControl: @unchecked Sendable {
    let stop = ManagedAtomic<Bool>(false)
    private let lock = NSLock()
    private var firstError: String?
    private var firstCommandError: String?

    /// Records why the run must end (the first reason wins) and stops every worker.
    func fail(_ reason: String) {
        lock.lock()
        if firstError == nil { firstError = reason }
        lock.unlock()
        stop.store(true, ordering: .releasing)
    }

    /// Records the first failed command without ending the run (spdk_nvme_perf counts and goes on).
    func noteCommandError(_ message: String) {
        lock.lock()
        if firstCommandError == nil { firstCommandError = message }
        lock.unlock()
    }

    var commandError: String? {
        lock.lock()
        defer { lock.unlock() }
        return firstCommandError
    }

    var error: String? {
        lock.lock()
        defer { lock.unlock() }
        return firstError
    }
}

/// A value behind a lock, for once-a-second hand-overs between threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// One worker's figures for one second of the run.
struct IntervalSlice {
    var index: Int
    var ios: UInt64
    var bytes: UInt64
    var latency: LatencyHistogram
}
