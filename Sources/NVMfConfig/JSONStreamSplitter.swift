/// Cuts a byte stream into top-level JSON values, the way SPDK's JSON-RPC
/// server reads its socket: requests arrive back to back with no delimiter
/// (rpc.py sends one object and waits; a client may pipeline several), so
/// the server must find where each value ends before parsing it.
///
/// Only objects and arrays are values here (a JSON-RPC request is an
/// object, a batch an array). The scanner tracks nesting and strings (with
/// escapes); it does not validate the JSON (the parser does that), it only
/// finds the end. Nesting deeper than `maxDepth` or a value longer than
/// `maxValueBytes` is an error, so a hostile client cannot make the server
/// buffer without bound or recurse deeply in the parser.
public struct JSONStreamSplitter {
    public enum Failure: Error, Equatable {
        /// A byte outside any value that is not whitespace.
        case unexpectedByte(UInt8)
        /// The value under way is longer than `maxValueBytes`.
        case tooLong
        /// Nesting deeper than `maxDepth`.
        case tooDeep
    }

    let maxValueBytes: Int
    let maxDepth: Int
    public private(set) var buffer: [UInt8] = []
    /// Scan position in `buffer` and the state at it.
    private var position = 0
    private var depth = 0
    private var inString = false
    private var escaped = false

    public init(maxValueBytes: Int, maxDepth: Int = 64) {
        self.maxValueBytes = maxValueBytes
        self.maxDepth = maxDepth
    }

    /// True when bytes of an unfinished value are buffered.
    public var hasPartialValue: Bool { depth > 0 || position < buffer.count }

    /// Adds `bytes` and returns every value they complete, in order.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(Failure) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var values: [[UInt8]] = []
        while position < buffer.count {
            let b = buffer[position]
            position += 1
            if depth == 0 {
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D:
                    // Whitespace between values: drop it.
                    buffer.removeFirst(position)
                    position = 0
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth = 1
                default:
                    throw .unexpectedByte(b)
                }
            } else if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch b {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    if depth > maxDepth { throw .tooDeep }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        values.append(Array(buffer[0..<position]))
                        buffer.removeFirst(position)
                        position = 0
                    }
                default: break
                }
            }
            if position > maxValueBytes { throw .tooLong }
        }
        return values
    }
}
