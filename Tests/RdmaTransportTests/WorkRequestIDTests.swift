import Testing

@testable import RdmaTransport

@Suite struct WorkRequestIDTests {
    @Test func fieldsRoundTrip() {
        for kind in [WorkRequestID.Kind.receive, .send, .read, .write] {
            let id = WorkRequestID(kind: kind, connection: 0xABCDE, index: 4095)
            #expect(id.kind == kind)
            #expect(id.connection == 0xABCDE)
            #expect(id.index == 4095)
        }
    }

    @Test func connectionIndexIsMaskedTo24Bits() {
        let id = WorkRequestID(kind: .send, connection: WorkRequestID.maxConnections + 5, index: 1)
        #expect(id.connection == 5)
        #expect(id.kind == .send)
    }

    @Test func foreignIDsHaveNoKind() {
        #expect(WorkRequestID(rawValue: 0).kind == nil)
        #expect(WorkRequestID(rawValue: 0xFF00_0000_0000_0001).kind == nil)
    }
}
