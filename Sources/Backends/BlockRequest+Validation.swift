/// The checks every device makes before an operation may reach its medium.
///
/// Kept in one place so that the libaio, memory and null devices refuse the
/// same requests with the same `BlockDeviceError`, and the Target can map each
/// refusal to one NVMe status without knowing which device it talks to.
extension BlockRequest {
    /// Bytes the operation moves (`blockCount × blockSize`); 0 for flush,
    /// write zeroes and deallocate, which carry no data.
    @inlinable
    public func transferLength(blockSize: Int) -> Int {
        switch operation {
        case .read, .write: return Int(blockCount) &* blockSize
        case .flush, .writeZeroes, .deallocate: return 0
        }
    }

    /// The first reason this request must be refused, or `nil` when it may run.
    ///
    /// Order matters: a write to a read-only device is reported as `.readOnly`
    /// even when its range is also bad, as the NVMe write-protect status takes
    /// precedence for the host. A zero `blockCount` is out of range for every
    /// operation but flush (NVMe's NLB field is 0's-based, so it cannot ask
    /// for zero blocks). The buffer must start on `alignment` and hold at least
    /// the transfer; a shorter buffer is `.misaligned` (both are a Data
    /// Transfer Error on the wire).
    ///
    /// - Parameters:
    ///   - blockSize: the device's logical block size in bytes.
    ///   - capacity: the device's size in logical blocks.
    ///   - readOnly: whether writes, write zeroes and deallocate are refused.
    ///   - alignment: required buffer address alignment (a power of two).
    @inlinable
    public func validationError(
        blockSize: Int, capacity: UInt64, readOnly: Bool, alignment: Int
    ) -> BlockDeviceError? {
        switch operation {
        case .flush:
            return nil
        case .write, .writeZeroes, .deallocate:
            if readOnly { return .readOnly }
        case .read:
            break
        }
        // startingBlock + blockCount > capacity, without overflow on wire values.
        if blockCount == 0 || startingBlock >= capacity
            || UInt64(blockCount) > capacity &- startingBlock
        {
            return .outOfRange
        }
        if operation == .read || operation == .write {
            let length = Int(blockCount) &* blockSize
            if buffer.count < length || !buffer.isAligned(to: alignment) {
                return .misaligned
            }
        }
        return nil
    }
}
