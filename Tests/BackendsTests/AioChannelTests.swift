import Glibc
import Testing

@testable import Backends

/// I/O through `AioChannel` on real files (and, with root, real loop and
/// device-mapper block devices). Loop tests run where `losetup` can attach a
/// device (root + loop driver), e.g. the lab guest; elsewhere they are
/// reported as skipped with that reason.
@Suite struct AioChannelTests {
    /// Writes every block of the first `blocks` in a shuffled order at queue
    /// depth 128, reads them all back at queue depth 128 into separate
    /// buffers, and checks each block holds its own pattern.
    static func checkIntegrity(_ device: AioBlockDevice, blocks: Int) throws {
        let bs = device.blockSize
        let channel = try device.makeChannel(queueDepth: 128)
        defer { channel.close() }
        let data = TestSupport.alignedBuffer(bytes: blocks * bs)
        defer { data.deallocate() }
        var order = Array(0..<blocks)
        order.shuffle()
        var writes: [BlockRequest] = []
        for lba in order {
            let block = UnsafeMutableRawBufferPointer(rebasing: data[(lba * bs)..<((lba + 1) * bs)])
            TestSupport.fill(block, lba: UInt64(lba), generation: 7)
            writes.append(
                BlockRequest(
                    operation: .write, startingBlock: UInt64(lba), blockCount: 1, buffer: IOBuffer(block),
                    tag: UInt64(lba)))
        }
        let written = TestSupport.run(writes, on: channel)
        #expect(written.count == blocks)
        #expect(written.values.allSatisfy { $0 == nil })

        memset(data.baseAddress!, 0xA5, data.count)
        order.shuffle()
        let reads = order.map { lba in
            BlockRequest(
                operation: .read, startingBlock: UInt64(lba), blockCount: 1,
                buffer: IOBuffer(
                    UnsafeMutableRawBufferPointer(rebasing: data[(lba * bs)..<((lba + 1) * bs)])),
                tag: UInt64(lba))
        }
        let read = TestSupport.run(reads, on: channel)
        #expect(read.count == blocks)
        #expect(read.values.allSatisfy { $0 == nil })
        let bad = (0..<blocks).filter {
            !TestSupport.matches(
                UnsafeMutableRawBufferPointer(rebasing: data[($0 * bs)..<(($0 + 1) * bs)]), lba: UInt64($0),
                generation: 7)
        }
        #expect(bad.isEmpty, "blocks with wrong contents: \(bad.prefix(10))")
    }

    /// Fills 64 blocks, zeroes 8..<24, deallocates 32..<48, flushes, and
    /// checks exactly those ranges read back as zeroes.
    static func checkZeroesAndDeallocate(_ device: AioBlockDevice) throws {
        let bs = device.blockSize
        let channel = try device.makeChannel(queueDepth: 8)
        defer { channel.close() }
        let data = TestSupport.alignedBuffer(bytes: 64 * bs)
        defer { data.deallocate() }
        for lba in 0..<64 {
            TestSupport.fill(
                UnsafeMutableRawBufferPointer(rebasing: data[(lba * bs)..<((lba + 1) * bs)]),
                lba: UInt64(lba), generation: 3)
        }
        var r = TestSupport.run(
            [
                BlockRequest(
                    operation: .write, startingBlock: 0, blockCount: 64, buffer: IOBuffer(data), tag: 1)
            ],
            on: channel)
        #expect(r[1] == .some(nil))
        r = TestSupport.run(
            [
                BlockRequest(operation: .writeZeroes, startingBlock: 8, blockCount: 16, tag: 2),
                BlockRequest(operation: .deallocate, startingBlock: 32, blockCount: 16, tag: 3),
                BlockRequest(operation: .flush, tag: 4),
            ], on: channel)
        #expect(r[2] == .some(nil))
        #expect(r[3] == .some(nil))
        #expect(r[4] == .some(nil))
        memset(data.baseAddress!, 0xA5, data.count)
        r = TestSupport.run(
            [
                BlockRequest(
                    operation: .read, startingBlock: 0, blockCount: 64, buffer: IOBuffer(data), tag: 5)
            ],
            on: channel)
        #expect(r[5] == .some(nil))
        for lba in 0..<64 {
            let block = UnsafeMutableRawBufferPointer(rebasing: data[(lba * bs)..<((lba + 1) * bs)])
            if (8..<24).contains(lba) || (32..<48).contains(lba) {
                #expect(TestSupport.isAllZero(block), "block \(lba) should read as zeroes")
            } else {
                #expect(TestSupport.matches(block, lba: UInt64(lba), generation: 3), "block \(lba) changed")
            }
        }
    }

    @Test func integrityAtQueueDepth128OnAFile() throws {
        let path = TestSupport.makeFile("integrity.img", bytes: 16 << 20)
        let device = try AioBlockDevice(path: path, name: "aio0", blockSize: 4096)
        defer { device.close() }
        try Self.checkIntegrity(device, blocks: 2048)
    }

