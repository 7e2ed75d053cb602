import Backends
import Glibc
import Testing

@Suite struct MemoryBlockDeviceTests {
    @Test func storageIsOnePageAlignedMapping() throws {
        let device = try MemoryBlockDevice(name: "Malloc0", blockCount: 256, blockSize: 4096)
        defer { device.close() }
        #expect(device.byteCount == 256 * 4096)
        #expect(UInt(bitPattern: device.baseAddress) % UInt(getpagesize()) == 0)
        #expect(TestSupport.isAllZero(device.storage))
        #expect(!device.hasVolatileWriteCache)
        #expect(device.deallocatedBlocksReadZero)
    }

    @Test func writesLandInStorageAndReadBack() throws {
        let device = try MemoryBlockDevice(name: "Malloc0", blockCount: 64, blockSize: 512)
        defer { device.close() }
        let channel = try device.makeChannel(queueDepth: 128)
        defer { channel.close() }
        #expect(channel.notificationFD == -1)
        let data = TestSupport.alignedBuffer(bytes: 64 * 512)
        defer { data.deallocate() }
        var writes: [BlockRequest] = []
        for lba in 0..<64 {
            let block = UnsafeMutableRawBufferPointer(rebasing: data[(lba * 512)..<((lba + 1) * 512)])
            TestSupport.fill(block, lba: UInt64(lba), generation: 1)
            writes.append(
                BlockRequest(
                    operation: .write, startingBlock: UInt64(lba), blockCount: 1, buffer: IOBuffer(block),
                    tag: UInt64(lba)))
        }
        let w = TestSupport.run(writes.shuffled(), on: channel)
        #expect(w.count == 64 && w.values.allSatisfy { $0 == nil })
        // The RDMA layer's zero-copy view sees the same bytes.
        let view = try #require(device.storageBuffer(startingBlock: 10, blockCount: 1))
        #expect(TestSupport.matches(view.bytes, lba: 10, generation: 1))
        #expect(device.storageBuffer(startingBlock: 64, blockCount: 1) == nil)
        #expect(device.storageBuffer(startingBlock: 63, blockCount: 2) == nil)

        memset(data.baseAddress!, 0xA5, data.count)
        let r = TestSupport.run(
            [
                BlockRequest(operation: .read, startingBlock: 0, blockCount: 64, buffer: IOBuffer(data), tag: 100),
                BlockRequest(operation: .flush, tag: 101),
            ], on: channel)
        #expect(r[100] == .some(nil) && r[101] == .some(nil))
        for lba in 0..<64 {
            let block = UnsafeMutableRawBufferPointer(rebasing: data[(lba * 512)..<((lba + 1) * 512)])
            #expect(TestSupport.matches(block, lba: UInt64(lba), generation: 1))
        }
    }

    @Test func writeZeroesAndDeallocateClearTheRange() throws {
        let device = try MemoryBlockDevice(name: "Malloc0", blockCount: 16, blockSize: 512)
        defer { device.close() }
        memset(device.baseAddress, 0x5A, device.byteCount)
        let channel = try device.makeChannel(queueDepth: 4)
        defer { channel.close() }
        let r = TestSupport.run(
            [
                BlockRequest(operation: .writeZeroes, startingBlock: 2, blockCount: 2, tag: 1),
                BlockRequest(operation: .deallocate, startingBlock: 8, blockCount: 4, tag: 2),
            ], on: channel)
        #expect(r[1] == .some(nil) && r[2] == .some(nil))
        for lba in 0..<16 {
            let block = device.storageBuffer(startingBlock: UInt64(lba), blockCount: 1)!.bytes
            let cleared = (2..<4).contains(lba) || (8..<12).contains(lba)
            #expect(cleared ? TestSupport.isAllZero(block) : block.allSatisfy { $0 == 0x5A }, "block \(lba)")
        }
    }

    @Test func completionsWaitForPollAndRespectQueueDepth() throws {
        let device = try MemoryBlockDevice(name: "Malloc0", blockCount: 8, blockSize: 512)
        defer { device.close() }
        let channel = try device.makeChannel(queueDepth: 2)
        defer { channel.close() }
        #expect(channel.submit(BlockRequest(operation: .flush, tag: 1)) == .accepted)
        #expect(channel.submit(BlockRequest(operation: .flush, tag: 2)) == .accepted)
        #expect(channel.submit(BlockRequest(operation: .flush, tag: 3)) == .busy)
        #expect(channel.inFlight == 2)
        var tags: [UInt64] = []
        #expect(channel.poll(maxCompletions: 1) { tags.append($0.tag) } == 1)
        #expect(channel.poll(maxCompletions: 8) { tags.append($0.tag) } == 1)
        #expect(tags == [1, 2])
        #expect(channel.inFlight == 0)
        #expect(
            channel.submit(BlockRequest(operation: .writeZeroes, startingBlock: 7, blockCount: 2, tag: 4))
                == .failed(.outOfRange))
    }

    @Test func badSizesAreRefused() {
        #expect(throws: BlockDeviceError.self) { _ = try MemoryBlockDevice(name: "m", blockCount: 0) }
        #expect(throws: BlockDeviceError.self) { _ = try MemoryBlockDevice(name: "m", blockCount: 8, blockSize: 520) }
        #expect(throws: BlockDeviceError.self) {
            _ = try MemoryBlockDevice(name: "m", blockCount: UInt64.max / 2, blockSize: 4096)
        }
    }

    /// The mapping is lazy, so size is checked against the memory there is:
    /// 1 PiB (as an RPC could ask) is refused at once, naming the fields.
    @Test func aDeviceLargerThanMemoryIsRefusedAtCreation() throws {
        let available = try #require(MemoryBlockDevice.availableMemoryBytes())
        do {
            _ = try MemoryBlockDevice(name: "huge", blockCount: (1 << 50) / 4096, blockSize: 4096)
            Issue.record("a 1 PiB malloc bdev was created with \(available) bytes available")
        } catch {
            #expect("\(error)".contains("num_blocks × block_size"), "\(error)")
        }
    }
}
