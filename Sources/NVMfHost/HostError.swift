import NVMe

/// Why a host operation failed, in words a user can act on.
///
/// Control-path only: building one allocates its message.
public struct HostError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, including what was being done and with which peer.
    public var description: String
    /// The NVMe status that caused it, when a command completed with an error.
    public var status: NVMeStatus?

    public init(_ description: String, status: NVMeStatus? = nil) {
        self.description = description
        self.status = status
    }

    /// A command that completed with an error status, explained.
    public static func command(_ what: String, _ status: NVMeStatus, dword0: UInt32 = 0) -> HostError {
        HostError("\(what) failed: \(StatusWords.describe(status, dword0: dword0))", status: status)
    }
}
