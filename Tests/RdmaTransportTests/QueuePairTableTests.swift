import Testing

@testable import RdmaTransport

@Suite struct QueuePairTableTests {
    /// Deterministic pseudo-random numbers (SplitMix64), so a failure replays.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// `n` distinct QP numbers whose probes all start at entry `home`.
    static func colliding(_ table: borrowing QueuePairTable, home: Int, _ n: Int) -> [UInt32] {
        var keys: [UInt32] = []
        var key: UInt32 = 0
        while keys.count < n {
            if table.home(key) == home { keys.append(key) }
            key &+= 1
        }
        return keys
    }

    @Test func capacityIsAPowerOfTwoAtLeastTheMinimum() {
        #expect(QueuePairTable(minimumCapacity: 1).capacity == 2)
        #expect(QueuePairTable(minimumCapacity: 8).capacity == 8)
        #expect(QueuePairTable(minimumCapacity: 9).capacity == 16)
        let group = QueuePairTable(minimumCapacity: 2 * RdmaPollGroup.maxConnections)
        #expect(group.capacity == 8192)
        #expect(group.count == 0)
    }

    @Test func insertLookupRemove() {
        var table = QueuePairTable(minimumCapacity: 64)
        #expect(table.lookup(0x11) == nil)
        #expect(table.insert(0x11, slot: 0) == true)
        #expect(table.insert(0xFF_FFFF, slot: 4095) == true)
        #expect(table.insert(0, slot: 7) == true)
        #expect(table.count == 3)
        #expect(table.lookup(0x11) == 0)
        #expect(table.lookup(0xFF_FFFF) == 4095)
        #expect(table.lookup(0) == 7)
        #expect(table.lookup(0x12) == nil)
        #expect(table.remove(0x11) == 0)
        #expect(table.lookup(0x11) == nil)
        #expect(table.remove(0x11) == nil)
        #expect(table.count == 2)
        #expect(table.lookup(0xFF_FFFF) == 4095)
    }

    @Test func insertReplacesAnEarlierMapping() {
        var table = QueuePairTable(minimumCapacity: 16)
        #expect(table.insert(42, slot: 1) == true)
        #expect(table.insert(42, slot: 9) == true)
        #expect(table.count == 1)
        #expect(table.lookup(42) == 9)
    }

    @Test func slotsOutOfRangeAreRefused() {
        var table = QueuePairTable(minimumCapacity: 16)
        #expect(table.insert(1, slot: -1) == false)
        #expect(table.insert(1, slot: Int(UInt32.max)) == false)
        #expect(table.count == 0)
        #expect(table.lookup(1) == nil)
    }

