import Backends
import Glibc
import Testing

/// `AioBlockDevice` on real block devices: loop devices (BLKGETSIZE64,
/// BLKSSZGET, BLKZEROOUT, BLKDISCARD) and a device-mapper `error` target
/// for EIO. They need root and the loop / dm drivers; where those are
/// missing (e.g. a container without device-mapper) they are skipped with
/// that reason, and they run in the lab guest (`swift test --filter
/// AioBlockDeviceLoopTests` as root).
@Suite(.serialized) struct AioBlockDeviceLoopTests {
    /// Attaches a fresh backing file, runs `body` on the loop device, detaches.
    func withLoop(
        _ name: String, bytes: Int, sectorSize: Int = 512, _ body: (String) throws -> Void
    ) throws {
        let file = TestSupport.makeFile(name, bytes: bytes)
        let dev = try #require(TestSupport.attachLoop(file, sectorSize: sectorSize), "losetup failed for \(file)")
        defer { TestSupport.shell("losetup -d \(dev)") }
        try body(dev)
    }

    @Test(.enabled(if: TestSupport.loopDevicesWork, "needs root and an attachable /dev/loop*"))
    func sizeAndBlockSizeComeFromTheDevice() throws {
        try withLoop("loop-size.img", bytes: 8 << 20, sectorSize: 4096) { dev in
            let device = try AioBlockDevice(path: dev, name: "loop")
            defer { device.close() }
            #expect(device.isBlockDevice)
            #expect(device.blockSize == 4096)
            #expect(device.blockCount == 2048)
            let sysfs = "/sys/block/\(dev.split(separator: "/").last!)/queue/write_cache"
            let (rc, cache) = TestSupport.shell("cat \(sysfs)")
            if rc == 0 { #expect(device.hasVolatileWriteCache == (cache != "write through")) }
            // Root may switch a loop device to write-through; the device must then not claim VWC.
            if TestSupport.shell("echo 'write through' > \(sysfs)").0 == 0 {
                defer { TestSupport.shell("echo 'write back' > \(sysfs)") }
                let writeThrough = try AioBlockDevice(path: dev, name: "loop-wt")
                defer { writeThrough.close() }
                #expect(!writeThrough.hasVolatileWriteCache)
            }
            // A 512-byte LBA cannot be served by a 4096-byte-sector device with O_DIRECT.
            #expect(throws: BlockDeviceError.self) { _ = try AioBlockDevice(path: dev, name: "x", blockSize: 512) }
        }
    }

    @Test(.enabled(if: TestSupport.loopDevicesWork, "needs root and an attachable /dev/loop*"))
    func integrityAtQueueDepth128OnALoopDevice() throws {
        try withLoop("loop-integrity.img", bytes: 16 << 20) { dev in
            let device = try AioBlockDevice(path: dev, name: "loop", blockSize: 4096)
            defer { device.close() }
            try AioChannelTests.checkIntegrity(device, blocks: 2048)
        }
    }

    /// Loop devices implement discard by punching a hole in the backing
    /// file, so deallocated blocks read as zeroes here too.
    @Test(.enabled(if: TestSupport.loopDevicesWork, "needs root and an attachable /dev/loop*"))
    func writeZeroesAndDiscardOnALoopDevice() throws {
        try withLoop("loop-zeroes.img", bytes: 4 << 20) { dev in
            let device = try AioBlockDevice(path: dev, name: "loop", blockSize: 4096)
            defer { device.close() }
            #expect(!device.deallocatedBlocksReadZero)  // not promised for block devices in general
            try AioChannelTests.checkZeroesAndDeallocate(device)
        }
    }

    @Test(.enabled(if: TestSupport.loopDevicesWork, "needs root and an attachable /dev/loop*"))
    func readOnlyLoopDeviceRefusesWrites() throws {
        try withLoop("loop-ro.img", bytes: 1 << 20) { dev in
            let device = try AioBlockDevice(path: dev, name: "loop", readOnly: true)
            defer { device.close() }
            let channel = try device.makeChannel(queueDepth: 1)
            defer { channel.close() }
            #expect(
                channel.submit(BlockRequest(operation: .writeZeroes, startingBlock: 0, blockCount: 1, tag: 1))
                    == .failed(.readOnly))
        }
    }

