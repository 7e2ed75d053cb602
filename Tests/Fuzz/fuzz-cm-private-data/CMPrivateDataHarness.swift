// Fuzzes the RDMA CM CONNECT_REQUEST check: RDMAConnectRequestPrivateData
// decoding and checkConnectRequest with fuzz-chosen transport options and
// device limits, asserting what the function documents for any input.
//
// Input: 16 header bytes, then the private data (any length, 0 included).
//   0      initiator_depth the target sees (UInt8, as in the CM event)
//   1–4    max_qp_init_rd_atom (Int32 LE, the device attribute's type)
//   5–8    max_qp_wr (Int32 LE)
//   9      flags: bit 0 = the default RdmaTransportOptions, else bytes 10–15
//   10–11  max_queue_depth     (mapped into 2...65535)
//   12–13  max_aq_depth        (mapped into 2...4096)
//   14     max_io_qpairs_per_ctrlr (1...255, or 65534 when 0)
//   15     in_capsule_data_size / 256 (mapped into 0...65536)
import FuzzSupport
import NVMe
import RdmaTransport

enum CMPrivateDataHarness {
    static func run(_ input: UnsafeRawBufferPointer) {
        var r = ByteReader(input)
        let ird = Int(r.u8())
        let readLimit = Int(Int32(bitPattern: r.le32()))
        let maxWR = Int(Int32(bitPattern: r.le32()))
        let flags = r.u8()
        var options = RdmaTransportOptions()
        let qd = r.le16()
        let aq = r.le16()
        let ioq = r.u8()
        let icd = r.u8()
        if flags & 1 == 0 {
            options.maxQueueDepth = 2 + Int(qd) % 65534
            options.maxAdminQueueDepth = 2 + Int(aq) % 4095
            options.maxIOQPairsPerController = ioq == 0 ? 0xFFFE : Int(ioq)
            options.inCapsuleDataSize = min(Int(icd) * 256, 65536)
        }
        // Only options the transport would start with (it refuses the rest).
        guard options.validationError(pollGroupCount: 1) == nil else { return }
        let privateData = Array(r.rest())

        // The decoder alone: round-trips its five fields.
        let decoded = privateData.withUnsafeBytes { RDMAConnectRequestPrivateData(decoding: $0) }
        if let d = decoded {
            var again = [UInt8](repeating: 0xEE, count: RDMAConnectRequestPrivateData.wireSize)
            again.withUnsafeMutableBytes { d.encode(into: $0) }
            guard again[0..<10] == privateData[0..<10], again[10...].allSatisfy({ $0 == 0 }) else {
                fatalError("private data does not round-trip: \(privateData.prefix(32)) -> \(again)")
            }
        } else if privateData.count >= RDMAConnectRequestPrivateData.wireSize {
            fatalError("\(privateData.count) bytes of private data did not decode")
        }

        let decision = checkConnectRequest(
            privateData: privateData, hostResponderResources: ird, options: options, deviceReadLimit: readLimit,
            deviceMaxWorkRequests: maxWR)
        switch decision {
        case .reject(let status):
            let bytes = status.rejectPrivateData
            let back = bytes.withUnsafeBytes { RDMARejectPrivateData(decoding: $0) }
            guard back?.status == status, back?.recordFormat == 0 else { fatalError("reject data does not round-trip") }
            if decoded == nil && status != .invalidLength { fatalError("short private data rejected with \(status)") }
        case .accept(let p):
            guard let request = decoded else { fatalError("accepted undecodable private data") }
            let isAdmin = request.queueID == 0
            let submissionDepth = Int(request.hostSendQueueSize) + 1
            let limit = isAdmin ? options.maxAdminQueueDepth : options.maxQueueDepth
            guard request.recordFormat == 0, p.queueID == request.queueID,
                Int(request.queueID) <= options.maxIOQPairsPerController
            else { fatalError("accepted RECFMT \(request.recordFormat) / QID \(request.queueID) as \(p)") }
            guard p.queueDepth >= 1, p.queueDepth <= submissionDepth, submissionDepth <= limit,
                Int(request.hostReceiveQueueSize) >= submissionDepth
            else { fatalError("queue depth \(p.queueDepth) for \(request), limit \(limit)") }
            guard p.readDepth >= 1, p.readDepth <= ird, p.readDepth <= p.queueDepth || p.readDepth == 1 else {
                fatalError("read depth \(p.readDepth) with initiator_depth \(ird), queue depth \(p.queueDepth)")
            }
            // The documented fits, for devices that report usable limits.
            if readLimit >= 1 && p.readDepth > readLimit {
                fatalError("read depth \(p.readDepth) exceeds max_qp_init_rd_atom \(readLimit)")
            }
            if maxWR >= 3 && 2 * p.queueDepth + 1 > maxWR {
                fatalError("depth \(p.queueDepth) needs \(2 * p.queueDepth + 1) WRs, max_qp_wr \(maxWR)")
            }
            guard p.inCapsuleDataSize == (isAdmin ? 0 : options.inCapsuleDataSize) else {
                fatalError("in-capsule size \(p.inCapsuleDataSize) for QID \(request.queueID)")
            }
            let accept = p.acceptPrivateData.withUnsafeBytes { RDMAAcceptPrivateData(decoding: $0) }
            guard let accept, accept.recordFormat == 0, Int(accept.controllerReceiveQueueSize) == p.queueDepth else {
                fatalError("CRQSIZE does not carry queue depth \(p.queueDepth)")
            }
        }
    }

