import Testing

@testable import NVMe

@Suite struct CMPrivateDataTests {
    @Test func requestLayout() {
        let r = RDMAConnectRequestPrivateData(
            queueID: 2, hostReceiveQueueSize: 128, hostSendQueueSize: 127, controllerID: 5)
        let b = encoded(32) { r.encode(into: $0) }
        #expect(b == golden(32, [(0, [0, 0, 2, 0, 128, 0, 127, 0, 5, 0])]))
        #expect(b.withUnsafeBytes { RDMAConnectRequestPrivateData(decoding: $0) } == r)
        #expect(
            [UInt8](repeating: 0, count: 31).withUnsafeBytes {
                RDMAConnectRequestPrivateData(decoding: $0)
            } == nil)
    }

    @Test func acceptAndRejectLayouts() {
        let a = encoded(32) { RDMAAcceptPrivateData(controllerReceiveQueueSize: 128).encode(into: $0) }
        #expect(a == golden(32, [(2, [128, 0])]))
        let r = encoded(4) { RDMARejectPrivateData(status: .invalidHostSendQueueSize).encode(into: $0) }
        #expect(r == [0, 0, 4, 0])
        #expect(
            r.withUnsafeBytes { RDMARejectPrivateData(decoding: $0) }?.status == .invalidHostSendQueueSize
        )
        #expect(
            RDMARejectStatus.invalidIRD.rawValue == 7
                && RDMARejectStatus.invalidControllerID.rawValue == 9)
    }
}
