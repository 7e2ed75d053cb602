import NVMfHost
import NVMfPerf
import Testing

@Suite struct WorkloadTests {
    @Test func randomOffsetsStayAlignedAndInsideTheRange() {
        var generator = IOGenerator(
            rangeBlocks: 1000, blocksPerIO: 8, pattern: .randread, readPercent: 100, seed: 7, share: 0, of: 1)
        var seen = Set<UInt64>()
        for _ in 0..<10_000 {
            let next = generator.next()!
            #expect(next.isRead)
            #expect(next.lba % 8 == 0 && next.lba + 8 <= 1000)
            seen.insert(next.lba)
        }
        #expect(seen.count == 125)  // every one of the 125 aligned slots is drawn
    }

    @Test func finitePassesCoverTheRangeOnceBetweenThem() {
        var covered: [UInt64] = []
        for share in 0..<3 {
            var generator = IOGenerator(
                rangeBlocks: 100, blocksPerIO: 4, pattern: .randwrite, readPercent: 0, seed: 1, share: share, of: 3,
                finite: true)
            while let next = generator.next() { covered.append(next.lba) }
        }
        #expect(covered.sorted() == stride(from: 0, to: 100, by: 4).map { UInt64($0) })
    }

    @Test func mixedPatternsHonourTheReadShare() {
        var generator = IOGenerator(
            rangeBlocks: 1 << 20, blocksPerIO: 1, pattern: .randrw, readPercent: 70, seed: 3, share: 0, of: 1)
        let reads = (0..<10_000).filter { _ in generator.next()!.isRead }.count
        #expect((6_700...7_300).contains(reads))
        #expect(IOPattern.read.readPercent(mix: 30) == 100)
        #expect(IOPattern.randwrite.readPercent(mix: 30) == 0)
        #expect(IOPattern.rw.readPercent(mix: 30) == 30)
    }

    @Test func verifyPatternCatchesAWrongByteLBAOrSeed() {
        let blockSize = 512
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4 * blockSize, alignment: 64)
        defer { buffer.deallocate() }
        VerifyPattern.fill(buffer, startingLBA: 100, blockCount: 4, blockSize: blockSize, seed: 9)
        #expect(
            VerifyPattern.check(buffer, startingLBA: 100, blockCount: 4, blockSize: blockSize, seed: 9).mismatches == 0)
        // Another seed, another LBA: every block is wrong.
        #expect(
            VerifyPattern.check(buffer, startingLBA: 100, blockCount: 4, blockSize: blockSize, seed: 8).mismatches == 4)
        #expect(
            VerifyPattern.check(buffer, startingLBA: 101, blockCount: 4, blockSize: blockSize, seed: 9).mismatches == 4)
        // One flipped byte in the third block.
        buffer.storeBytes(
            of: buffer.load(fromByteOffset: 2 * blockSize + 300, as: UInt8.self) ^ 1,
            toByteOffset: 2 * blockSize + 300, as: UInt8.self)
        let check = VerifyPattern.check(buffer, startingLBA: 100, blockCount: 4, blockSize: blockSize, seed: 9)
        #expect(check.mismatches == 1 && check.firstLBA == 102)
    }

    @Test func coreMasksListsAndSizes() throws {
        #expect(try PerfConfiguration.parseCores("0x3") == [0, 1])
        #expect(try PerfConfiguration.parseCores("5") == [0, 2])
        #expect(try PerfConfiguration.parseCores("[0,2-3]") == [0, 2, 3])
        #expect(try PerfConfiguration.parseCores("1") == [0])
        #expect(throws: HostError.self) { _ = try PerfConfiguration.parseCores("0x0") }
        #expect(throws: HostError.self) { _ = try PerfConfiguration.parseCores("[3-1]") }
        #expect(try PerfConfiguration.parseSize("4k", option: "-o") == 4096)
        #expect(try PerfConfiguration.parseSize("128KiB", option: "-o") == 131_072)
        #expect(try PerfConfiguration.parseSize("2g", option: "-o") == 2 << 30)
        #expect(throws: HostError.self) { _ = try PerfConfiguration.parseSize("-4k", option: "-o") }
        #expect(throws: HostError.self) { _ = try PerfConfiguration.parseSize("99999999999t", option: "-o") }
    }

    @Test func badRunSettingsNameTheOption() {
        let target = TransportID(address: "10.0.0.1")
        func error(_ change: (inout PerfConfiguration) -> Void) -> String {
            var config = PerfConfiguration(
                transportIDs: [target], queueDepth: 32, ioSize: 4096, pattern: .randread, readMix: 50, seconds: 5,
                cores: [0])
            change(&config)
            do { try config.validate() } catch { return error.description }
            return ""
        }
        #expect(error { _ in } == "")
        #expect(error { $0.queueDepth = 0 }.hasPrefix("-q"))
        #expect(error { $0.ioSize = 1000 }.hasPrefix("-o"))
        #expect(error { $0.readMix = 101 }.hasPrefix("-M"))
        #expect(error { $0.seconds = 0 }.hasPrefix("-t"))
        #expect(error { $0.queuesPerNamespace = 0 }.hasPrefix("-P"))
        #expect(error { $0.transportIDs = [] }.hasPrefix("-r"))
        #expect(error { $0.ioRange = 512 }.hasPrefix("--io-range"))
    }
}
