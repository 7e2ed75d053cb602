/// What the host needs of a namespace to address it: its size and block size.
public struct NamespaceGeometry: Equatable, Sendable {
    public var id: UInt32
    /// NSZE: blocks.
    public var blockCount: UInt64
    /// Bytes per logical block (the formatted LBA format's LBADS).
    public var blockSize: Int

    public init(id: UInt32, blockCount: UInt64, blockSize: Int) {
        self.id = id
        self.blockCount = blockCount
        self.blockSize = blockSize
    }

    /// NSZE × block size, saturating: NSZE is the target's word and may be absurd.
    public var byteCount: UInt64 {
        let (bytes, overflow) = blockCount.multipliedReportingOverflow(by: UInt64(blockSize))
        return overflow ? UInt64.max : bytes
    }

    /// Decodes NSZE (bytes 0–7), FLBAS (26) and the selected LBA format (128 + 4 × index).
    init(identifyNamespace data: [UInt8], id: UInt32) throws(HostError) {
        let size = data.le(0, 8)
        let flbas = Int(data.le(26, 1))
        // FLBAS bits 3:0, with bits 6:5 as the upper index bits when more than 16 formats exist.
        let index = (flbas & 0xF) | ((flbas >> 5) & 0x3) << 4
        let shift = Int(data.le(128 + 4 * index + 2, 1))
        guard size > 0 else { throw HostError("namespace \(id) is inactive or empty (NSZE 0)") }
        guard shift >= 9, shift <= 16 else {
            throw HostError("namespace \(id) reports an LBA data size of 2^\(shift) bytes")
        }
        self.init(id: id, blockCount: size, blockSize: 1 << shift)
    }
}