    @Test func writeZeroesAndDeallocateOnAFile() throws {
        let path = TestSupport.makeFile("zeroes.img", bytes: 1 << 20)
        let device = try AioBlockDevice(path: path, name: "aio0", blockSize: 4096)
        defer { device.close() }
        try Self.checkZeroesAndDeallocate(device)
    }

    @Test func flushAndForceUnitAccessWritesComplete() throws {
        let path = TestSupport.makeFile("fua.img", bytes: 1 << 20)
        let device = try AioBlockDevice(path: path, name: "aio0", blockSize: 4096)
        defer { device.close() }
        let channel = try device.makeChannel(queueDepth: 4)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 4096)
        defer { buffer.deallocate() }
        TestSupport.fill(buffer, lba: 5, generation: 1)
        let r = TestSupport.run(
            [
                BlockRequest(
                    operation: .write, startingBlock: 5, blockCount: 1, buffer: IOBuffer(buffer),
                    forceUnitAccess: true, tag: 1),
                BlockRequest(operation: .flush, tag: 2),
            ], on: channel)
        #expect(r[1] == .some(nil))
        #expect(r[2] == .some(nil))
        // The data is in the file as seen through an ordinary descriptor.
        let fd = open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        let check = TestSupport.alignedBuffer(bytes: 4096)
        defer { check.deallocate() }
        #expect(pread(fd, check.baseAddress, 4096, 5 * 4096) == 4096)
        #expect(TestSupport.matches(check, lba: 5, generation: 1))
    }

    @Test func readOnlyDeviceRefusesEveryWrite() throws {
        let path = TestSupport.makeFile("ro.img", bytes: 1 << 20)
        let device = try AioBlockDevice(path: path, name: "ro", blockSize: 4096, readOnly: true)
        defer { device.close() }
        #expect(device.isReadOnly)
        let channel = try device.makeChannel(queueDepth: 4)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 4096)
        defer { buffer.deallocate() }
        for op in [BlockOperation.write, .writeZeroes, .deallocate] {
            let r = channel.submit(
                BlockRequest(
                    operation: op, startingBlock: 0, blockCount: 1, buffer: IOBuffer(buffer), tag: 1))
            #expect(r == .failed(.readOnly))
        }
        let r = TestSupport.run(
            [
                BlockRequest(
                    operation: .read, startingBlock: 0, blockCount: 1, buffer: IOBuffer(buffer), tag: 9)
            ],
            on: channel)
        #expect(r[9] == .some(nil))
        #expect(channel.inFlight == 0)
    }

    @Test func badRequestsAreRefusedAtSubmit() throws {
        let path = TestSupport.makeFile("bad.img", bytes: 64 * 4096)
        let device = try AioBlockDevice(path: path, name: "bad", blockSize: 4096)
        defer { device.close() }
        let channel = try device.makeChannel(queueDepth: 2)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 3 * 4096)
        defer { buffer.deallocate() }
        let whole = IOBuffer(buffer)
        func submit(_ op: BlockOperation, _ lba: UInt64, _ n: UInt32, _ buf: IOBuffer)
            -> BlockSubmitResult
        {
            channel.submit(
                BlockRequest(operation: op, startingBlock: lba, blockCount: n, buffer: buf, tag: 0))
        }
        #expect(submit(.read, 64, 1, whole) == .failed(.outOfRange))
        #expect(submit(.read, 63, 2, whole) == .failed(.outOfRange))
        #expect(submit(.write, UInt64.max, 2, whole) == .failed(.outOfRange))
        #expect(submit(.writeZeroes, 60, 5, .empty) == .failed(.outOfRange))
        #expect(submit(.read, 0, 0, whole) == .failed(.outOfRange))
        let shifted = IOBuffer(baseAddress: buffer.baseAddress! + 512, count: 4096)
        #expect(submit(.read, 0, 1, shifted) == .failed(.misaligned))
        #expect(submit(.write, 0, 4, whole) == .failed(.misaligned))  // buffer holds 3 blocks
        #expect(channel.inFlight == 0)
        // Back-pressure: the third operation on a depth-2 channel is refused as busy.
        #expect(submit(.read, 0, 1, whole.prefix(4096)) == .accepted)
        #expect(submit(.read, 1, 1, whole.prefix(4096)) == .accepted)
        #expect(submit(.read, 2, 1, whole.prefix(4096)) == .busy)
        #expect(channel.inFlight == 2)
        // Both reads (tag 0) complete successfully once reaped.
        let r = TestSupport.run([], on: channel)
        #expect(r.count == 1 && r[0] == .some(nil))
        #expect(channel.inFlight == 0)
    }

    @Test func eventFDSignalsCompletion() throws {
        let path = TestSupport.makeFile("efd.img", bytes: 1 << 20)
        let device = try AioBlockDevice(path: path, name: "efd", blockSize: 4096)
        defer { device.close() }
        let channel = try device.makeChannel(queueDepth: 4)
        defer { channel.close() }
        #expect(channel.notificationFD >= 0)
        let buffer = TestSupport.alignedBuffer(bytes: 4096)
        defer { buffer.deallocate() }
        for op in [BlockOperation.read, .writeZeroes] {  // libaio path and helper-thread path
            let request = BlockRequest(
                operation: op, startingBlock: 1, blockCount: 1,
                buffer: op == .read ? IOBuffer(buffer) : .empty,
                tag: 42)
            #expect(channel.submit(request) == .accepted)
            channel.flushSubmissions()
            var pfd = pollfd(fd: channel.notificationFD, events: Int16(POLLIN), revents: 0)
            #expect(Glibc.poll(&pfd, 1, 10_000) == 1, "eventfd not readable after \(op)")
            channel.acknowledgeNotification()
            var seen: [BlockCompletion] = []
            while seen.isEmpty { _ = channel.poll(maxCompletions: 4) { seen.append($0) } }
            #expect(seen.count == 1)
            #expect(seen.first?.tag == 42)
            #expect(seen.first?.error == nil)
        }
    }

    @Test func fileTruncatedUnderneathGivesShortTransfer() throws {
        let path = TestSupport.makeFile("trunc.img", bytes: 256 * 4096)
        let device = try AioBlockDevice(path: path, name: "trunc", blockSize: 4096)
        defer { device.close() }
        #expect(device.blockCount == 256)
        #expect(truncate(path, 128 * 4096) == 0)
        let channel = try device.makeChannel(queueDepth: 4)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 2 * 4096)
        defer { buffer.deallocate() }
        let r = TestSupport.run(
            [
                BlockRequest(
                    operation: .read, startingBlock: 200, blockCount: 1, buffer: IOBuffer(buffer), tag: 1),
                // Straddles the new end of file: the kernel moves one block of two.
                BlockRequest(
                    operation: .read, startingBlock: 127, blockCount: 2, buffer: IOBuffer(buffer), tag: 2),
            ], on: channel)
        #expect(r[1] == .some(.shortTransfer))
        #expect(r[2] == .some(.shortTransfer))
    }
}

