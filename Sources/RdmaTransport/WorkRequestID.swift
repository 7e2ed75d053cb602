/// What a completion is about, packed into the 64-bit `wr_id` so the poller
/// dispatches without a lookup or a pointer chase:
///
/// ```
/// bits 63…56  kind (receive, response SEND, RDMA READ, RDMA WRITE)
/// bits 55…32  connection index in the poll group (receives on an SRQ: unused)
/// bits 31…0   request slot, or receive buffer index for receives
/// ```
@frozen
public struct WorkRequestID: Hashable, Sendable {
    @frozen
    public enum Kind: UInt8, Sendable {
        case receive = 1
        case send = 2
        case read = 3
        case write = 4
    }

    public var rawValue: UInt64

    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable
    public init(kind: Kind, connection: Int, index: Int) {
        rawValue =
            UInt64(kind.rawValue) << 56 | (UInt64(truncatingIfNeeded: connection) & 0xFF_FFFF) << 32
            | UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: index))
    }

    /// nil for an id this transport never posts.
    @inlinable public var kind: Kind? { Kind(rawValue: UInt8(truncatingIfNeeded: rawValue >> 56)) }
    @inlinable public var connection: Int { Int(truncatingIfNeeded: (rawValue >> 32) & 0xFF_FFFF) }
    @inlinable public var index: Int { Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: rawValue)) }

    /// Connection indexes must fit 24 bits.
    public static let maxConnections = 1 << 24
}
