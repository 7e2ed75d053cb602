import Backends
import Testing

@Suite final class BlockRequestValidationTests {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 4096)

    deinit { buffer.deallocate() }

    func check(_ r: BlockRequest, readOnly: Bool = false, alignment: Int = 4096) -> BlockDeviceError? {
        r.validationError(blockSize: 4096, capacity: 100, readOnly: readOnly, alignment: alignment)
    }

    @Test func rangeEndsAtCapacity() {
        let b = IOBuffer(buffer)
        #expect(check(BlockRequest(operation: .read, startingBlock: 98, blockCount: 2, buffer: b, tag: 0)) == nil)
        #expect(
            check(BlockRequest(operation: .read, startingBlock: 99, blockCount: 2, buffer: b, tag: 0)) == .outOfRange)
        #expect(
            check(BlockRequest(operation: .read, startingBlock: 100, blockCount: 1, buffer: b, tag: 0)) == .outOfRange)
        // No wrap-around: a huge starting LBA never looks in range.
        #expect(
            check(BlockRequest(operation: .deallocate, startingBlock: UInt64.max, blockCount: UInt32.max, tag: 0))
                == .outOfRange)
        #expect(check(BlockRequest(operation: .writeZeroes, startingBlock: 0, blockCount: 0, tag: 0)) == .outOfRange)
        #expect(check(BlockRequest(operation: .flush, tag: 0)) == nil)
    }

    @Test func readOnlyWinsOverRange() {
        for op in [BlockOperation.write, .writeZeroes, .deallocate] {
            #expect(
                check(BlockRequest(operation: op, startingBlock: 500, blockCount: 1, tag: 0), readOnly: true)
                    == .readOnly)
        }
        #expect(check(BlockRequest(operation: .flush, tag: 0), readOnly: true) == nil)
    }

    @Test func bufferMustBeAlignedAndLongEnough() {
        let unaligned = IOBuffer(baseAddress: buffer.baseAddress! + 8, count: 4096)
        #expect(
            check(BlockRequest(operation: .write, startingBlock: 0, blockCount: 1, buffer: unaligned, tag: 0))
                == .misaligned)
        #expect(
            check(
                BlockRequest(operation: .write, startingBlock: 0, blockCount: 1, buffer: unaligned, tag: 0),
                alignment: 8)
                == nil)
        #expect(
            check(BlockRequest(operation: .read, startingBlock: 0, blockCount: 3, buffer: IOBuffer(buffer), tag: 0))
                == .misaligned)
        #expect(check(BlockRequest(operation: .read, startingBlock: 0, blockCount: 1, tag: 0)) == .misaligned)
    }

    @Test func transferLengthCountsOnlyDataOperations() {
        #expect(BlockRequest(operation: .read, blockCount: 3, tag: 0).transferLength(blockSize: 512) == 1536)
        #expect(BlockRequest(operation: .writeZeroes, blockCount: 3, tag: 0).transferLength(blockSize: 512) == 0)
    }
}
