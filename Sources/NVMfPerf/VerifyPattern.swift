/// What `--verify` writes into every block and checks on every read.
///
/// Each block's content is a pure function of its LBA and the run's seed: the
/// first 8 bytes hold the LBA, the next 8 the seed, the rest words derived from
/// both. Because the content never depends on when a block was written, two
/// writes of one block racing each other, or a read racing a write, still leave
/// and see the same bytes; so any mix of reads and writes at any depth verifies.
public enum VerifyPattern {
    /// Fills `blockCount` blocks of `blockSize` bytes at `buffer` for LBAs from `startingLBA`.
    @inline(__always)
    public static func fill(
        _ buffer: UnsafeMutableRawPointer, startingLBA: UInt64, blockCount: Int, blockSize: Int, seed: UInt64
    ) {
        let words = blockSize / 8
        for block in 0..<blockCount {
            let lba = startingLBA &+ UInt64(block)
            let base = (buffer + block &* blockSize).assumingMemoryBound(to: UInt64.self)
            base[0] = lba.littleEndian
            base[1] = seed.littleEndian
            for word in 2..<words { base[word] = Self.word(lba: lba, seed: seed, index: word).littleEndian }
        }
    }

    /// Checks the blocks; returns how many differ and the first differing LBA.
    @inline(__always)
    public static func check(
        _ buffer: UnsafeRawPointer, startingLBA: UInt64, blockCount: Int, blockSize: Int, seed: UInt64
    ) -> (mismatches: Int, firstLBA: UInt64?) {
        let words = blockSize / 8
        var mismatches = 0
        var first: UInt64?
        for block in 0..<blockCount {
            let lba = startingLBA &+ UInt64(block)
            let base = (buffer + block &* blockSize).assumingMemoryBound(to: UInt64.self)
            var good = UInt64(littleEndian: base[0]) == lba && UInt64(littleEndian: base[1]) == seed
            var word = 2
            while good && word < words {
                good = UInt64(littleEndian: base[word]) == Self.word(lba: lba, seed: seed, index: word)
                word &+= 1
            }
            if !good {
                mismatches &+= 1
                if first == nil { first = lba }
            }
        }
        return (mismatches, first)
    }

    /// Word `index` of block `lba`: a multiplicative hash, cheap and never constant.
    @inline(__always)
    static func word(lba: UInt64, seed: UInt64, index: Int) -> UInt64 {
        (lba &* 0x9E37_79B9_7F4A_7C15) ^ seed ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93)
    }
}
