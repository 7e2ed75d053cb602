import Backends
import Glibc
import Testing

/// Creation of `AioBlockDevice` (bdev_aio_create): sizes, block sizes and
/// the messages a wrong path produces.
@Suite struct AioBlockDeviceTests {
    @Test func sizeComesFromTheFile() throws {
        let path = TestSupport.makeFile("size.img", bytes: 3 * 4096 + 100)
        let device = try AioBlockDevice(path: path, name: "aio0", blockSize: 4096)
        defer { device.close() }
        #expect(device.name == "aio0")
        #expect(device.path == path)
        #expect(device.blockSize == 4096)
        #expect(device.blockCount == 3)  // the partial trailing block is not exported
        #expect(device.requiredBufferAlignment >= 4096)
        #expect(device.hasVolatileWriteCache)
        #expect(!device.isReadOnly)
        #expect(!device.isBlockDevice)
        #expect(device.deallocatedBlocksReadZero)
    }

    @Test func defaultBlockSizeIsTheDirectIOUnit() throws {
        let path = TestSupport.makeFile("default.img", bytes: 1 << 20)
        let device = try AioBlockDevice(path: path, name: "aio0")
        defer { device.close() }
        #expect(device.blockSize >= 512)
        #expect(device.blockSize & (device.blockSize - 1) == 0)
        #expect(device.blockCount == UInt64((1 << 20) / device.blockSize))
    }

    @Test func givenUUIDIsKept() throws {
        let path = TestSupport.makeFile("uuid.img", bytes: 1 << 20)
        let uuid = DeviceUUID(string: "12345678-9abc-def0-1234-56789abcdef0")!
        let device = try AioBlockDevice(path: path, name: "aio0", uuid: uuid)
        defer { device.close() }
        #expect(device.uuid == uuid)
    }

    @Test func missingFileNamesThePath() {
        let path = TestSupport.scratchDirectory + "/does-not-exist.img"
        #expect {
            _ = try AioBlockDevice(path: path, name: "aio0")
        } throws: { error in
            guard case .setup(let message) = error as? BlockDeviceError else { return false }
            return message.contains(path) && message.contains("No such file")
        }
    }

    @Test func directoryIsRefusedWithThePath() {
        let path = TestSupport.scratchDirectory
        #expect {
            _ = try AioBlockDevice(path: path, name: "aio0", readOnly: true)
        } throws: { error in
            guard case .setup(let message) = error as? BlockDeviceError else { return false }
            return message.contains(path)
        }
    }

    /// Root ignores file modes, so this only runs as an ordinary user.
    @Test(.enabled(if: getuid() != 0, "root bypasses file permissions"))
    func permissionDeniedNamesThePath() {
        let path = TestSupport.makeFile("noperm.img", bytes: 1 << 20)
        chmod(path, 0o000)
        #expect {
            _ = try AioBlockDevice(path: path, name: "aio0")
        } throws: { error in
            guard case .setup(let message) = error as? BlockDeviceError else { return false }
            return message.contains(path) && message.contains("Permission denied")
        }
    }

    @Test func badBlockSizesAreRefused() {
        let path = TestSupport.makeFile("bs.img", bytes: 1 << 20)
        for size in [256, 1000, 3072, 1 << 17] {
            #expect(throws: BlockDeviceError.self) { _ = try AioBlockDevice(path: path, name: "aio0", blockSize: size) }
        }
    }

    @Test func fileSmallerThanABlockIsRefused() {
        let path = TestSupport.makeFile("tiny.img", bytes: 1000)
        #expect {
            _ = try AioBlockDevice(path: path, name: "aio0", blockSize: 4096)
        } throws: { error in
            guard case .setup(let message) = error as? BlockDeviceError else { return false }
            return message.contains(path) && message.contains("less than one")
        }
    }

    @Test func channelsNeedASaneQueueDepth() throws {
        let path = TestSupport.makeFile("qd.img", bytes: 1 << 20)
        let device = try AioBlockDevice(path: path, name: "aio0")
        defer { device.close() }
        #expect(throws: BlockDeviceError.self) { _ = try device.makeChannel(queueDepth: 0) }
    }
}