/// The helper-thread path for flush, used when the kernel cannot run
/// fdatasync as IOCB_CMD_FDSYNC for a file (forced here through the
/// internal setter).
@Suite struct AioChannelHelperFlushTests {
    @Test func flushOnTheHelperThreadCompletesThroughTheEventFD() throws {
        let path = TestSupport.makeFile("helper-flush.img", bytes: 1 << 20)
        let device = try AioBlockDevice(path: path, name: "aio0", blockSize: 4096)
        defer { device.close() }
        device.supportsAsyncFlush = false
        let channel = try device.makeChannel(queueDepth: 4)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 4096)
        defer { buffer.deallocate() }
        TestSupport.fill(buffer, lba: 3, generation: 9)
        #expect(
            channel.submit(
                BlockRequest(operation: .write, startingBlock: 3, blockCount: 1, buffer: IOBuffer(buffer), tag: 1))
                == .accepted)
        #expect(channel.submit(BlockRequest(operation: .flush, tag: 2)) == .accepted)
        #expect(channel.inFlight == 2)
        let r = TestSupport.run([], on: channel)
        #expect(r[1] == .some(nil))
        #expect(r[2] == .some(nil))
        #expect(channel.inFlight == 0)
    }

    /// An iocb the kernel refuses at io_submit still completes, with the
    /// errno, on the next poll, and frees its slot. The device's descriptor
    /// is swapped for a directory (atomically, with dup2, so no other test's
    /// file can take its number): directories have no read/write methods,
    /// so the kernel refuses reads with EINVAL and writes on the read-only
    /// descriptor with EBADF.
    @Test func iocbRefusedAtSubmitCompletesWithItsErrno() throws {
        let path = TestSupport.makeFile("refused.img", bytes: 1 << 20)
        let device = try AioBlockDevice(path: path, name: "aio0", blockSize: 4096)
        defer { device.close() }
        let channel = try device.makeChannel(queueDepth: 2)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 4096)
        defer { buffer.deallocate() }
        let directory = open(TestSupport.scratchDirectory, O_RDONLY | O_DIRECTORY)
        try #require(directory >= 0)
        defer { Glibc.close(directory) }
        try #require(dup2(directory, device.fd) == device.fd)
        let r = TestSupport.run(
            [
                BlockRequest(operation: .read, startingBlock: 0, blockCount: 1, buffer: IOBuffer(buffer), tag: 1),
                BlockRequest(operation: .write, startingBlock: 1, blockCount: 1, buffer: IOBuffer(buffer), tag: 2),
                BlockRequest(operation: .read, startingBlock: 2, blockCount: 1, buffer: IOBuffer(buffer), tag: 3),
            ], on: channel)
        #expect(r[1] == .some(.readFailed(errno: EINVAL)))
        #expect(r[2] == .some(.writeFailed(errno: EBADF)))
        #expect(r[3] == .some(.readFailed(errno: EINVAL)))
        #expect(channel.inFlight == 0)
    }
}
