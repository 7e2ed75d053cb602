/// A parsed JSON document, kept untyped so that every error can name the
/// exact method and field it comes from (Codable's errors cannot).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    /// An integer literal above 2^53, which a Double cannot hold exactly
    /// (64-bit reservation keys); the parser makes it only for those.
    case unsignedInteger(UInt64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses UTF-8 JSON text (RFC 8259; `JSONParser` says what it refuses).
    public static func parse(_ bytes: [UInt8]) throws(ConfigError) -> JSONValue {
        do { return try JSONParser.parse(bytes) } catch {
            throw ConfigError(path: "", message: "not valid JSON (at byte \(error.offset): \(error.reason))")
        }
    }

    /// Compact UTF-8 JSON text, keys sorted.
    public var encoded: [UInt8] { JSONWriter.write(self) }

    /// A short name of the value's kind, for error messages.
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number, .unsignedInteger: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A configuration error that names where it happened, e.g.
/// `subsystems[1].config[2] (nvmf_subsystem_add_ns).namespace.bdev_name: required`.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    /// The JSON path of the offending value.
    public var path: String
    /// What is wrong with it.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension JSONValue {
    /// `n` exactly: a number when a Double holds it, else `.unsignedInteger`.
    public static func uint64(_ n: UInt64) -> JSONValue {
        n <= 1 << 53 ? .number(Double(n)) : .unsignedInteger(n)
    }

    /// The value as an exact UInt64, if it is a non-negative integer.
    public var uint64Value: UInt64? {
        switch self {
        case .number(let d): return UInt64(exactly: d)
        case .unsignedInteger(let u): return u
        default: return nil
        }
    }
}
