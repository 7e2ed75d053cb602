import Testing

@testable import NVMe

@Suite struct DiscoveryLogPageTests {
    @Test func headerAndEntryLayout() {
        let e = DiscoveryLogEntry(
            transportType: 1, addressFamily: 1, subsystemType: 2, portID: 1, adminMaxSQSize: 32,
            transportServiceID: "4420", subsystemNQN: "nqn.2026-01.io.test:a",
            transportAddress: "10.0.0.1")
        let b = encoded(DiscoveryLogPage.size(entries: 1)) {
            DiscoveryLogPage.encode(generation: 7, entries: [e], into: $0)
        }
        let expected = golden(
            2048,
            [
                (0, [7]), (8, [1]),
                (1024, [1, 1, 2, 2, 1, 0, 0xFF, 0xFF, 32, 0]), (1024 + 32, Array("4420".utf8)),
                (1024 + 256, Array("nqn.2026-01.io.test:a".utf8)), (1024 + 512, Array("10.0.0.1".utf8)),
                (1024 + 768, [1, 1, 1]),
            ])
        #expect(b == expected)
        #expect(b.withUnsafeBytes { DiscoveryLogEntry(decoding: $0, at: 1024) } == e)
        #expect(b.withUnsafeBytes { DiscoveryLogPage.generation($0) } == 7)
    }
}
