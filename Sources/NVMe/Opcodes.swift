/// Admin command set opcodes the target implements.
public enum AdminOpcode {
    /// 02h Get Log Page.
    public static let getLogPage: UInt8 = 0x02
    /// 06h Identify.
    public static let identify: UInt8 = 0x06
    /// 08h Abort.
    public static let abort: UInt8 = 0x08
    /// 09h Set Features.
    public static let setFeatures: UInt8 = 0x09
    /// 0Ah Get Features.
    public static let getFeatures: UInt8 = 0x0A
    /// 0Ch Asynchronous Event Request.
    public static let asyncEventRequest: UInt8 = 0x0C
    /// 18h Keep Alive.
    public static let keepAlive: UInt8 = 0x18
}

/// NVM command set (I/O queue) opcodes.
public enum IOOpcode {
    /// 00h Flush.
    public static let flush: UInt8 = 0x00
    /// 01h Write.
    public static let write: UInt8 = 0x01
    /// 02h Read.
    public static let read: UInt8 = 0x02
    /// 05h Compare.
    public static let compare: UInt8 = 0x05
    /// 08h Write Zeroes.
    public static let writeZeroes: UInt8 = 0x08
    /// 09h Dataset Management.
    public static let datasetManagement: UInt8 = 0x09
    /// 0Dh Reservation Register.
    public static let reservationRegister: UInt8 = 0x0D
    /// 0Eh Reservation Report.
    public static let reservationReport: UInt8 = 0x0E
    /// 11h Reservation Acquire.
    public static let reservationAcquire: UInt8 = 0x11
    /// 15h Reservation Release.
    public static let reservationRelease: UInt8 = 0x15
}

/// OPC 7Fh marks a Fabrics command; FCTYPE (SQE byte 4) says which.
public enum FabricsCommandType {
    /// The Fabrics opcode.
    public static let opcode: UInt8 = 0x7F
    /// 00h Property Set.
    public static let propertySet: UInt8 = 0x00
    /// 01h Connect.
    public static let connect: UInt8 = 0x01
    /// 04h Property Get.
    public static let propertyGet: UInt8 = 0x04
    /// 05h Authentication Send.
    public static let authenticationSend: UInt8 = 0x05
    /// 06h Authentication Receive.
    public static let authenticationReceive: UInt8 = 0x06
    /// 08h Disconnect.
    public static let disconnect: UInt8 = 0x08
}

/// Which way a command's data moves: opcode bits 1:0 (FCTYPE bits 1:0 for Fabrics).
@frozen
public enum DataDirection: UInt8, Sendable {
    /// 00b: no data.
    case none = 0
    /// 01b: host to controller (Write, DSM, Connect): the transport fetches it first.
    case hostToController = 1
    /// 10b: controller to host (Read, Identify, Get Log Page).
    case controllerToHost = 2
    /// 11b: bidirectional; nothing the target supports (Invalid Opcode).
    case bidirectional = 3

    /// Direction of a command, from OPC or, for Fabrics, FCTYPE.
    @inlinable
    public init(opcode: UInt8, fabricsCommandType: UInt8) {
        let bits = opcode == FabricsCommandType.opcode ? fabricsCommandType & 3 : opcode & 3
        self = DataDirection(rawValue: bits) ?? .bidirectional
    }
}

/// Controller property offsets (Property Get/Set OFST), NVMe-oF §3.
public enum PropertyOffset {
    /// CAP, 8 bytes.
    public static let capabilities: UInt32 = 0x00
    /// VS, 4 bytes.
    public static let version: UInt32 = 0x08
    /// CC, 4 bytes.
    public static let configuration: UInt32 = 0x14
    /// CSTS, 4 bytes.
    public static let status: UInt32 = 0x1C
    /// NSSR, 4 bytes.
    public static let subsystemReset: UInt32 = 0x20
    /// CRTO, 4 bytes.
    public static let readyTimeouts: UInt32 = 0x68
}

/// The well-known discovery subsystem NQN.
public let discoverySubsystemNQN = "nqn.2014-08.org.nvmexpress.discovery"
