import Testing

@testable import RdmaTransport

@Suite struct RdmaRequestTests {
    @Test func waitListIsFIFOAndNeverAllocates() {
        let requests = UnsafeMutablePointer<RdmaRequest>.allocate(capacity: 8)
        defer { requests.deallocate() }
        requests.initialize(repeating: RdmaRequest(), count: 8)
        var list = RequestList()
        #expect(list.isEmpty)
        for slot: Int32 in [3, 1, 7] { list.append(slot, requests) }
        #expect(list.popFirst(requests) == 3)
        list.append(0, requests)
        #expect(list.popFirst(requests) == 1)
        #expect(list.popFirst(requests) == 7)
        #expect(list.popFirst(requests) == 0)
        #expect(list.popFirst(requests) == nil)
        #expect(list.isEmpty)
        #expect(requests[7].next == -1)
    }

    @Test func newSlotsStartFree() {
        let r = RdmaRequest()
        #expect(
            r.state == .free && r.receiveIndex == -1 && r.bufferIndex == -1 && r.sendWorkRequests == 0)
    }
}
