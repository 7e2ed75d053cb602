/// A caller-owned span of memory that a block device reads into or writes from.
///
/// The target hands block devices the very buffers the RDMA layer registered
/// (receive buffers for in-capsule data, pool buffers for everything else), so
/// an `IOBuffer` never owns its memory: whoever created it keeps it alive until
/// the operation that uses it has completed. This is the one unsafe seam the
/// `Target` module touches, and only through this value type.
///
/// `@unchecked Sendable`: the value is only an address and a length; moving
/// it between threads is safe, and who may touch the bytes is settled by the
/// ownership rule above, not by the type system.
@frozen
public struct IOBuffer: @unchecked Sendable {
    /// Start of the span. `nil` only for the empty buffer.
    public let baseAddress: UnsafeMutableRawPointer?
    /// Length in bytes.
    public let count: Int

    @inlinable
    public init(baseAddress: UnsafeMutableRawPointer?, count: Int) {
        precondition(count >= 0 && (count == 0 || baseAddress != nil))
        self.baseAddress = baseAddress
        self.count = count
    }

    @inlinable
    public init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.init(baseAddress: buffer.baseAddress, count: buffer.count)
    }

    /// The empty buffer, for commands that move no data.
    public static let empty = IOBuffer(baseAddress: nil, count: 0)

    /// The first `length` bytes (clamped to `count`).
    @inlinable
    public func prefix(_ length: Int) -> IOBuffer {
        IOBuffer(baseAddress: baseAddress, count: min(max(length, 0), count))
    }

    /// The span viewed as raw bytes, for code that fills or checks it.
    @inlinable
    public var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: baseAddress, count: count)
    }

    /// True when the start address is a multiple of `alignment` (a power of two).
    @inlinable
    public func isAligned(to alignment: Int) -> Bool {
        guard let base = baseAddress else { return true }
        return UInt(bitPattern: base) & UInt(alignment - 1) == 0
    }
}
