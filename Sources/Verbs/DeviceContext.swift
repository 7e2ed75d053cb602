import CVerbs

#if canImport(Glibc)
    import Glibc
#endif

/// An opened RDMA device (`struct ibv_context`): the root of every verbs resource.
///
/// Ownership: a context from `Device.open()` is closed (`ibv_close_device`) when
/// the last reference goes away. Children (`ProtectionDomain`, `CompletionQueue`,
/// `CompletionChannel`) hold a strong reference to it, so it always outlives them.
/// A context borrowed from an RDMA CM id (`ConnectionID.deviceContext`) is owned
/// by librdmacm and is never closed here; it stays valid while the CM id lives,
/// which its children guarantee by holding the `ConnectionID` too.
public final class DeviceContext {
    /// The C context; valid for the lifetime of this object.
    public let pointer: UnsafeMutablePointer<ibv_context>
    @usableFromInline let owned: Bool
    /// Keeps a borrowed context's owner (a `ConnectionID`) alive.
    let owner: AnyObject?

    init(owning pointer: UnsafeMutablePointer<ibv_context>) {
        self.pointer = pointer
        self.owned = true
        self.owner = nil
        LiveResources.created()
    }

    init(borrowing pointer: UnsafeMutablePointer<ibv_context>, owner: AnyObject) {
        self.pointer = pointer
        self.owned = false
        self.owner = owner
    }

    deinit {
        if owned, ibv_close_device(pointer) == 0 { LiveResources.destroyed() }
    }

    /// The device's kernel name.
    public var name: String { String(cString: ibv_get_device_name(pointer.pointee.device)) }

    /// The device's limits. The corresponding verb is `ibv_query_device`.
    public func queryDevice() throws(VerbsError) -> DeviceAttributes {
        var attributes = ibv_device_attr()
        try VerbsError.check(returnCode: ibv_query_device(pointer, &attributes), "ibv_query_device")
        return DeviceAttributes(attributes)
    }

    /// One port's state and MTU. Ports are numbered from 1.
    /// The corresponding verb is `ibv_query_port` (a macro; this calls its function form).
    public func queryPort(_ port: UInt8 = 1) throws(VerbsError) -> PortAttributes {
        var attributes = ibv_port_attr()
        try VerbsError.check(
            returnCode: ___ibv_query_port(pointer, port, &attributes), "ibv_query_port")
        return PortAttributes(attributes)
    }

    /// One entry of a port's GID table. The corresponding verb is `ibv_query_gid`.
    public func queryGID(port: UInt8 = 1, index: Int32) throws(VerbsError) -> GID {
        var gid = ibv_gid()
        try VerbsError.check(minusOne: ibv_query_gid(pointer, port, index, &gid), "ibv_query_gid")
        return GID(gid)
    }

    /// The IPv4 address a RoCE port carries in its GID table (an IPv4-mapped
    /// GID, `::ffff:a.b.c.d`), as dotted text; nil if none.
    ///
    /// Lets lab tests find the address to bind and connect to from the
    /// device name alone.
    public func ipv4Address(port: UInt8 = 1) -> String? {
        guard let table = try? queryPort(port).gidTableLength else { return nil }
        for index in 0..<Int32(table) {
            guard let gid = try? queryGID(port: port, index: index), let text = gid.ipv4Text else {
                continue
            }
            return text
        }
        return nil
    }

    /// The file descriptor that becomes readable when an async event is pending (for epoll).
    public var asyncEventFileDescriptor: Int32 { pointer.pointee.async_fd }

    /// Makes `nextAsyncEvent()` return nil instead of blocking.
    public func setAsyncEventsNonBlocking() throws(VerbsError) {
        try setNonBlocking(asyncEventFileDescriptor, "fcntl(async_fd)")
    }

    /// The next device async event (port change, QP fatal, SRQ limit…), already acknowledged.
    ///
    /// - Returns: nil if the fd is non-blocking and nothing is pending.
    /// The corresponding verbs are `ibv_get_async_event` and `ibv_ack_async_event`.
    public func nextAsyncEvent() throws(VerbsError) -> AsyncEvent? {
        var event = ibv_async_event()
        if ibv_get_async_event(pointer, &event) != 0 {
            let code = VerbsError.currentErrno(fallback: -1)
            if code == EAGAIN { return nil }
            throw VerbsError(verb: "ibv_get_async_event", errno: code)
        }
        let result = AsyncEvent(event)
        ibv_ack_async_event(&event)
        return result
    }
}

/// Sets O_NONBLOCK on a descriptor owned by a verbs object.
func setNonBlocking(_ fd: Int32, _ verb: StaticString) throws(VerbsError) {
    let flags = fcntl(fd, F_GETFL)
    guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
        throw VerbsError(verb: verb, errno: VerbsError.currentErrno(fallback: -1))
    }
}
