import Synchronization

/// The target's one control-path lock.
///
/// Subsystems, namespaces, controllers, the discovery service and admin
/// commands all run under it; the I/O path never takes it (except to record
/// an entry in the Error Information log when an I/O command fails).
/// Transport callbacks are never made while it is held, so a transport may
/// call back into the target from inside `disconnect()` or `completeRequest`.
final class ControlLock: @unchecked Sendable {
    private let mutex = Mutex<Void>(())

    @inline(__always)
    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try mutex.withLock { (_: inout Void) throws(E) -> R in try body() }
    }
}
