import CVerbs

#if canImport(Glibc)
    import Glibc
#endif

/// Access rights of a memory region (`enum ibv_access_flags`).
@frozen
public struct MemoryAccess: OptionSet, Hashable, Sendable {
    public let rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The local HCA may write (needed for receive buffers and RDMA READ targets).
    public static let localWrite = MemoryAccess(
        rawValue: Int32(bitPattern: IBV_ACCESS_LOCAL_WRITE.rawValue))
    /// A peer may RDMA WRITE into it (requires `localWrite`).
    public static let remoteWrite = MemoryAccess(
        rawValue: Int32(bitPattern: IBV_ACCESS_REMOTE_WRITE.rawValue))
    /// A peer may RDMA READ from it.
    public static let remoteRead = MemoryAccess(
        rawValue: Int32(bitPattern: IBV_ACCESS_REMOTE_READ.rawValue))
    /// A peer may perform atomics on it (requires `localWrite`).
    public static let remoteAtomic = MemoryAccess(
        rawValue: Int32(bitPattern: IBV_ACCESS_REMOTE_ATOMIC.rawValue))
    /// Relaxed PCIe ordering, a hint providers may ignore.
    public static let relaxedOrdering = MemoryAccess(
        rawValue: Int32(bitPattern: IBV_ACCESS_RELAXED_ORDERING.rawValue))

    /// Everything a target data buffer needs: local writes and both remote directions.
    public static let all: MemoryAccess = [.localWrite, .remoteRead, .remoteWrite]

    /// True when the device would refuse the combination (remote write or atomic without local write).
    public var isValid: Bool {
        if !isDisjoint(with: [.remoteWrite, .remoteAtomic]) { return contains(.localWrite) }
        return true
    }
}

/// Registered memory (`struct ibv_mr`): either caller memory or a page-aligned
/// buffer this object allocated and frees.
///
/// Ownership: holds its `ProtectionDomain`. For caller memory, the caller must
/// keep the bytes alive and in place until this object is gone (the HCA keeps
/// using the pages). For an owned region, `bytes` is valid exactly as long as
/// this object, and `ibv_dereg_mr` runs before the memory is freed.
public final class MemoryRegion {
    public let pointer: UnsafeMutablePointer<ibv_mr>
    public let protectionDomain: ProtectionDomain
    /// The registered bytes.
    public let bytes: UnsafeMutableRawBufferPointer
    /// The key local work requests use in their SGEs.
    public let lkey: UInt32
    /// The key a peer uses for RDMA READ/WRITE into this region.
    public let rkey: UInt32
    /// True when `bytes` was allocated by this object and is freed with it.
    let ownsMemory: Bool

    /// Registers caller memory. The corresponding verb is `ibv_reg_mr`.
    /// - Throws: EINVAL for an invalid access combination; ENOMEM/EPERM when the
    ///   memlock limit is too low (`ulimit -l unlimited`).
    public convenience init(
        protectionDomain: ProtectionDomain, registering memory: UnsafeMutableRawBufferPointer,
        access: MemoryAccess
    ) throws(VerbsError) {
        try self.init(protectionDomain: protectionDomain, memory: memory, access: access, owning: false)
    }

    private init(
        protectionDomain: ProtectionDomain, memory: UnsafeMutableRawBufferPointer, access: MemoryAccess,
        owning: Bool
    ) throws(VerbsError) {
        // On failure an owned buffer is freed here, since no deinit will run.
        guard access.isValid, let base = memory.baseAddress else {
            if owning { memory.deallocate() }
            throw VerbsError(verb: "ibv_reg_mr", errno: EINVAL)
        }
        guard let mr = ibv_reg_mr(protectionDomain.pointer, base, memory.count, access.rawValue) else {
            let error = VerbsError(verb: "ibv_reg_mr", errno: VerbsError.currentErrno(fallback: -1))
            if owning { memory.deallocate() }
            throw error
        }
        self.pointer = mr
        self.protectionDomain = protectionDomain
        self.bytes = memory
        self.lkey = mr.pointee.lkey
        self.rkey = mr.pointee.rkey
        self.ownsMemory = owning
        LiveResources.created()
    }

    /// Allocates `byteCount` zeroed, page-aligned bytes and registers them.
    public convenience init(protectionDomain: ProtectionDomain, byteCount: Int, access: MemoryAccess)
        throws(VerbsError)
    {
        guard byteCount > 0 else { throw VerbsError(verb: "ibv_reg_mr", errno: EINVAL) }
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 4096)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        try self.init(protectionDomain: protectionDomain, memory: memory, access: access, owning: true)
    }

    deinit {
        if ibv_dereg_mr(pointer) == 0 { LiveResources.destroyed() }
        if ownsMemory { bytes.deallocate() }
    }

    /// The address of the first registered byte, as SGEs and peers see it.
    @inlinable public var address: UInt64 { UInt64(UInt(bitPattern: bytes.baseAddress)) }

    /// An SGE for `length` bytes at `offset` into this region.
    ///
    /// - Precondition: the range lies inside the region (a programming error otherwise).
    @inlinable
    public func scatterGatherEntry(offset: Int = 0, length: Int) -> ScatterGatherEntry {
        precondition(
            offset >= 0 && length >= 0 && offset <= bytes.count - length, "SGE outside the memory region")
        return ScatterGatherEntry(
            address: address &+ UInt64(offset), length: UInt32(length), lkey: lkey)
    }
}
