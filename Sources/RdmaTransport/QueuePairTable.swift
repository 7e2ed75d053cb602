/// Maps a QP number to a connection slot without hashing through `Hasher`
/// and without allocating after `init`.
///
/// Why it exists: receives posted to an SRQ carry no connection in their
/// `wr_id` (the buffer belongs to the poll group, not to a connection), so
/// every receive completion finds its connection by the QP number in the
/// work completion. A Swift `Dictionary` costs a SipHash round per lookup;
/// this table costs one multiply and, almost always, one load.
///
/// Open addressing with linear probing over a power-of-two array of
/// `UInt64` entries: the QP number in the high 32 bits, slot + 1 in the low
/// 32 bits (0 marks an empty entry). Removal shifts later entries of the
/// same probe run back (no tombstones), so lookups never slow down however
/// many connections come and go. At most `capacity - 1` entries are held:
/// every probe is sure to meet an empty entry, so no loop needs a counter.
///
/// Not thread-safe: it belongs to one poll group.
struct QueuePairTable: ~Copyable {
    /// Entries in the array (a power of two).
    let capacity: Int
    /// How many QP numbers are mapped.
    private(set) var count = 0
    private let entries: UnsafeMutablePointer<UInt64>
    private let mask: Int
    /// 32 − log2(capacity): the hash keeps the product's top bits.
    private let shift: UInt32

    /// A table of at least `minimumCapacity` entries (rounded up to a power
    /// of two, at least 2). Keep it at twice the live entries or more so
    /// probe runs stay short.
    init(minimumCapacity: Int) {
        var size = 2
        while size < minimumCapacity { size &*= 2 }
        capacity = size
        mask = size &- 1
        shift = UInt32(32 &- size.trailingZeroBitCount)
        entries = .allocate(capacity: size)
        entries.initialize(repeating: 0, count: size)
    }

    deinit { entries.deallocate() }

    /// The entry where `queuePairNumber`'s probe starts (internal for tests).
    /// Fibonacci hashing: QP numbers are handed out nearly sequentially, and
    /// the multiply spreads neighbours apart so runs do not pile up.
    @inline(__always)
    func home(_ queuePairNumber: UInt32) -> Int {
        Int(truncatingIfNeeded: (queuePairNumber &* 0x9E37_79B1) >> shift) & mask
    }

    @inline(__always)
    private static func key(_ entry: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: entry >> 32) }

    /// The slot mapped to `queuePairNumber`, or nil.
    @inline(__always)
    func lookup(_ queuePairNumber: UInt32) -> Int? {
        var i = home(queuePairNumber)
        while true {
            let entry = entries[i]
            if entry == 0 { return nil }
            if Self.key(entry) == queuePairNumber { return Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) &- 1 }
            i = (i &+ 1) & mask
        }
    }

    /// Maps `queuePairNumber` to `slot` (0 ..< `UInt32.max`), replacing any
    /// earlier mapping of that number. Returns false, changing nothing, when
    /// the number is new and the table already holds `capacity - 1` entries,
    /// or when `slot` is out of range.
    @discardableResult
    mutating func insert(_ queuePairNumber: UInt32, slot: Int) -> Bool {
        guard slot >= 0, slot < Int(UInt32.max) else { return false }
        let entry = UInt64(queuePairNumber) << 32 | UInt64(slot &+ 1)
        var i = home(queuePairNumber)
        while true {
            let current = entries[i]
            if current == 0 { break }
            if Self.key(current) == queuePairNumber {
                entries[i] = entry
                return true
            }
            i = (i &+ 1) & mask
        }
        guard count < capacity &- 1 else { return false }
        entries[i] = entry
        count &+= 1
        return true
    }

    /// Unmaps `queuePairNumber`; returns the slot it had, or nil.
    @discardableResult
    mutating func remove(_ queuePairNumber: UInt32) -> Int? {
        var i = home(queuePairNumber)
        while true {
            let entry = entries[i]
            if entry == 0 { return nil }
            if Self.key(entry) == queuePairNumber { break }
            i = (i &+ 1) & mask
        }
        let slot = Int(truncatingIfNeeded: entries[i] & 0xFFFF_FFFF) &- 1
        // Backward shift: walk the rest of the run; an entry whose home lies
        // cyclically outside (hole, j] would become unreachable past the
        // hole, so it moves into the hole, which moves on to j.
        var hole = i
        var j = i
        while true {
            j = (j &+ 1) & mask
            let entry = entries[j]
            if entry == 0 { break }
            let h = home(Self.key(entry))
            // Distances from the hole, modulo capacity: the entry stays only
            // if its home is strictly after the hole and no later than j.
            if (h &- hole) & mask == 0 || (h &- hole) & mask > (j &- hole) & mask {
                entries[hole] = entry
                hole = j
            }
        }
        entries[hole] = 0
        count &-= 1
        return slot
    }

    /// Unmaps everything.
    mutating func removeAll() {
        entries.update(repeating: 0, count: capacity)
        count = 0
    }
}
