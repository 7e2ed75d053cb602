import CVerbs

#if canImport(Glibc)
    import Glibc
#endif

/// An RDMA CM event channel (`struct rdma_event_channel`): where connection
/// events for its `ConnectionID`s arrive, readable through one fd.
///
/// Ownership: every `ConnectionID` on the channel holds it, so
/// `rdma_destroy_event_channel` runs after the last id is destroyed.
/// Read events from one thread.
public final class EventChannel {
    public let pointer: UnsafeMutablePointer<rdma_event_channel>

    /// - Throws: `VerbsError` (ENODEV with the Soft-RoCE advice when the machine
    ///   has no RDMA). The corresponding verb is `rdma_create_event_channel`.
    public init() throws(VerbsError) {
        pointer = try VerbsError.nonNil(rdma_create_event_channel(), "rdma_create_event_channel")
        LiveResources.created()
    }

    deinit {
        rdma_destroy_event_channel(pointer)
        LiveResources.destroyed()
    }

    /// The descriptor to wait on (readable = an event is pending).
    public var fileDescriptor: Int32 { pointer.pointee.fd }

    /// Makes `nextEvent()` return nil instead of blocking (for a poller thread).
    public func setNonBlocking() throws(VerbsError) {
        try Verbs.setNonBlocking(fileDescriptor, "fcntl(rdma_event_channel)")
    }

    /// Takes the next event, copies what it carries, and acknowledges it at once.
    ///
    /// Acknowledging immediately means no caller can forget to, and
    /// `rdma_destroy_id` (which waits for acknowledgements) can never hang.
    /// For CONNECT_REQUEST the event's new id is wrapped in a new, owned
    /// `ConnectionID`: drop it (or `reject`) to refuse, keep it to accept.
    /// - Returns: nil when the channel is non-blocking and nothing is pending.
    /// The corresponding verbs are `rdma_get_cm_event` and `rdma_ack_cm_event`.
    public func nextEvent() throws(VerbsError) -> CMEvent? {
        var raw: UnsafeMutablePointer<rdma_cm_event>? = nil
        if rdma_get_cm_event(pointer, &raw) != 0 {
            let code = VerbsError.currentErrno(fallback: -1)
            if code == EAGAIN { return nil }
            throw VerbsError(verb: "rdma_get_cm_event", errno: code)
        }
        guard let raw else { throw VerbsError(verb: "rdma_get_cm_event", errno: EIO) }
        defer { rdma_ack_cm_event(raw) }
        return CMEvent(raw, channel: self)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) for an event and returns it.
    /// - Returns: nil on timeout.
    public func nextEvent(timeoutMilliseconds: Int32) throws(VerbsError) -> CMEvent? {
        var entry = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let rc = poll(&entry, 1, timeoutMilliseconds)
            if rc == 0 { return nil }
            if rc > 0 { break }
            let code = VerbsError.currentErrno(fallback: rc)
            if code != EINTR { throw VerbsError(verb: "poll(rdma_event_channel)", errno: code) }
        }
        return try nextEvent()
    }
}
