import Testing

@testable import NVMe

@Suite struct ConnectCommandTests {
    @Test func sqeFieldsAtReferenceOffsets() {
        let c = ConnectCommand(
            commandID: 7, queueID: 3, submissionQueueSize: 127, keepAliveTimeout: 5000,
            connectAttributes: 4)
        let b = c.entry.encoded
        #expect(b[0] == 0x7F && b[1] == 0x40 && b[4] == 0x01)
        #expect(
            le16(b, 40) == 0 && le16(b, 42) == 3 && le16(b, 44) == 127 && b[46] == 4
                && le32(b, 48) == 5000)
        #expect(b[39] == 0x40 && le32(b, 32) & 0xFFFFFF == 1024)
        let back = ConnectCommand(b.withUnsafeBytes { SubmissionQueueEntry($0)! })
        #expect(back.queueID == 3 && back.queueDepth == 128 && back.keepAliveTimeout == 5000)
        #expect(back.disablesSQFlowControl && back.recordFormat == 0)
    }

    @Test func dataLayout() {
        let hostID: [UInt8] = Array(1...16)
        let d = ConnectData(
            hostID: hostID, controllerID: 0xFFFF, subsystemNQN: "nqn.2026-01.io.test:a",
            hostNQN: "nqn.2026-01.io.host:h")
        let b = d.encoded
        let expected = golden(
            1024,
            [
                (0, hostID), (16, [0xFF, 0xFF]), (256, Array("nqn.2026-01.io.test:a".utf8)),
                (512, Array("nqn.2026-01.io.host:h".utf8)),
            ])
        #expect(b == expected)
        let back = b.withUnsafeBytes { ConnectData(decoding: $0) }
        #expect(back == d)
        #expect(b.withUnsafeBytes { ConnectData.isTerminated($0, field: 256) })
        #expect([UInt8](repeating: 0, count: 1023).withUnsafeBytes { ConnectData(decoding: $0) } == nil)
        let unterminated = [UInt8](repeating: 0x41, count: 1024)
        #expect(!unterminated.withUnsafeBytes { ConnectData.isTerminated($0, field: 256) })
    }

    @Test func responseEncodings() {
        #expect(ConnectResponse.success(controllerID: 0x1234) == 0x1234)
        #expect(ConnectResponse.invalidParameter(offset: 256, inData: true) == 0x1_0100)
        #expect(ConnectResponse.invalidParameter(offset: 44, inData: false) == 44)
    }
}