    /// A dm `error` target fails every bio with EIO: reads must surface as
    /// `.readFailed(EIO)` and writes as `.writeFailed(EIO)`.
    @Test(.enabled(if: TestSupport.deviceMapperWorks, "needs root and the device-mapper driver (dmsetup)"))
    func deviceErrorsSurfaceAsReadAndWriteFailures() throws {
        let name = "nvmf-backends-err-\(getpid())"
        let (rc, out) = TestSupport.shell("\(TestSupport.dmsetup) create \(name) --table '0 2048 error'")
        try #require(rc == 0, "dmsetup create failed: \(out)")
        defer { TestSupport.shell("\(TestSupport.dmsetup) remove \(name)") }
        let device = try AioBlockDevice(path: "/dev/mapper/\(name)", name: "err", blockSize: 4096)
        defer { device.close() }
        let channel = try device.makeChannel(queueDepth: 4)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 4096)
        defer { buffer.deallocate() }
        let r = TestSupport.run(
            [
                BlockRequest(operation: .read, startingBlock: 1, blockCount: 1, buffer: IOBuffer(buffer), tag: 1),
                BlockRequest(operation: .write, startingBlock: 2, blockCount: 1, buffer: IOBuffer(buffer), tag: 2),
            ], on: channel)
        #expect(r[1] == .some(.readFailed(errno: EIO)))
        #expect(r[2] == .some(.writeFailed(errno: EIO)))
    }

    /// A loop device over a sparse file on a 1 MiB tmpfs: writes past the
    /// first megabyte fail inside the device (ENOSPC in the backing store,
    /// passed up as a block-layer error) and must come back as
    /// `.writeFailed`, never as success or a crash. Runs wherever loop
    /// devices and tmpfs mounts work (root), unlike the dm test.
    @Test(.enabled(if: TestSupport.loopDevicesWork, "needs root and an attachable /dev/loop*"))
    func backingStoreFullSurfacesAsWriteFailure() throws {
        let dir = TestSupport.scratchDirectory + "/small-tmpfs"
        mkdir(dir, 0o755)
        let (rc, out) = TestSupport.shell("mount -t tmpfs -o size=1m nvmf-backends-test \(dir)")
        try #require(rc == 0, "cannot mount a tmpfs: \(out)")
        defer { TestSupport.shell("umount \(dir)") }
        let file = dir + "/backing.img"
        try #require(TestSupport.shell("truncate -s 8M \(file)").0 == 0)
        let (lrc, dev) = TestSupport.shell("losetup -f --show \(file)")
        try #require(lrc == 0, "losetup failed: \(dev)")
        defer { TestSupport.shell("losetup -d \(dev)") }

        let device = try AioBlockDevice(path: dev, name: "full", blockSize: 4096)
        defer { device.close() }
        let channel = try device.makeChannel(queueDepth: 32)
        defer { channel.close() }
        let data = TestSupport.alignedBuffer(bytes: 64 * 1024)
        defer { data.deallocate() }
        memset(data.baseAddress!, 0x77, data.count)
        // 8 MiB of writes into 1 MiB of backing space, 64 KiB each.
        let writes = (0..<128).map {
            BlockRequest(
                operation: .write, startingBlock: UInt64($0 * 16), blockCount: 16, buffer: IOBuffer(data),
                tag: UInt64($0))
        }
        let r = TestSupport.run(writes, on: channel)
        #expect(r.count == 128)
        let failures = r.values.compactMap { $0 }
        #expect(failures.count > 64, "only \(failures.count) of 128 writes failed on a 1 MiB store")
        for failure in failures {
            guard case .writeFailed(let e) = failure else {
                Issue.record("unexpected error \(failure)")
                continue
            }
            #expect(e == ENOSPC || e == EIO, "errno \(e)")
        }
    }
}
