import NVMfHost
import Testing

@Suite struct TransportIDTests {
    @Test func parsesSPDKsForm() throws {
        let id = try TransportID(
            parsing: "trtype:RDMA adrfam:IPv4 traddr:10.0.0.1 trsvcid:4421 subnqn:nqn.2024-01.io.example:disk1 ns:2")
        #expect(id.address == "10.0.0.1")
        #expect(id.port == 4421)
        #expect(id.addressFamily == .ipv4)
        #expect(id.subsystemNQN == "nqn.2024-01.io.example:disk1")
        #expect(id.namespaceID == 2)
        #expect(!id.isDiscovery)
        #expect(
            id.description
                == "trtype:RDMA adrfam:IPv4 traddr:10.0.0.1 trsvcid:4421 subnqn:nqn.2024-01.io.example:disk1 ns:2")
    }

    @Test func defaultsEqualsSignsAndCase() throws {
        let id = try TransportID(parsing: "TRTYPE=rdma  TrAddr=192.168.1.2\thostnqn:nqn.2014-08.org.nvmexpress:uuid:1")
        #expect(id.port == 4420)
        #expect(id.isDiscovery)
        #expect(id.hostNQN == "nqn.2014-08.org.nvmexpress:uuid:1")
        let v6 = try TransportID(parsing: "trtype:RDMA traddr:fd00::1")
        #expect(v6.addressFamily == .ipv6)
        // An NQN keeps its own colons: only the first separator splits.
        let nqn = try TransportID(parsing: "trtype:RDMA traddr:10.0.0.1 subnqn:nqn.2014-08.org:a:b=c")
        #expect(nqn.subsystemNQN == "nqn.2014-08.org:a:b=c")
    }

    @Test func refusesWhatItCannotUseByName() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("trtype:TCP traddr:10.0.0.1", "TCP is not supported"),
            ("traddr:10.0.0.1", "trtype missing"),
            ("trtype:RDMA", "traddr missing"),
            ("trtype:RDMA traddr:host.example", "not a numeric"),
            ("trtype:RDMA traddr:10.0.0.1 trsvcid:70000", "trsvcid 70000"),
            ("trtype:RDMA traddr:10.0.0.1 trsvcid:0", "trsvcid 0"),
            ("trtype:RDMA traddr:10.0.0.1 adrfam:IB", "adrfam IB"),
            ("trtype:RDMA traddr:10.0.0.1 ns:0", "ns 0"),
            ("trtype:RDMA traddr:10.0.0.1 ns:x", "ns x"),
            ("trtype:RDMA traddr:10.0.0.1 bogus:1", "unknown key 'bogus'"),
            ("trtype:RDMA traddr:10.0.0.1 traddr:10.0.0.2", "given twice"),
            ("trtype:RDMA traddr", "not key:value"),
            ("trtype:RDMA traddr:", "no value"),
            ("trtype:RDMA traddr:10.0.0.1 subnqn:" + String(repeating: "a", count: 224), "longer than 223"),
            ("trtype:RDMA adrfam:IPv4 traddr:fd00::1", "not a numeric IPv4"),
        ]
        for (text, words) in cases {
            let error = #expect(throws: HostError.self) { _ = try TransportID(parsing: text) }
            #expect(error?.description.contains(words) == true, "'\(text)': \(error?.description ?? "no error")")
        }
    }
}
