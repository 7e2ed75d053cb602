import CVerbs

/// One scatter/gather element: a local buffer a work request reads or fills.
///
/// Same layout as `struct ibv_sge` (16 bytes, a single stored `ibv_sge`), so a
/// buffer of these can be handed to a work request as its `sg_list` without a copy.
@frozen
public struct ScatterGatherEntry: Hashable, Sendable {
    public var raw: ibv_sge

    /// - Parameters:
    ///   - address: Virtual address inside a registered region.
    ///   - length: Byte count.
    ///   - lkey: The region's local key (`MemoryRegion.lkey`).
    @inlinable
    public init(address: UInt64, length: UInt32, lkey: UInt32) {
        raw = ibv_sge(addr: address, length: length, lkey: lkey)
    }

    @inlinable public var address: UInt64 {
        get { raw.addr }
        set { raw.addr = newValue }
    }
    @inlinable public var length: UInt32 {
        get { raw.length }
        set { raw.length = newValue }
    }
    @inlinable public var lkey: UInt32 {
        get { raw.lkey }
        set { raw.lkey = newValue }
    }

    public static func == (a: ScatterGatherEntry, b: ScatterGatherEntry) -> Bool {
        a.raw.addr == b.raw.addr && a.raw.length == b.raw.length && a.raw.lkey == b.raw.lkey
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(raw.addr)
        hasher.combine(raw.length)
        hasher.combine(raw.lkey)
    }
}

/// Where an RDMA READ or WRITE goes on the peer: its virtual address and rkey.
@frozen
public struct RemoteAddress: Hashable, Sendable {
    public var address: UInt64
    public var rkey: UInt32
    @inlinable public init(address: UInt64, rkey: UInt32) {
        self.address = address
        self.rkey = rkey
    }
}
