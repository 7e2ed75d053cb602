import CVerbs

/// A type 2 memory window (`struct ibv_mw`): a remote key for part of a
/// registered region, bound by a work request on a QP and revocable by the
/// peer with SEND_WITH_INV (or locally with LOCAL_INV).
///
/// This is what a peer's SEND_WITH_INV invalidates in user space: providers
/// such as rxe refuse to invalidate a plain `ibv_reg_mr` region's rkey.
///
/// Ownership: holds its `ProtectionDomain`; `ibv_dealloc_mw` runs before the PD goes.
public final class MemoryWindow {
    public let pointer: UnsafeMutablePointer<ibv_mw>
    public let protectionDomain: ProtectionDomain

    /// The corresponding verb is `ibv_alloc_mw` with `IBV_MW_TYPE_2`.
    public init(protectionDomain: ProtectionDomain) throws(VerbsError) {
        pointer = try VerbsError.nonNil(
            ibv_alloc_mw(protectionDomain.pointer, IBV_MW_TYPE_2), "ibv_alloc_mw")
        self.protectionDomain = protectionDomain
        LiveResources.created()
    }

    deinit {
        if ibv_dealloc_mw(pointer) == 0 { LiveResources.destroyed() }
    }

    /// The window's current rkey as the library knows it.
    public var rkey: UInt32 { pointer.pointee.rkey }
}

extension MemoryAccess {
    /// The region may have memory windows bound to it.
    public static let memoryWindowBind = MemoryAccess(
        rawValue: Int32(bitPattern: IBV_ACCESS_MW_BIND.rawValue))
}

extension SendWorkRequestList {
    /// Appends a BIND_MW request that binds `window` to `length` bytes at `offset` of `region`.
    ///
    /// - Returns: The rkey the window will carry once the bind completes (its key
    ///   byte advanced, so an rkey from a previous binding stays invalid).
    /// - Precondition: `region` was registered with `.memoryWindowBind`.
    public func appendBindMemoryWindow(
        id: UInt64, window: MemoryWindow, region: MemoryRegion, offset: Int, length: Int,
        access: MemoryAccess,
        flags: SendFlags = .signaled
    ) -> UInt32 {
        precondition(
            offset >= 0 && length >= 0 && offset <= region.bytes.count - length,
            "window outside the region")
        let newRKey = ibv_inc_rkey(window.rkey)
        let slot = reserveSlot()
        requests[slot].set(
            id: id, opcode: SendOpcode(rawValue: IBV_WR_BIND_MW.rawValue), sges: nil, sgeCount: 0,
            flags: flags)
        requests[slot].raw.bind_mw.mw = window.pointer
        requests[slot].raw.bind_mw.rkey = newRKey
        requests[slot].raw.bind_mw.bind_info = ibv_mw_bind_info(
            mr: region.pointer, addr: region.address &+ UInt64(offset), length: UInt64(length),
            mw_access_flags: UInt32(bitPattern: access.rawValue))
        return newRKey
    }
}
