import NVMe

/// NVMe status codes and RDMA CM reject reasons in words, for error messages.
///
/// The host tells its user why a target said no: "host NQN not allowed" rather
/// than "SCT 1 SC 0x84".
public enum StatusWords {
    /// `status` explained, with the raw codes after it. `dword0` carries the
    /// Connect response's Invalid Parameters location (IATTR, IPO).
    public static func describe(_ status: NVMeStatus, dword0: UInt32 = 0) -> String {
        var words = name(status)
        if status.codeTypeValue == 1, status.code == 0x82 {
            words += ": " + invalidConnectParameter(dword0)
        }
        return "\(words) (\(status))"
    }

    /// The status's name from the NVMe base and fabrics specifications.
    public static func name(_ status: NVMeStatus) -> String {
        switch (status.codeTypeValue, status.code) {
        case (0, 0x00): return "success"
        case (0, 0x01): return "invalid command opcode"
        case (0, 0x02): return "invalid field in command"
        case (0, 0x03): return "command ID conflict"
        case (0, 0x04): return "data transfer error"
        case (0, 0x06): return "internal error"
        case (0, 0x07): return "command abort requested"
        case (0, 0x08): return "command aborted due to SQ deletion"
        case (0, 0x0B): return "invalid namespace or format"
        case (0, 0x0C): return "command sequence error"
        case (0, 0x0D): return "invalid SGL segment descriptor"
        case (0, 0x0E): return "invalid number of SGL descriptors"
        case (0, 0x0F): return "data SGL length invalid"
        case (0, 0x11): return "SGL descriptor type invalid"
        case (0, 0x16): return "SGL offset invalid"
        case (0, 0x21): return "command interrupted"
        case (0, 0x80): return "LBA out of range"
        case (0, 0x82): return "namespace not ready"
        case (0, 0x83): return "reservation conflict"
        case (1, 0x02): return "invalid log page"
        case (1, 0x0D): return "feature not saveable"
        case (1, 0x80): return "Connect: incompatible format"
        case (1, 0x81): return "Connect: controller busy"
        case (1, 0x82): return "Connect: invalid parameters"
        case (1, 0x83): return "Connect: restart discovery"
        case (1, 0x84): return "Connect: invalid host (this host NQN is not allowed on the subsystem)"
        case (2, 0x80): return "write fault"
        case (2, 0x81): return "unrecovered read error"
        case (3, 0x00): return "internal path error"
        case (3, 0x01): return "asymmetric access persistent loss"
        case (3, 0x02): return "asymmetric access inaccessible"
        case (3, 0x03): return "asymmetric access transition"
        default: return "status code type \(status.codeTypeValue) code 0x\(String(status.code, radix: 16))"
        }
    }

    /// The field a Connect's Invalid Parameters status points at (IATTR bit 0:
    /// in the 1024-byte data, else in the SQE; IPO: the byte offset).
    public static func invalidConnectParameter(_ dword0: UInt32) -> String {
        let offset = Int(dword0 & 0xFFFF)
        let inData = dword0 & (1 << 16) != 0
        if inData {
            switch offset {
            case ConnectData.Offset.hostID: return "HOSTID in the Connect data"
            case ConnectData.Offset.controllerID: return "CNTLID in the Connect data (controller not found)"
            case ConnectData.Offset.subsystemNQN: return "SUBNQN (no such subsystem on this port)"
            case ConnectData.Offset.hostNQN: return "HOSTNQN in the Connect data"
            default: return "byte \(offset) of the Connect data"
            }
        }
        switch offset {
        case ConnectCommand.Offset.queueID: return "QID"
        case ConnectCommand.Offset.submissionQueueSize: return "SQSIZE (queue depth refused)"
        case ConnectCommand.Offset.keepAliveTimeout: return "KATO"
        case ConnectCommand.Offset.recordFormat: return "RECFMT"
        default: return "byte \(offset) of the Connect command"
        }
    }

    /// An NVMe/RDMA CM reject status (the target's private data in REJECTED).
    public static func reject(_ status: RDMARejectStatus) -> String {
        switch status {
        case .invalidLength: return "invalid private data length"
        case .invalidRecordFormat: return "invalid record format"
        case .invalidQueueID: return "invalid queue ID"
        case .invalidHostSendQueueSize: return "host send queue size refused (HSQSIZE)"
        case .invalidHostReceiveQueueSize: return "host receive queue size refused (HRQSIZE)"
        case .noResources: return "no resources on the target"
        case .invalidIRD: return "invalid IRD"
        case .invalidORD: return "invalid ORD"
        case .invalidControllerID: return "invalid controller ID"
        default: return "reject status \(status.rawValue)"
        }
    }
}
