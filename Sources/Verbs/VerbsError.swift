import CVerbs

#if canImport(Glibc)
    import Glibc
#endif

/// A failed verb: which libibverbs/librdmacm call failed and the errno it gave.
///
/// Each C return convention is turned into this one type by exactly one helper
/// (`VerbsError.check(returnCode:)`, `.check(minusOne:)`, `.nonNil(_:)`), so
/// callers only ever see "the verb, the errno, and what it means".
@frozen
public struct VerbsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The C function that failed, e.g. `"ibv_post_send"`.
    public var verb: StaticString
    /// The errno value (positive). For verbs that return the error directly
    /// (`ibv_post_send`), that value; for `NULL`/`-1` conventions, `errno`.
    public var errno: Int32

    @inlinable
    public init(verb: StaticString, errno: Int32) {
        self.verb = verb
        self.errno = errno
    }

    public static func == (lhs: VerbsError, rhs: VerbsError) -> Bool {
        lhs.errno == rhs.errno && lhs.verb.description == rhs.verb.description
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(errno)
        hasher.combine(verb.description)
    }

    /// The error's broad meaning, so callers can branch without knowing errno values.
    public var kind: Kind { Kind(errno: errno) }

    /// True when the failure means "this machine has no RDMA device at all".
    public var isNoDevice: Bool { kind == .noDevice }

    public var description: String {
        var text = "\(verb) failed: \(Self.errnoName(errno)) (\(errno))"
        if isNoDevice { text += ". " + VerbsError.noDeviceAdvice }
        return text
    }

    /// The one message shown whenever no RDMA device exists.
    public static let noDeviceAdvice =
        "no RDMA device: run ./rxe-setup.sh to create a Soft-RoCE (rdma_rxe) device, "
        + "or use the QEMU lab (lab/run) when this kernel has no rdma_rxe"

    /// Broad classes of verb failures.
    public enum Kind: Hashable, Sendable {
        /// No RDMA device or no kernel support (ENODEV, ENOSYS, ENXIO).
        case noDevice
        /// A queue, CQ or memory limit was hit (ENOMEM, ENOBUFS); retry later or size up.
        case outOfResources
        /// Non-blocking call had nothing to return (EAGAIN/EWOULDBLOCK).
        case wouldBlock
        /// We passed something the device refuses (EINVAL, EOPNOTSUPP): a programming error.
        case invalidArgument
        /// The resource is still in use by a child (EBUSY).
        case busy
        /// Not allowed (EPERM, EACCES): e.g. memlock limit or access flags.
        case permissionDenied
        /// Connection-level failures (ETIMEDOUT, ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, EADDRINUSE).
        case connection
        /// Anything else.
        case other
    }

    /// Describes a few errno values by name for log lines and test output.
    @usableFromInline
    static func errnoName(_ value: Int32) -> String {
        switch value {
        case EPERM: return "EPERM"
        case ENOENT: return "ENOENT"
        case EINTR: return "EINTR"
        case EIO: return "EIO"
        case ENXIO: return "ENXIO"
        case EAGAIN: return "EAGAIN"
        case ENOMEM: return "ENOMEM"
        case EACCES: return "EACCES"
        case EFAULT: return "EFAULT"
        case EBUSY: return "EBUSY"
        case EEXIST: return "EEXIST"
        case ENODEV: return "ENODEV"
        case EINVAL: return "EINVAL"
        case ENOSPC: return "ENOSPC"
        case ENOSYS: return "ENOSYS"
        case ENOBUFS: return "ENOBUFS"
        case EOPNOTSUPP: return "EOPNOTSUPP"
        case EADDRINUSE: return "EADDRINUSE"
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL"
        case ENETUNREACH: return "ENETUNREACH"
        case ECONNRESET: return "ECONNRESET"
        case ETIMEDOUT: return "ETIMEDOUT"
        case ECONNREFUSED: return "ECONNREFUSED"
        case EHOSTUNREACH: return "EHOSTUNREACH"
        default: return "errno"
        }
    }
}

extension VerbsError.Kind {
    /// The single errno → kind mapping.
    @inlinable
    public init(errno value: Int32) {
        switch value {
        case ENODEV, ENOSYS, ENXIO: self = .noDevice
        case ENOMEM, ENOBUFS, ENOSPC: self = .outOfResources
        case EAGAIN: self = .wouldBlock
        case EINVAL, EOPNOTSUPP: self = .invalidArgument
        case EBUSY: self = .busy
        case EPERM, EACCES: self = .permissionDenied
        case ETIMEDOUT, ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, EADDRINUSE:
            self = .connection
        default: self = .other
        }
    }
}

// MARK: - The wrappers, one per C return convention

extension VerbsError {
    /// For verbs that return 0 or a positive errno (`ibv_post_send`, `ibv_req_notify_cq`, `ibv_modify_qp`).
    ///
    /// Some providers return a negative errno; both signs are accepted.
    @inlinable @inline(__always)
    public static func check(returnCode rc: Int32, _ verb: StaticString) throws(VerbsError) {
        if _slowPath(rc != 0) { throw VerbsError(verb: verb, errno: rc < 0 ? -rc : rc) }
    }

    /// For calls that return -1 and set `errno` (`rdma_*`, `ibv_get_cq_event`, `ibv_destroy_*`'s callers).
    @inlinable @inline(__always)
    public static func check(minusOne rc: Int32, _ verb: StaticString) throws(VerbsError) {
        if _slowPath(rc != 0) { throw VerbsError(verb: verb, errno: currentErrno(fallback: rc)) }
    }

    /// For calls that return a pointer or `NULL` with `errno` set (`ibv_reg_mr`, `ibv_create_cq`).
    @inlinable @inline(__always)
    public static func nonNil<T>(_ value: T?, _ verb: StaticString) throws(VerbsError) -> T {
        guard let value else { throw VerbsError(verb: verb, errno: currentErrno(fallback: -1)) }
        return value
    }

    /// Reads errno right after the failed call. Never returns 0: a library that
    /// failed without setting errno is reported as EIO rather than "success".
    @inlinable @inline(__always)
    static func currentErrno(fallback rc: Int32) -> Int32 {
        let value = Glibc.errno
        if value != 0 { return value }
        return rc < -1 ? -rc : EIO
    }
}
