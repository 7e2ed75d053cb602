import Glibc
import Testing

@testable import Verbs

@Suite struct SocketAddressTests {
    @Test func parsesIPv4IntoNetworkOrder() throws {
        let address = try #require(SocketAddress(host: "10.0.2.15", port: 4420))
        #expect(address.isIPv4)
        #expect(address.description == "10.0.2.15:4420")
        address.withSockaddr { raw in
            raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                #expect(v4.pointee.sin_port == UInt16(4420).bigEndian)
                #expect(v4.pointee.sin_addr.s_addr == UInt32(0x0A00_020F).bigEndian)
            }
        }
    }

    @Test func parsesIPv6() throws {
        let address = try #require(SocketAddress(host: "fe80::1", port: 1))
        #expect(!address.isIPv4)
        #expect(address.description == "[fe80::1]:1")
    }

    @Test func rejectsNames() {
        #expect(SocketAddress(host: "rxe-host", port: 4420) == nil)
        #expect(SocketAddress(host: "10.0.2", port: 4420) == nil)
        #expect(SocketAddress(host: "", port: 4420) == nil)
    }

    @Test func gidCarriesIPv4() {
        let mapped = GID(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 2, 15])
        #expect(mapped.ipv4Text == "10.0.2.15")
        let linkLocal = GID(bytes: [0xfe, 0x80] + Array(repeating: 0, count: 13) + [1])
        #expect(linkLocal.ipv4Text == nil)
    }

    @Test func cmEventNamesComeFromLibrdmacm() {
        #expect(CMEventType.connectRequest.description == "RDMA_CM_EVENT_CONNECT_REQUEST")
        #expect(CMEventType.disconnected.description == "RDMA_CM_EVENT_DISCONNECTED")
    }
}
