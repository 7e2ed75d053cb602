import Glibc

/// The target's one control-path lock.
///
/// Subsystems, namespaces, controllers, the discovery service and admin
/// commands all run under it; the I/O path never takes it (except to record
/// an entry in the Error Information log when an I/O command fails).
/// Transport callbacks are never made while it is held, so a transport may
/// call back into the target from inside `disconnect()` or `completeRequest`.
///
/// A pthread mutex rather than `Synchronization.Mutex`: the latter's futex
/// code lives in the prebuilt Swift runtime, which ThreadSanitizer does not
/// instrument, so TSan saw no ordering between two threads' critical
/// sections and reported races inside the lock (2026-12-02, lab run). TSan
/// intercepts `pthread_mutex_lock`; the cost is the same uncontended.
///
/// Public because the transports and the RPC server need the same kind of
/// lock for their own control-path state (and the same TSan visibility).
public final class ControlLock: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inlinable
    public func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
