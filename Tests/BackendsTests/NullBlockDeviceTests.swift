import Backends
import Glibc
import Testing

@Suite struct NullBlockDeviceTests {
    @Test func readsReturnZeroesAndWritesAreDiscarded() throws {
        let device = try NullBlockDevice(name: "Null0", blockCount: 1 << 30, blockSize: 4096)
        defer { device.close() }
        #expect(device.blockCount == 1 << 30)
        let channel = try device.makeChannel(queueDepth: 8)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 8192)
        defer { buffer.deallocate() }
        memset(buffer.baseAddress!, 0xFF, buffer.count)
        let r = TestSupport.run(
            [
                BlockRequest(operation: .write, startingBlock: 5, blockCount: 2, buffer: IOBuffer(buffer), tag: 1),
                BlockRequest(operation: .read, startingBlock: 5, blockCount: 2, buffer: IOBuffer(buffer), tag: 2),
            ], on: channel)
        #expect(r[1] == .some(nil) && r[2] == .some(nil))
        #expect(TestSupport.isAllZero(buffer))
    }

    @Test func rangeIsStillChecked() throws {
        let device = try NullBlockDevice(name: "Null0", blockCount: 16, blockSize: 512)
        let channel = try device.makeChannel(queueDepth: 8)
        defer { channel.close() }
        let buffer = TestSupport.alignedBuffer(bytes: 512)
        defer { buffer.deallocate() }
        #expect(
            channel.submit(
                BlockRequest(operation: .read, startingBlock: 16, blockCount: 1, buffer: IOBuffer(buffer), tag: 1))
                == .failed(.outOfRange))
        #expect(
            channel.submit(
                BlockRequest(operation: .read, startingBlock: 0, blockCount: 2, buffer: IOBuffer(buffer), tag: 1))
                == .failed(.misaligned))
        #expect(throws: BlockDeviceError.self) { _ = try NullBlockDevice(name: "n", blockCount: 0) }
    }
}