    /// Header for `seeds`: initiator_depth 16, a SoftRoCE-like device, default options.
    static func header(ird: UInt8 = 16, readLimit: Int32 = 128, maxWR: Int32 = 16384, defaults: Bool = true) -> [UInt8]
    {
        var h: [UInt8] = [ird]
        h.appendLE32(UInt32(bitPattern: readLimit))
        h.appendLE32(UInt32(bitPattern: maxWR))
        h.append(defaults ? 1 : 0)
        h.appendLE16(126)  // max_queue_depth 128
        h.appendLE16(30)  // max_aq_depth 32
        h.append(127)
        h.append(16)  // 4096
        return h
    }

    static func privateData(
        recfmt: UInt16 = 0, qid: UInt16, hrqsize: UInt16, hsqsize: UInt16, cntlid: UInt16 = 0, pad: Int = 56
    )
        -> [UInt8]
    {
        var b = [UInt8](repeating: 0, count: max(pad, 32))
        b.withUnsafeMutableBytes {
            RDMAConnectRequestPrivateData(
                recordFormat: recfmt, queueID: qid, hostReceiveQueueSize: hrqsize, hostSendQueueSize: hsqsize,
                controllerID: cntlid
            ).encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<32]))
        }
        return Array(b.prefix(pad))
    }

    static func seeds() -> [(name: String, bytes: [UInt8])] {
        [
            ("linux-admin", header() + privateData(qid: 0, hrqsize: 32, hsqsize: 31)),
            ("linux-io", header() + privateData(qid: 1, hrqsize: 128, hsqsize: 127, cntlid: 1)),
            ("exact-32-bytes", header() + privateData(qid: 3, hrqsize: 64, hsqsize: 63, pad: 32)),
            ("short", header() + privateData(qid: 0, hrqsize: 32, hsqsize: 31, pad: 31)),
            ("recfmt-1", header() + privateData(recfmt: 1, qid: 0, hrqsize: 32, hsqsize: 31)),
            (
                "small-device",
                header(ird: 255, readLimit: 4, maxWR: 63) + privateData(qid: 1, hrqsize: 128, hsqsize: 127)
            ),
            ("custom-options", header(defaults: false) + privateData(qid: 127, hrqsize: 128, hsqsize: 127)),
            ("ird-0", header(ird: 0) + privateData(qid: 1, hrqsize: 16, hsqsize: 15)),
        ]
    }
}

@main enum Main {
    static func main() {
        harnessMain(name: "fuzz-cm-private-data", seeds: CMPrivateDataHarness.seeds, run: CMPrivateDataHarness.run)
    }
}
