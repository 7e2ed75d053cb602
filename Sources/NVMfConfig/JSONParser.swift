/// A strict RFC 8259 parser from UTF-8 bytes to `JSONValue`.
///
/// Written by hand rather than through Foundation's `JSONDecoder` because
/// the RPC server parses every request with it: decoding an untyped value
/// through `Codable` tries each JSON kind in turn and builds (and drops) a
/// `DecodingError` for every miss, several per value, which made a small
/// `nvmf_get_stats` request cost milliseconds of the RPC thread in the lab
/// guest (perf/RESULTS §10).
///
/// Input may be hostile (the RPC socket, a config file): nesting deeper
/// than `maxDepth` is refused before it can exhaust the stack, strings must
/// be valid UTF-8 with escapes that name whole Unicode scalars, numbers must
/// be finite doubles, and an object may not repeat a key (one of the two
/// values would be silently ignored otherwise).
struct JSONParser {
    /// Deep enough for any SPDK configuration or request (they nest about
    /// six levels); shallow enough that recursion cannot exhaust a thread's stack.
    static let maxDepth = 128

    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Parses one JSON text: a value with optional whitespace around it.
    static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let outcome: Result<JSONValue, Failure> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer)
            do throws(Failure) {
                let value = try parser.value()
                parser.skipWhitespace()
                guard parser.index == buffer.count else { throw parser.failure("unexpected text after the value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    // MARK: Values

    private mutating func value() throws(Failure) -> JSONValue {
        skipWhitespace()
        guard let byte = peek() else { throw failure("a value was expected, found the end of the text") }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected character \(Self.describe(byte))")
        }
    }

    private mutating func object() throws(Failure) -> JSONValue {
        try enter()
        index += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("an object key (a string) was expected") }
            let keyOffset = index
            let key = try string()
            skipWhitespace()
            try expect(":", "':' after an object key")
            let member = try value()
            guard members.updateValue(member, forKey: key) == nil else {
                throw Failure(offset: keyOffset, reason: "duplicate key \"\(key)\"")
            }
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect("}", "',' or '}' in an object")
            depth -= 1
            return .object(members)
        }
    }

    private mutating func array() throws(Failure) -> JSONValue {
        try enter()
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect("]", "',' or ']' in an array")
            depth -= 1
            return .array(elements)
        }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= Self.maxDepth else { throw failure("nested more than \(Self.maxDepth) levels") }
    }

    // MARK: Scalars

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let start = index
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for b in expected {
            guard peek() == b else { throw Failure(offset: start, reason: "unexpected character; \(word) expected") }
            index += 1
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as a finite double,
    /// or exactly for a plain integer above 2^53.
    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), Self.isDigit(first) else { throw failure("a digit was expected") }
        index += 1
        if first == UInt8(ascii: "0"), let next = peek(), Self.isDigit(next) {
            throw failure("a number may not have a leading zero")
        }
        skipDigits()
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let d = peek(), Self.isDigit(d) else { throw failure("a digit was expected after '.'") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let d = peek(), Self.isDigit(d) else { throw failure("a digit was expected in the exponent") }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let n = Double(text), n.isFinite else {
            throw Failure(offset: start, reason: "number \(text) is out of range")
        }
        if let exact = Self.exactInteger(text[...]) { return .unsignedInteger(exact) }
        return .number(n)
    }

    /// A plain non-negative integer literal above 2^53 (digits only), exactly.
    private static func exactInteger(_ text: Substring) -> UInt64? {
        guard text.count >= 16, text.allSatisfy({ $0.isASCII && $0.isNumber }), let u = UInt64(text), u > 1 << 53
        else { return nil }
        return u
    }

    private mutating func skipDigits() {
        while let b = peek(), Self.isDigit(b) { index += 1 }
    }

    /// A string at `index` (which is its opening quote), unescaped.
    private mutating func string() throws(Failure) -> String {
        let start = index
        index += 1  // "
        // Fast path: no escapes, the bytes are the string.
        var scan = index
        while scan < bytes.count, bytes[scan] != UInt8(ascii: "\""), bytes[scan] != UInt8(ascii: "\\"),
            bytes[scan] >= 0x20
        {
            scan += 1
        }
        var utf8: [UInt8] = []
        if scan < bytes.count, bytes[scan] == UInt8(ascii: "\"") {
            let s = try Self.validated(UnsafeBufferPointer(rebasing: bytes[index..<scan]), at: start)
            index = scan + 1
            return s
        }
        utf8.reserveCapacity(scan - index + 16)
        while true {
            guard let b = peek() else { throw Failure(offset: start, reason: "unterminated string") }
            index += 1
            switch b {
            case UInt8(ascii: "\""):
                return try utf8.withUnsafeBufferPointer { buffer throws(Failure) in
                    try Self.validated(buffer, at: start)
                }
            case UInt8(ascii: "\\"):
                try escape(into: &utf8)
            case 0..<0x20:
                index -= 1
                throw failure("control character \(Self.describe(b)) in a string (escape it)")
            default:
                utf8.append(b)
            }
        }
    }

    /// The escape after a backslash, appended as UTF-8.
    private mutating func escape(into utf8: inout [UInt8]) throws(Failure) {
        guard let e = peek() else { throw failure("unterminated escape") }
        index += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let escapeStart = index - 2
            var scalar = UInt32(try hex4())
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard peek() == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u")
                else { throw Failure(offset: escapeStart, reason: "unpaired surrogate in \\u escape") }
                index += 2
                let low = UInt32(try hex4())
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw Failure(offset: escapeStart, reason: "unpaired surrogate in \\u escape")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw Failure(offset: escapeStart, reason: "unpaired surrogate in \\u escape")
            }
            guard let s = Unicode.Scalar(scalar) else {
                throw Failure(offset: escapeStart, reason: "\\u escape is not a Unicode scalar")
            }
            utf8.append(contentsOf: UTF8.encode(s)!)
        default:
            index -= 1
            throw failure("unknown escape \\\(Self.describe(e))")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt16 {
        var v: UInt16 = 0
        for _ in 0..<4 {
            guard let b = peek() else { throw failure("four hex digits expected after \\u") }
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw failure("four hex digits expected after \\u")
            }
            v = v << 4 | UInt16(digit)
            index += 1
        }
        return v
    }

    private static func validated(_ utf8: UnsafeBufferPointer<UInt8>, at offset: Int) throws(Failure) -> String {
        guard let s = String(validating: utf8, as: UTF8.self) else {
            throw Failure(offset: offset, reason: "string is not valid UTF-8")
        }
        return s
    }

    // MARK: Bytes

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 }
    }

    private mutating func expect(_ c: Unicode.Scalar, _ what: String) throws(Failure) {
        guard peek() == UInt8(ascii: c) else { throw failure("\(what) was expected") }
        index += 1
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: index, reason: reason) }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private static func describe(_ b: UInt8) -> String {
        (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "0x\(String(b, radix: 16))"
    }
}
