import NVMe
import Testing

@testable import RdmaTransport

@Suite struct ConnectRequestCheckTests {
    let options = RdmaTransportOptions()

    func data(recfmt: UInt16 = 0, qid: UInt16, hrqsize: UInt16, hsqsize: UInt16, pad: Int = 56)
        -> [UInt8]
    {
        var bytes = [UInt8](repeating: 0, count: max(pad, 32))
        bytes.withUnsafeMutableBytes {
            RDMAConnectRequestPrivateData(
                recordFormat: recfmt, queueID: qid, hostReceiveQueueSize: hrqsize,
                hostSendQueueSize: hsqsize
            ).encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<32]))
        }
        return Array(bytes.prefix(pad))
    }

    func check(_ d: [UInt8], ird: Int = 16, readLimit: Int = 128) -> ConnectDecision {
        checkConnectRequest(
            privateData: d, hostResponderResources: ird, options: options, deviceReadLimit: readLimit,
            deviceMaxWorkRequests: 1 << 20)
    }

    @Test func linuxAdminQueueIsAccepted() {
        let decision = check(data(qid: 0, hrqsize: 32, hsqsize: 31))
        #expect(
            decision
                == .accept(
                    AcceptParameters(queueID: 0, queueDepth: 32, readDepth: 16, inCapsuleDataSize: 0)))
    }

    @Test func linuxIOQueueGetsInCapsuleDataAndReadDepthIsClamped() {
        let decision = check(data(qid: 1, hrqsize: 128, hsqsize: 127), ird: 128, readLimit: 4)
        #expect(
            decision
                == .accept(
                    AcceptParameters(queueID: 1, queueDepth: 128, readDepth: 4, inCapsuleDataSize: 4096)))
    }

    /// The send queue needs 2 × depth + 1 WRs; it must fit the device's max_qp_wr.
    @Test func depthLeavesRoomInTheDevicesSendQueue() {
        let request = data(qid: 1, hrqsize: 128, hsqsize: 127)
        for maxWR in [256, 257] {
            guard
                case .accept(let p) = checkConnectRequest(
                    privateData: request, hostResponderResources: 16, options: options, deviceReadLimit: 128,
                    deviceMaxWorkRequests: maxWR)
            else {
                Issue.record("rejected with max_qp_wr \(maxWR)")
                continue
            }
            #expect(2 * p.queueDepth + 1 <= maxWR, "depth \(p.queueDepth) overflows max_qp_wr \(maxWR)")
        }
    }

    @Test func shortPrivateDataIsInvalidLength() {
        #expect(
            check(Array(data(qid: 0, hrqsize: 32, hsqsize: 31).prefix(31))) == .reject(.invalidLength))
        #expect(check([]) == .reject(.invalidLength))
    }

    @Test func recordFormatMustBeZero() {
        #expect(
            check(data(recfmt: 1, qid: 0, hrqsize: 32, hsqsize: 31)) == .reject(.invalidRecordFormat))
    }

    @Test func queueIDAboveTheLimitIsRejected() {
        #expect(check(data(qid: 128, hrqsize: 32, hsqsize: 31)) == .reject(.invalidQueueID))
        #expect(check(data(qid: 127, hrqsize: 32, hsqsize: 31)) != .reject(.invalidQueueID))
    }

    @Test func submissionQueueSizeLimits() {
        // Admin: 32 entries at most; zero (a one-entry queue) is invalid.
        #expect(check(data(qid: 0, hrqsize: 64, hsqsize: 32)) == .reject(.invalidHostSendQueueSize))
        #expect(check(data(qid: 0, hrqsize: 32, hsqsize: 0)) == .reject(.invalidHostSendQueueSize))
        #expect(check(data(qid: 1, hrqsize: 200, hsqsize: 128)) == .reject(.invalidHostSendQueueSize))
    }

    @Test func receiveQueueMustCoverTheSubmissionQueue() {
        #expect(check(data(qid: 1, hrqsize: 16, hsqsize: 31)) == .reject(.invalidHostReceiveQueueSize))
    }

    @Test func hostWithoutReadResourcesIsInvalidIRD() {
        #expect(check(data(qid: 0, hrqsize: 32, hsqsize: 31), ird: 0) == .reject(.invalidIRD))
    }

    @Test func rejectAndAcceptPrivateDataEncoding() {
        #expect(RDMARejectStatus.invalidIRD.rejectPrivateData == [0, 0, 7, 0])
        let accept = AcceptParameters(
            queueID: 1, queueDepth: 128, readDepth: 16, inCapsuleDataSize: 4096)
        let bytes = accept.acceptPrivateData
        #expect(bytes.count == 32)
        #expect(bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 128 && bytes[3] == 0)
        #expect(bytes[4...].allSatisfy { $0 == 0 })
    }
}
