import Glibc
import Synchronization
import Target
import Verbs

/// A mutex for control-path state shared between the CM thread and poll
/// groups (buffer pool refills, inboxes). Never taken per I/O except when a
/// poll group's buffer cache runs dry or overflows. The target's pthread
/// mutex (TSan sees it).
typealias TransportLock = ControlLock

/// The registered data buffers of one device: one memory region carved into
/// `count` buffers of `bufferSize` bytes, handed out by index.
///
/// Keyed transfers (RDMA READ targets, RDMA WRITE sources) and the block
/// device use the very same bytes, so no payload is copied. Poll groups take
/// and return buffers in batches through their `DataBufferCache`; the lock
/// here is taken once per batch, not per request.
final class DataBufferPool {
    let region: MemoryRegion
    let bufferSize: Int
    let count: Int
    private let lock = TransportLock()
    private var free: [Int32]
    /// `free.count`, published after every change under the lock, so a poll
    /// group can ask "is anything left?" per I/O without taking the lock.
    private let published = Atomic<Int>(0)

    /// Local access only, as SPDK registers its buffers. The target moves
    /// data with its own RDMA READ (into the buffer: local write) and RDMA
    /// WRITE (from it: local read), using the host's keys for the host's
    /// memory; no host ever needs a key to ours. With remote access, a host
    /// that guessed the pool's rkey could read or overwrite the data of
    /// every other host's commands in flight.
    static let access: MemoryAccess = [.localWrite]

    init(protectionDomain: ProtectionDomain, count: Int, bufferSize: Int) throws(VerbsError) {
        region = try protectionDomain.allocateRegion(byteCount: count * bufferSize, access: Self.access)
        self.bufferSize = bufferSize
        self.count = count
        free = (0..<Int32(count)).reversed().map { $0 }
        published.store(count, ordering: .relaxed)
    }

    /// Moves up to `wanted` free indexes into `cache`; returns how many.
    func take(_ wanted: Int, into cache: DataBufferCache) -> Int {
        lock.withLock {
            var moved = 0
            while moved < wanted, let index = free.popLast() {
                cache.push(index)
                moved += 1
            }
            published.store(free.count, ordering: .relaxed)
            return moved
        }
    }

    /// Returns `n` indexes from the top of `cache`.
    func give(_ n: Int, from cache: DataBufferCache) {
        lock.withLock {
            for _ in 0..<n {
                guard let index = cache.pop() else { break }
                free.append(index)
            }
            published.store(free.count, ordering: .relaxed)
        }
    }

    /// Buffers not held by any cache or request, exactly (takes the lock; leak checks).
    var freeCount: Int { lock.withLock { free.count } }

    /// `freeCount` without the lock: the value after the latest `take` or
    /// `give` to finish, which may already be out of date when read, as the
    /// locked count is the moment the lock drops. A hint for "worth trying
    /// `get()`" (which takes the lock and decides for real), never a promise.
    @inline(__always)
    var approximateFreeCount: Int { published.load(ordering: .relaxed) }

    /// Address of buffer `index`.
    @inline(__always)
    func address(_ index: Int32) -> UnsafeMutableRawPointer {
        region.bytes.baseAddress! + (Int(index) &* bufferSize)
    }
}

/// One poll group's stash of buffer indexes from a `DataBufferPool`.
///
/// Preallocated to twice the cache size: `get` refills half of it when
/// empty, `put` returns half when full, so the pool lock is amortised.
final class DataBufferCache {
    let pool: DataBufferPool
    let batch: Int
    private let storage: UnsafeMutablePointer<Int32>
    private let capacity: Int
    private(set) var count = 0

    init(pool: DataBufferPool, cacheSize: Int) {
        self.pool = pool
        batch = max(cacheSize, 1)
        capacity = batch * 2
        storage = .allocate(capacity: capacity)
    }

    deinit {
        if count > 0 { pool.give(count, from: self) }
        storage.deallocate()
    }

    @inline(__always)
    fileprivate func push(_ index: Int32) {
        storage[count] = index
        count &+= 1
    }

    @inline(__always)
    fileprivate func pop() -> Int32? {
        guard count > 0 else { return nil }
        count &-= 1
        return storage[count]
    }

    /// A free buffer index, or nil when the whole pool is in use.
    @inline(__always)
    func get() -> Int32? {
        if count == 0, pool.take(batch, into: self) == 0 { return nil }
        return pop()
    }

    @inline(__always)
    func put(_ index: Int32) {
        if count == capacity { pool.give(batch, from: self) }
        push(index)
    }

    /// Returns everything to the pool (shutdown).
    func drain() { pool.give(count, from: self) }
}
