import Backends
import Glibc
import Testing

@testable import RBDBackend

/// What can be checked without a Ceph cluster, against the real librados
/// when it is installed (Debian: librbd1, which QEMU's packages pull in).
/// Serving an image is the lab's rbd.sh.
@Suite struct RBDClusterTests {
    static let libraryLoads: Bool = (try? RBDLibrary.load()) != nil

    @Test(
        "A monitor nobody answers fails registration within client_mount_timeout, naming the cluster",
        .enabled(if: libraryLoads, "librados.so.2/librbd.so.1 are not installed on this machine"))
    func unreachableMonitorIsBounded() throws {
        let registry = RBDClusterRegistry()
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let options = RBDClusterOptions(
            configParams: [
                // Port 9 on loopback: nothing listens, so every attempt is refused at once.
                RBDConfigEntry("mon_host", "127.0.0.1:9"), RBDConfigEntry("client_mount_timeout", "3"),
                RBDConfigEntry("auth_client_required", "none"), RBDConfigEntry("log_to_stderr", "false"),
                RBDConfigEntry("log_file", "/dev/null"),
            ])
        var thrown: RBDError?
        do { try registry.register(name: "nowhere", options: noFile(options)) } catch { thrown = error }
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        let message = try #require(thrown).description
        #expect(message.contains("Ceph cluster \"nowhere\""), "\(message)")
        #expect(message.contains("cannot connect"), "\(message)")
        #expect(message.contains("127.0.0.1:9"), "\(message)")
        #expect(seconds < 20, "took \(seconds) s")
        #expect(registry.all.isEmpty)
    }

    @Test(
        "An unknown Ceph option is refused by name",
        .enabled(if: libraryLoads, "librados.so.2/librbd.so.1 are not installed on this machine"))
    func unknownOption() {
        var o = RBDClusterOptions(configParams: [RBDConfigEntry("no_such_option_here", "1")])
        o.searchDefaultFile = false
        #expect(throws: RBDError.self) { try RBDCluster(name: "c", options: o) }
        do { _ = try RBDCluster(name: "c", options: o) } catch {
            #expect(error.description.contains("config_param no_such_option_here=1: no such Ceph option"))
        }
    }

    @Test func unregisterUnknownClusterNamesIt() {
        let registry = RBDClusterRegistry()
        do {
            try registry.unregister(name: "ghost")
            Issue.record("unregistered a cluster that was never registered")
        } catch {
            #expect(error.description == "Ceph cluster \"ghost\": not registered")
        }
    }

    @Test func librbdErrorsThatMeanUnreachableAreRetryable() {
        for e in [ETIMEDOUT, ESHUTDOWN, ENOTCONN, EROFS] {
            #expect(RBDChannel.error(errno: e, isRead: true) == .unavailable(errno: e))
        }
        #expect(RBDChannel.error(errno: EIO, isRead: true) == .readFailed(errno: EIO))
        #expect(RBDChannel.error(errno: EIO, isRead: false) == .writeFailed(errno: EIO))
    }

    private func noFile(_ o: RBDClusterOptions) -> RBDClusterOptions {
        var o = o
        o.searchDefaultFile = false
        return o
    }
}
