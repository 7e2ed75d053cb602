import CVerbs

#if canImport(Glibc)
    import Glibc
#endif

/// A completion channel (`struct ibv_comp_channel`): a file descriptor that
/// becomes readable when an armed completion queue gets a completion.
///
/// Interrupt mode: arm the CQ (`requestNotification()`), wait for `fileDescriptor`
/// in epoll, call `nextEvent()` to learn which CQ fired, poll it, re-arm, and
/// acknowledge events (`CompletionQueue.acknowledgeEvents()`), which destroying
/// the CQ requires.
///
/// Ownership: holds its `DeviceContext`. CQs that use the channel hold it, so
/// `ibv_destroy_comp_channel` runs only after they are destroyed.
public final class CompletionChannel {
    public let pointer: UnsafeMutablePointer<ibv_comp_channel>
    public let context: DeviceContext

    /// The corresponding verb is `ibv_create_comp_channel`.
    public init(context: DeviceContext) throws(VerbsError) {
        pointer = try VerbsError.nonNil(
            ibv_create_comp_channel(context.pointer), "ibv_create_comp_channel")
        self.context = context
        LiveResources.created()
    }

    deinit {
        if ibv_destroy_comp_channel(pointer) == 0 { LiveResources.destroyed() }
    }

    /// The descriptor to wait on (epoll/poll, readable = an event is pending).
    public var fileDescriptor: Int32 { pointer.pointee.fd }

    /// Makes `nextEvent()` return nil instead of blocking.
    public func setNonBlocking() throws(VerbsError) {
        try Verbs.setNonBlocking(fileDescriptor, "fcntl(comp_channel)")
    }

    /// Takes the next completion event and counts it on its CQ for a later acknowledgement.
    ///
    /// Only CQs created by `CompletionQueue` with this channel can fire here, so
    /// the CQ is found again through its `cq_context` (no lookup table).
    /// - Returns: The CQ that fired (it is now disarmed), or nil when non-blocking and nothing is pending.
    /// The corresponding verb is `ibv_get_cq_event`.
    public func nextEvent() throws(VerbsError) -> CompletionQueue? {
        var cq: UnsafeMutablePointer<ibv_cq>? = nil
        var cqContext: UnsafeMutableRawPointer? = nil
        if ibv_get_cq_event(pointer, &cq, &cqContext) != 0 {
            let code = VerbsError.currentErrno(fallback: -1)
            if code == EAGAIN { return nil }
            throw VerbsError(verb: "ibv_get_cq_event", errno: code)
        }
        guard let cqContext else { return nil }
        let queue = Unmanaged<CompletionQueue>.fromOpaque(cqContext).takeUnretainedValue()
        queue.unacknowledgedEvents &+= 1
        return queue
    }

    /// Blocks until the descriptor is readable or `timeoutMilliseconds` passes (-1: forever).
    /// - Returns: true if an event is pending.
    public func wait(timeoutMilliseconds: Int32) throws(VerbsError) -> Bool {
        var entry = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let rc = poll(&entry, 1, timeoutMilliseconds)
            if rc >= 0 { return rc > 0 }
            let code = VerbsError.currentErrno(fallback: rc)
            if code != EINTR { throw VerbsError(verb: "poll(comp_channel)", errno: code) }
        }
    }
}
