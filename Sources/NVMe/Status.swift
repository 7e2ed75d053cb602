/// SCT: which table a status code comes from (CQE status bits 11:9).
@frozen
public enum StatusCodeType: UInt8, Sendable {
    /// Generic Command Status.
    case generic = 0
    /// Command Specific Status (Fabrics 0x80+, AER limit, log page errors).
    case commandSpecific = 1
    /// Media and Data Integrity Errors.
    case mediaError = 2
    /// Path Related Status.
    case path = 3
    /// Vendor Specific.
    case vendorSpecific = 7
}

/// The outcome of an NVMe command: SCT, SC, DNR and, optionally, the offset
/// of the field blamed for the error (the Error Information log's
/// "parameter error location", Linux's `error_loc`).
///
/// `rawValue` is the CQE STATUS word exactly as sent (bits 8:1 SC, 11:9 SCT,
/// 15 DNR, phase bit 0 always 0 on fabrics).
@frozen
public struct NVMeStatus: Error, Hashable, Sendable {
    /// The CQE STATUS word (phase 0).
    public var rawValue: UInt16
    /// Byte offset of the offending field in the SQE, or `noLocation`.
    public var errorLocation: UInt16

    /// "No location" marker (the spec's FFFFh).
    public static let noLocation: UInt16 = 0xFFFF

    @inlinable
    public init(rawValue: UInt16, errorLocation: UInt16 = NVMeStatus.noLocation) {
        self.rawValue = rawValue & 0xFFFE
        self.errorLocation = errorLocation
    }

    @inlinable
    public init(codeType: StatusCodeType, code: UInt8, doNotRetry: Bool) {
        let word = UInt16(code) << 1 | UInt16(codeType.rawValue & 0x7) << 9 | (doNotRetry ? 0x8000 : 0)
        self.init(rawValue: word)
    }

    /// SC, bits 8:1.
    @inlinable public var code: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 1) }
    /// SCT, bits 11:9 (raw, since unknown types may arrive from a peer).
    @inlinable public var codeTypeValue: UInt8 { UInt8(truncatingIfNeeded: (rawValue >> 9) & 0x7) }
    /// SCT as an enum, nil for reserved values.
    @inlinable public var codeType: StatusCodeType? { StatusCodeType(rawValue: codeTypeValue) }
    /// DNR, bit 15: the host must not retry.
    @inlinable public var doNotRetry: Bool { rawValue & 0x8000 != 0 }
    /// True for Successful Completion.
    @inlinable public var isSuccess: Bool { rawValue & 0x0FFE == 0 }

    /// The same status, blaming the SQE field at `offset`.
    @inlinable
    public func at(_ offset: Int) -> NVMeStatus {
        NVMeStatus(rawValue: rawValue, errorLocation: UInt16(truncatingIfNeeded: offset))
    }

    /// The same status without DNR (retryable).
    @inlinable
    public var retryable: NVMeStatus {
        NVMeStatus(rawValue: rawValue & 0x7FFF, errorLocation: errorLocation)
    }
}

