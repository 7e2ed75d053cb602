import NVMfConfig

/// A JSON-RPC 2.0 error object, with the codes SPDK's server uses
/// (`include/spdk/jsonrpc.h`) so rpc.py and scripts that match on them work.
public struct RPCError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    /// -32700: the bytes are not JSON.
    public static func parseError(_ why: String) -> RPCError { RPCError(code: -32700, message: "Parse error: \(why)") }
    /// -32600: JSON, but not a JSON-RPC 2.0 request.
    public static func invalidRequest(_ why: String) -> RPCError {
        RPCError(code: -32600, message: "Invalid request: \(why)")
    }
    /// -32601.
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: -32601, message: "Method not found: \(method)")
    }
    /// -32602: a parameter is missing, extra, of the wrong type or out of range (the message names it).
    public static func invalidParams(_ why: String) -> RPCError { RPCError(code: -32602, message: why) }
    /// -32603.
    public static func internalError(_ why: String) -> RPCError { RPCError(code: -32603, message: why) }
    /// SPDK's SPDK_JSONRPC_ERROR_INVALID_STATE (-1): the call is valid but not now.
    public static func invalidState(_ why: String) -> RPCError { RPCError(code: -1, message: why) }

    /// A config-decoding error (the shared decoder names the field) as invalid params.
    public init(_ e: ConfigError) { self = .invalidParams(e.description) }

    public var description: String { "\(code): \(message)" }

    /// The `error` member of a response.
    public var json: JSONValue { .object(["code": .number(Double(code)), "message": .string(message)]) }
}
