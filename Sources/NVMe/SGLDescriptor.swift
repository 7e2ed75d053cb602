/// One 16-byte SGL descriptor (SQE bytes 24–39, DPTR), kept as the two raw
/// little-endian quadwords so reading it from the SQE costs two loads.
///
/// Keyed data block: 0–7 address, 8–10 length (24-bit), 11–14 key, 15 type.
/// Unkeyed data block / segment: 0–7 address or offset, 8–11 length, 15 type.
@frozen
public struct SGLDescriptor: Hashable, Sendable {
    /// Bytes 0–7: address (keyed) or offset (in-capsule).
    public var address: UInt64
    /// Bytes 8–15 as a little-endian quadword.
    public var upper: UInt64

    /// Size on the wire.
    public static let wireSize = 16

    @inlinable
    public init(address: UInt64, upper: UInt64) {
        self.address = address
        self.upper = upper
    }

    /// A keyed data block descriptor (type 4); `invalidate` selects subtype Fh.
    @inlinable
    public static func keyed(address: UInt64, length: UInt32, key: UInt32, invalidate: Bool)
        -> SGLDescriptor
    {
        let id: UInt64 = invalidate ? 0x4F : 0x40
        return SGLDescriptor(
            address: address, upper: UInt64(length & 0xFF_FFFF) | UInt64(key) << 24 | id << 56)
    }

    /// An in-capsule data block descriptor (type 0, subtype Offset = 01h).
    @inlinable
    public static func inCapsule(offset: UInt64, length: UInt32) -> SGLDescriptor {
        SGLDescriptor(address: offset, upper: UInt64(length) | 0x01 << 56)
    }

    /// A Last Segment descriptor (type 3, subtype Offset = 31h) pointing into in-capsule data.
    @inlinable
    public static func lastSegment(offset: UInt64, length: UInt32) -> SGLDescriptor {
        SGLDescriptor(address: offset, upper: UInt64(length) | 0x31 << 56)
    }

    /// SGL identifier, byte 15: type << 4 | subtype.
    @inlinable public var identifier: UInt8 { UInt8(truncatingIfNeeded: upper >> 56) }
    /// Descriptor type, bits 7:4 of byte 15.
    @inlinable public var descriptorType: UInt8 { identifier >> 4 }
    /// Descriptor subtype, bits 3:0 of byte 15.
    @inlinable public var subtype: UInt8 { identifier & 0x0F }
    /// Length of a keyed descriptor (24 bits).
    @inlinable public var keyedLength: UInt32 { UInt32(truncatingIfNeeded: upper & 0xFF_FFFF) }
    /// Key (rkey) of a keyed descriptor.
    @inlinable public var key: UInt32 { UInt32(truncatingIfNeeded: upper >> 24) }
    /// Length of an unkeyed descriptor (32 bits).
    @inlinable public var unkeyedLength: UInt32 { UInt32(truncatingIfNeeded: upper) }

    /// What the descriptor asks the transport to do.
    @inlinable
    public var kind: SGLKind {
        switch identifier {
        case 0x40: return .keyed(invalidate: false)
        case 0x4F: return .keyed(invalidate: true)
        case 0x01: return .inCapsule
        case 0x31: return .lastSegment
        default: return .unsupported
        }
    }

    /// The transfer length the descriptor describes (0 for unsupported kinds).
    @inlinable
    public var length: Int {
        switch kind {
        case .keyed: return Int(keyedLength)
        case .inCapsule, .lastSegment: return Int(unkeyedLength)
        case .unsupported: return 0
        }
    }

    /// Validates the descriptor for one command, as a fabrics target must.
    ///
    /// - Returns: the status of `transfer(direction:inCapsuleDataLength:maxTransferLength:)`.
    @inlinable
    public func validate(direction: DataDirection, inCapsuleDataLength: Int, maxTransferLength: Int)
        -> NVMeStatus
    {
        transfer(direction: direction, inCapsuleDataLength: inCapsuleDataLength, maxTransferLength: maxTransferLength)
            .status
    }

