import CVerbs

/// A protection domain (`struct ibv_pd`): the scope of memory registrations and queue pairs.
///
/// Ownership: holds its `DeviceContext`; memory regions, SRQs and QPs hold the
/// PD, so `ibv_dealloc_pd` runs only after all of them are gone.
public final class ProtectionDomain {
    public let pointer: UnsafeMutablePointer<ibv_pd>
    /// The device this PD belongs to; kept alive by this reference.
    public let context: DeviceContext

    /// Allocates a PD. The corresponding verb is `ibv_alloc_pd`.
    public init(context: DeviceContext) throws(VerbsError) {
        pointer = try VerbsError.nonNil(ibv_alloc_pd(context.pointer), "ibv_alloc_pd")
        self.context = context
        LiveResources.created()
    }

    deinit {
        if ibv_dealloc_pd(pointer) == 0 { LiveResources.destroyed() }
    }

    /// Registers caller memory. See `MemoryRegion.init(protectionDomain:registering:access:)`.
    public func register(_ memory: UnsafeMutableRawBufferPointer, access: MemoryAccess)
        throws(VerbsError)
        -> MemoryRegion
    {
        try MemoryRegion(protectionDomain: self, registering: memory, access: access)
    }

    /// Allocates and registers page-aligned memory owned by the region.
    public func allocateRegion(byteCount: Int, access: MemoryAccess) throws(VerbsError)
        -> MemoryRegion
    {
        try MemoryRegion(protectionDomain: self, byteCount: byteCount, access: access)
    }
}
