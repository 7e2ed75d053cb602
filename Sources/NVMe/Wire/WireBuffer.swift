/// An owned, aligned, zero-initialised span of memory for wire structures.
///
/// The one place outside the RDMA layer that allocates raw memory: the
/// in-process transport and tests use it as the "registered memory" a real
/// transport would hand the target. Allocation happens once, at creation.
public final class WireBuffer {
    /// The memory, valid until the buffer is released.
    public let bytes: UnsafeMutableRawBufferPointer

    /// Allocates `count` zeroed bytes aligned to `alignment` (a power of two).
    public init(count: Int, alignment: Int = 4096) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: alignment)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        bytes = UnsafeMutableRawBufferPointer(start: raw, count: count)
    }

    deinit { bytes.baseAddress?.deallocate() }

    /// Length in bytes.
    public var count: Int { bytes.count }

    /// Copies `source` in at `offset` (truncated to the buffer).
    public func copyIn(_ source: [UInt8], at offset: Int = 0) {
        bytes.putBytes(source, at: offset)
    }

    /// Copies `length` bytes out from `offset` (clamped to the buffer).
    public func copyOut(offset: Int = 0, length: Int) -> [UInt8] {
        let start = min(max(offset, 0), count)
        let end = min(start + max(length, 0), count)
        return Array(bytes[start..<end])
    }

    /// Zero-fills the buffer.
    public func zero() { bytes.zeroFill() }
}

extension WireBuffer {
    /// The bytes `offset ..< offset + length`, clamped to the buffer.
    public func span(offset: Int, length: Int) -> UnsafeMutableRawBufferPointer {
        let start = min(max(offset, 0), count)
        let end = min(start + max(length, 0), count)
        return UnsafeMutableRawBufferPointer(rebasing: bytes[start..<end])
    }
}