    /// Checks the descriptor for one command and, when it is good, gives the
    /// transfer it describes as `Int`s that are proven in range.
    ///
    /// Every field is a wire value chosen by the host: the offset (up to
    /// 2^64 - 1) and the lengths are compared as `UInt64` against the limits
    /// first, and only converted once they are known to be no larger than
    /// `inCapsuleDataLength` or `maxTransferLength`, so no conversion or sum
    /// here can trap. An in-capsule descriptor's offset is checked even when
    /// its length is 0 or the command moves no data.
    ///
    /// - Parameters:
    ///   - direction: the command's data direction.
    ///   - inCapsuleDataLength: bytes of in-capsule data received after the SQE (≥ 0).
    ///   - maxTransferLength: the largest transfer allowed (MDTS, ≥ 0).
    /// - Returns: `.success` with the length and in-capsule offset (both 0
    ///   when no data moves), or Data SGL Length Invalid (0Fh), SGL Offset
    ///   Invalid (16h), SGL Descriptor Type Invalid (11h), or Invalid Field
    ///   for in-capsule data on a command that does not write; all with DNR
    ///   and location 24 (DPTR), and length and offset 0.
    @inlinable
    public func transfer(direction: DataDirection, inCapsuleDataLength: Int, maxTransferLength: Int)
        -> SGLTransfer
    {
        let capsuleLimit = UInt64(clamping: inCapsuleDataLength)
        let transferLimit = UInt64(clamping: maxTransferLength)
        switch kind {
        case .keyed:
            guard direction != .none else { return .none }
            let length = UInt64(keyedLength)
            guard length <= transferLimit else { return .refused(NVMeStatus.dataSGLLengthInvalid.at(24)) }
            return SGLTransfer(status: .success, length: Int(truncatingIfNeeded: length), inCapsuleOffset: 0)
        case .inCapsule:
            let length = UInt64(unkeyedLength)
            // A no-data command may carry an empty in-capsule descriptor, but
            // its offset must still point inside what arrived (nvmet refuses
            // any in-capsule descriptor on a non-write; SPDK checks the offset).
            if direction == .none && length == 0 {
                return address <= capsuleLimit ? .none : .refused(NVMeStatus.sglOffsetInvalid.at(24))
            }
            guard direction == .hostToController else { return .refused(NVMeStatus.invalidField.at(24)) }
            guard address <= capsuleLimit else { return .refused(NVMeStatus.sglOffsetInvalid.at(24)) }
            // address ≤ capsuleLimit, so the subtraction cannot wrap.
            guard length <= capsuleLimit - address, length <= transferLimit else {
                return .refused(NVMeStatus.dataSGLLengthInvalid.at(24))
            }
            return SGLTransfer(
                status: .success, length: Int(truncatingIfNeeded: length),
                inCapsuleOffset: Int(truncatingIfNeeded: address))
        case .lastSegment:
            // Multi-descriptor SGLs need MSDBD > 1, which this target does not
            // advertise (the Linux host never sends them).
            return .refused(NVMeStatus.sglDescriptorTypeInvalid.at(24))
        case .unsupported:
            return .refused(NVMeStatus.sglDescriptorTypeInvalid.at(24))
        }
    }
}

/// A checked data transfer: what `SGLDescriptor.transfer` proved about one
/// command's SGL1. `length` and `inCapsuleOffset` are within the limits it
/// was given, so they can be used as lengths and offsets as they are.
@frozen
public struct SGLTransfer: Hashable, Sendable {
    /// Success, or the status to complete the command with (DNR, location 24).
    public var status: NVMeStatus
    /// Bytes to move: ≤ the largest transfer, and for in-capsule data ≤ the
    /// bytes that arrived less the offset. 0 when no data moves.
    public var length: Int
    /// Offset of the data in the in-capsule area (in-capsule data only, else 0).
    public var inCapsuleOffset: Int

    @inlinable
    public init(status: NVMeStatus, length: Int, inCapsuleOffset: Int) {
        self.status = status
        self.length = length
        self.inCapsuleOffset = inCapsuleOffset
    }

    /// Nothing moves.
    @inlinable public static var none: SGLTransfer { SGLTransfer(status: .success, length: 0, inCapsuleOffset: 0) }

    /// Refused with `status`; nothing moves.
    @inlinable
    public static func refused(_ status: NVMeStatus) -> SGLTransfer {
        SGLTransfer(status: status, length: 0, inCapsuleOffset: 0)
    }
}

/// The SGL descriptor kinds a fabrics target distinguishes.
@frozen
public enum SGLKind: Hashable, Sendable {
    /// 40h / 4Fh: keyed data block; data moves by RDMA READ/WRITE. `invalidate`
    /// asks for SEND_WITH_INV with the key.
    case keyed(invalidate: Bool)
    /// 01h: data block with offset into the in-capsule data.
    case inCapsule
    /// 31h: last segment (offset) into in-capsule data.
    case lastSegment
    /// Anything else.
    case unsupported
}
