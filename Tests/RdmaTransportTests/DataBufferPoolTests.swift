import Dispatch
import Testing
import Verbs

@testable import RdmaTransport

/// `DataBufferPool` registers memory, so these need the lab's RDMA device.
@Suite(.enabled(if: RdmaLab.enabled, RdmaLab.skipReason))
struct DataBufferPoolTests {
    static func makePool(count: Int) throws -> DataBufferPool {
        let context = try Device.find(named: RdmaLab.device).open()
        let pd = try ProtectionDomain(context: context)
        return try DataBufferPool(protectionDomain: pd, count: count, bufferSize: 4096)
    }

    @Test func lockFreeCountFollowsTakeAndGive() throws {
        let pool = try Self.makePool(count: 64)
        #expect(pool.approximateFreeCount == 64)
        let cache = DataBufferCache(pool: pool, cacheSize: 8)
        var held: [Int32] = []
        // The first get refills 8 from the pool.
        held.append(try #require(cache.get()))
        #expect(pool.freeCount == 56)
        #expect(pool.approximateFreeCount == 56)
        while let index = cache.get() { held.append(index) }
        #expect(held.count == 64)
        #expect(Set(held).count == 64)
        #expect(pool.freeCount == 0)
        #expect(pool.approximateFreeCount == 0)
        // Putting back overflows the 16-entry cache twice: 8 go back each time.
        for index in held { cache.put(index) }
        #expect(cache.count == 16)
        #expect(pool.freeCount == 48)
        #expect(pool.approximateFreeCount == 48)
        cache.drain()
        #expect(pool.freeCount == 64)
        #expect(pool.approximateFreeCount == 64)
    }

    /// Two poll groups' caches hammer one pool from two threads; afterwards
    /// the lock-free count agrees with the locked one and nothing leaked.
    @Test func lockFreeCountIsRightAfterConcurrentUse() throws {
        let pool = try Self.makePool(count: 256)
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            let cache = DataBufferCache(pool: pool, cacheSize: 4)
            var held: [Int32] = []
            held.reserveCapacity(64)
            for round in 0..<2000 {
                let want = (round &* 7 &+ thread) % 64
                while held.count < want, let index = cache.get() { held.append(index) }
                while held.count > want / 2 { cache.put(held.removeLast()) }
            }
            for index in held { cache.put(index) }
            cache.drain()
        }
        #expect(pool.freeCount == 256)
        #expect(pool.approximateFreeCount == 256)
    }
}