    @Test func collidingKeysAreAllFoundAndSurviveRemovalOfAnyOfThem() {
        for victim in 0..<5 {
            var table = QueuePairTable(minimumCapacity: 32)
            let keys = Self.colliding(table, home: 3, 5)
            for (slot, key) in keys.enumerated() { #expect(table.insert(key, slot: slot) == true) }
            for (slot, key) in keys.enumerated() { #expect(table.lookup(key) == slot) }
            #expect(table.remove(keys[victim]) == victim)
            for (slot, key) in keys.enumerated() {
                #expect(table.lookup(key) == (slot == victim ? nil : slot), "victim \(victim)")
            }
            #expect(table.count == 4)
        }
    }

    @Test func probeRunsWrapAroundTheEnd() {
        var table = QueuePairTable(minimumCapacity: 16)
        let last = table.capacity - 1
        let atEnd = Self.colliding(table, home: last, 3)
        let atStart = Self.colliding(table, home: 0, 2)
        // atEnd fills entries last, 0, 1; atStart is pushed on to 2, 3.
        for (slot, key) in (atEnd + atStart).enumerated() { #expect(table.insert(key, slot: slot) == true) }
        #expect(table.remove(atEnd[0]) == 0)
        #expect(table.lookup(atEnd[1]) == 1)
        #expect(table.lookup(atEnd[2]) == 2)
        #expect(table.lookup(atStart[0]) == 3)
        #expect(table.lookup(atStart[1]) == 4)
        #expect(table.remove(atEnd[1]) == 1)
        #expect(table.remove(atEnd[2]) == 2)
        #expect(table.lookup(atStart[0]) == 3)
        #expect(table.lookup(atStart[1]) == 4)
        #expect(table.count == 2)
    }

    @Test func entriesAreReusedAfterRemoval() {
        var table = QueuePairTable(minimumCapacity: 8)
        // Far more insert/remove cycles than entries: no tombstones pile up.
        for round in 0..<1000 {
            let key = UInt32(round &* 7919) & 0xFF_FFFF
            #expect(table.insert(key, slot: round) == true)
            #expect(table.lookup(key) == round)
            #expect(table.remove(key) == round)
            #expect(table.count == 0)
        }
        #expect(table.lookup(12345) == nil)
    }

    @Test func aFullTableRefusesNewNumbersButStillWorks() {
        var table = QueuePairTable(minimumCapacity: 8)
        let usable = table.capacity - 1
        for key in 0..<UInt32(usable) { #expect(table.insert(key &* 3, slot: Int(key)) == true) }
        #expect(table.count == usable)
        #expect(table.insert(1000, slot: 99) == false)
        #expect(table.count == usable)
        // Absent numbers still end their probe at the one empty entry.
        for key in 1000..<1100 as Range<UInt32> { #expect(table.lookup(key) == nil) }
        // Remapping a present number needs no room.
        #expect(table.insert(3, slot: 50) == true)
        #expect(table.lookup(3) == 50)
        #expect(table.remove(0) == 0)
        #expect(table.insert(1000, slot: 99) == true)
        #expect(table.lookup(1000) == 99)
        for key in 1..<UInt32(usable) where key != 1 {
            #expect(table.lookup(key &* 3) == Int(key))
        }
    }

    @Test func removeAllEmptiesTheTable() {
        var table = QueuePairTable(minimumCapacity: 16)
        for key in 0..<10 as Range<UInt32> { table.insert(key, slot: Int(key)) }
        table.removeAll()
        #expect(table.count == 0)
        for key in 0..<10 as Range<UInt32> { #expect(table.lookup(key) == nil) }
        #expect(table.insert(5, slot: 1) == true)
        #expect(table.lookup(5) == 1)
    }

    /// Random inserts, remaps and removes, checked against a Dictionary after every step.
    @Test(arguments: [(16, 40), (64, 100), (256, 1 << 24)])
    func randomOperationsMatchADictionary(capacity: Int, keySpace: Int) {
        var table = QueuePairTable(minimumCapacity: capacity)
        var model: [UInt32: Int] = [:]
        var rng = SplitMix64(state: UInt64(capacity &* 31 &+ keySpace))
        var keysSeen: [UInt32] = []
        for step in 0..<20_000 {
            // Reuse known numbers often so collisions, remaps and removals of present keys happen.
            let key: UInt32 =
                !keysSeen.isEmpty && Bool.random(using: &rng)
                ? keysSeen.randomElement(using: &rng)!
                : UInt32(Int.random(in: 0..<keySpace, using: &rng))
            if keysSeen.count < 512 { keysSeen.append(key) }
            switch Int.random(in: 0..<3, using: &rng) {
            case 0, 1:
                let slot = Int.random(in: 0..<4096, using: &rng)
                let fits = model[key] != nil || model.count < table.capacity - 1
                #expect(table.insert(key, slot: slot) == fits, "step \(step)")
                if fits { model[key] = slot }
            default:
                #expect(table.remove(key) == model.removeValue(forKey: key), "step \(step)")
            }
            #expect(table.count == model.count, "step \(step)")
            #expect(table.lookup(key) == model[key], "step \(step)")
            if step % 97 == 0 {
                for k in keysSeen { #expect(table.lookup(k) == model[k], "step \(step) key \(k)") }
            }
        }
    }
}