extension NVMeStatus {
    // MARK: Generic (SCT 0)
    @inlinable public static var success: NVMeStatus { NVMeStatus(rawValue: 0) }
    /// 01h Invalid Command Opcode.
    @inlinable public static var invalidOpcode: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x01, doNotRetry: true)
    }
    /// 02h Invalid Field in Command.
    @inlinable public static var invalidField: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x02, doNotRetry: true)
    }
    /// 04h Data Transfer Error.
    @inlinable public static var dataTransferError: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x04, doNotRetry: false)
    }
    /// 06h Internal Error.
    @inlinable public static var internalError: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x06, doNotRetry: false)
    }
    /// 07h Command Abort Requested.
    @inlinable public static var abortRequested: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x07, doNotRetry: false)
    }
    /// 08h Command Aborted due to SQ Deletion.
    @inlinable public static var abortedSQDeletion: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x08, doNotRetry: false)
    }
    /// 0Bh Invalid Namespace or Format.
    @inlinable public static var invalidNamespace: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x0B, doNotRetry: true)
    }
    /// 0Ch Command Sequence Error.
    @inlinable public static var commandSequenceError: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x0C, doNotRetry: true)
    }
    /// 0Dh Invalid SGL Segment Descriptor.
    @inlinable public static var invalidSGLSegmentDescriptor: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x0D, doNotRetry: true)
    }
    /// 0Eh Invalid Number of SGL Descriptors.
    @inlinable public static var invalidSGLDescriptorCount: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x0E, doNotRetry: true)
    }
    /// 0Fh Data SGL Length Invalid.
    @inlinable public static var dataSGLLengthInvalid: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x0F, doNotRetry: true)
    }
    /// 11h SGL Descriptor Type Invalid.
    @inlinable public static var sglDescriptorTypeInvalid: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x11, doNotRetry: true)
    }
    /// 16h SGL Offset Invalid.
    @inlinable public static var sglOffsetInvalid: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x16, doNotRetry: true)
    }
    /// 1Ah Keep Alive Timeout Invalid.
    @inlinable public static var keepAliveTimeoutInvalid: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x1A, doNotRetry: true)
    }
    /// 21h Command Interrupted: the host retries (used when a backend queue is full).
    @inlinable public static var commandInterrupted: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x21, doNotRetry: false)
    }
    /// 80h LBA Out of Range.
    @inlinable public static var lbaOutOfRange: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x80, doNotRetry: true)
    }
    /// 82h Namespace Not Ready (retryable: paused subsystem).
    @inlinable public static var namespaceNotReady: NVMeStatus {
        NVMeStatus(
            codeType: .generic, code: 0x82, doNotRetry: false)
    }

    /// 18h Host Identifier Inconsistent Format (a 128-bit host identifier
    /// is in use and Reservation Report asked for the 64-bit form).
    @inlinable public static var hostIdentifierInconsistentFormat: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x18, doNotRetry: true)
    }
    /// 83h Reservation Conflict. DNR, as nvmet: retrying cannot help until
    /// the reservation changes, and without it the host's block layer retries.
    @inlinable public static var reservationConflict: NVMeStatus {
        NVMeStatus(codeType: .generic, code: 0x83, doNotRetry: true)
    }

    // MARK: Command specific (SCT 1)
    /// 05h Asynchronous Event Request Limit Exceeded.
    @inlinable public static var asyncEventLimitExceeded: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x05, doNotRetry: true)
    }
    /// 09h Invalid Log Page.
    @inlinable public static var invalidLogPage: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x09, doNotRetry: true)
    }
    /// 0Dh Feature Identifier Not Saveable.
    @inlinable public static var featureNotSaveable: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x0D, doNotRetry: true)
    }
    /// 82h (NVM) Attempted Write to Read Only Range.
    @inlinable public static var writeToReadOnly: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x82, doNotRetry: true)
    }
    /// 80h (Fabrics Connect) Connect Incompatible Format.
    @inlinable public static var connectIncompatibleFormat: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x80, doNotRetry: true)
    }
    /// 81h (Fabrics Connect) Connect Controller Busy.
    @inlinable public static var connectControllerBusy: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x81, doNotRetry: true)
    }
    /// 82h (Fabrics Connect) Connect Invalid Parameters; DW0 carries IPO/IATTR.
    @inlinable public static var connectInvalidParameters: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x82, doNotRetry: true)
    }
    /// 83h (Fabrics Connect) Connect Restart Discovery.
    @inlinable public static var connectRestartDiscovery: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x83, doNotRetry: true)
    }
    /// 84h (Fabrics Connect) Connect Invalid Host.
    @inlinable public static var connectInvalidHost: NVMeStatus {
        NVMeStatus(
            codeType: .commandSpecific, code: 0x84, doNotRetry: true)
    }

    // MARK: Path related (SCT 3)
    // Never DNR: a multipath host fails the command over to another path
    // (Linux: nvme_is_path_error, then FAILOVER unless DNR is set).
    /// 00h Internal Path Error: the controller cannot reach the storage
    /// behind the namespace for now (a network store timed out).
    @inlinable public static var internalPathError: NVMeStatus {
        NVMeStatus(codeType: .path, code: 0x00, doNotRetry: false)
    }
    /// 01h Asymmetric Access Persistent Loss.
    @inlinable public static var anaPersistentLoss: NVMeStatus {
        NVMeStatus(codeType: .path, code: 0x01, doNotRetry: false)
    }
    /// 02h Asymmetric Access Inaccessible.
    @inlinable public static var anaInaccessible: NVMeStatus {
        NVMeStatus(codeType: .path, code: 0x02, doNotRetry: false)
    }
    /// 03h Asymmetric Access Transition.
    @inlinable public static var anaTransition: NVMeStatus {
        NVMeStatus(codeType: .path, code: 0x03, doNotRetry: false)
    }

    // MARK: Media (SCT 2)
    /// 80h Write Fault.
    @inlinable public static var writeFault: NVMeStatus {
        NVMeStatus(codeType: .mediaError, code: 0x80, doNotRetry: false)
    }
    /// 81h Unrecovered Read Error.
    @inlinable public static var unrecoveredReadError: NVMeStatus {
        NVMeStatus(
            codeType: .mediaError, code: 0x81, doNotRetry: false)
    }
}

extension NVMeStatus: CustomStringConvertible {
    public var description: String {
        let dnr = doNotRetry ? " DNR" : ""
        let sc = String(code, radix: 16)
        return "SCT \(codeTypeValue) SC 0x\(sc)\(dnr)"
    }
}
