/// The 64-byte submission queue entry (command capsule header), as a value.
///
/// `@frozen` with fields laid out in wire order, so copying one out of a
/// receive buffer is sixteen loads and costs no allocation. Commands
/// interpret `cdw10`…`cdw15` themselves (see `ConnectCommand`, `IdentifyCommand`, …).
@frozen
public struct SubmissionQueueEntry: Hashable, Sendable {
    /// OPC, byte 0.
    public var opcode: UInt8
    /// FLAGS, byte 1: bits 1:0 FUSE, bits 7:6 PSDT.
    public var flags: UInt8
    /// CID, bytes 2–3. Echoed back unchanged.
    public var commandID: UInt16
    /// NSID, bytes 4–7 (byte 4 is FCTYPE for Fabrics commands).
    public var namespaceID: UInt32
    /// CDW2, bytes 8–11.
    public var cdw2: UInt32
    /// CDW3, bytes 12–15.
    public var cdw3: UInt32
    /// MPTR, bytes 16–23.
    public var metadataPointer: UInt64
    /// DPTR, bytes 24–39: SGL1.
    public var dataPointer: SGLDescriptor
    /// CDW10, bytes 40–43.
    public var cdw10: UInt32
    /// CDW11, bytes 44–47.
    public var cdw11: UInt32
    /// CDW12, bytes 48–51.
    public var cdw12: UInt32
    /// CDW13, bytes 52–55.
    public var cdw13: UInt32
    /// CDW14, bytes 56–59.
    public var cdw14: UInt32
    /// CDW15, bytes 60–63.
    public var cdw15: UInt32

    /// Size on the wire.
    public static let wireSize = 64
    /// FLAGS value every fabrics command must carry: PSDT = 01b (SGL), no FUSE.
    public static let sglFlags: UInt8 = 0x40

    /// An all-zero command with the given header fields and PSDT = 01b.
    @inlinable
    public init(opcode: UInt8, commandID: UInt16 = 0, namespaceID: UInt32 = 0) {
        self.opcode = opcode
        self.flags = SubmissionQueueEntry.sglFlags
        self.commandID = commandID
        self.namespaceID = namespaceID
        cdw2 = 0
        cdw3 = 0
        metadataPointer = 0
        dataPointer = SGLDescriptor(address: 0, upper: 0x40 << 56)
        cdw10 = 0
        cdw11 = 0
        cdw12 = 0
        cdw13 = 0
        cdw14 = 0
        cdw15 = 0
    }

    /// Reads a command from 64 bytes of wire memory.
    ///
    /// - Precondition: `bytes` points at 64 readable bytes (any alignment).
    @inlinable
    public init(bytes p: UnsafeRawPointer) {
        @inline(__always) func l32(_ o: Int) -> UInt32 {
            UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))
        }
        @inline(__always) func l64(_ o: Int) -> UInt64 {
            UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))
        }
        let dw0 = l32(0)
        opcode = UInt8(truncatingIfNeeded: dw0)
        flags = UInt8(truncatingIfNeeded: dw0 >> 8)
        commandID = UInt16(truncatingIfNeeded: dw0 >> 16)
        namespaceID = l32(4)
        cdw2 = l32(8)
        cdw3 = l32(12)
        metadataPointer = l64(16)
        dataPointer = SGLDescriptor(address: l64(24), upper: l64(32))
        cdw10 = l32(40)
        cdw11 = l32(44)
        cdw12 = l32(48)
        cdw13 = l32(52)
        cdw14 = l32(56)
        cdw15 = l32(60)
    }

    /// Reads a command from a buffer; nil when it holds fewer than 64 bytes.
    @inlinable
    public init?(_ buffer: UnsafeRawBufferPointer) {
        guard buffer.count >= SubmissionQueueEntry.wireSize, let base = buffer.baseAddress else {
            return nil
        }
        self.init(bytes: base)
    }

    /// Writes the 64 wire bytes.
    ///
    /// - Precondition: `p` points at 64 writable bytes.
    @inlinable
    public func write(to p: UnsafeMutableRawPointer) {
        @inline(__always) func s32(_ v: UInt32, _ o: Int) {
            p.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt32.self)
        }
        @inline(__always) func s64(_ v: UInt64, _ o: Int) {
            p.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt64.self)
        }
        s32(UInt32(opcode) | UInt32(flags) << 8 | UInt32(commandID) << 16, 0)
        s32(namespaceID, 4)
        s32(cdw2, 8)
        s32(cdw3, 12)
        s64(metadataPointer, 16)
        s64(dataPointer.address, 24)
        s64(dataPointer.upper, 32)
        s32(cdw10, 40)
        s32(cdw11, 44)
        s32(cdw12, 48)
        s32(cdw13, 52)
        s32(cdw14, 56)
        s32(cdw15, 60)
    }

    /// The 64 wire bytes as an array (tests, control path).
    public var encoded: [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        out.withUnsafeMutableBytes { write(to: $0.baseAddress!) }
        return out
    }

    /// FUSE, FLAGS bits 1:0.
    @inlinable public var fuse: UInt8 { flags & 0x3 }
    /// PSDT, FLAGS bits 7:6 (01b = SGL for data, the only value fabrics allow).
    @inlinable public var psdt: UInt8 { flags >> 6 }
    /// FCTYPE, byte 4, meaningful when `opcode` is 7Fh.
    @inlinable public var fabricsCommandType: UInt8 { UInt8(truncatingIfNeeded: namespaceID) }
    /// True for Fabrics commands (OPC 7Fh).
    @inlinable public var isFabrics: Bool { opcode == FabricsCommandType.opcode }
    /// Data direction from OPC bits 1:0 (FCTYPE bits 1:0 for Fabrics).
    @inlinable public var dataDirection: DataDirection {
        DataDirection(opcode: opcode, fabricsCommandType: fabricsCommandType)
    }
}
