import Glibc
import Testing

@testable import Verbs

@Suite struct VerbsErrorTests {
    @Test func errnoMapsToKind() {
        #expect(VerbsError.Kind(errno: ENODEV) == .noDevice)
        #expect(VerbsError.Kind(errno: ENOSYS) == .noDevice)
        #expect(VerbsError.Kind(errno: ENOMEM) == .outOfResources)
        #expect(VerbsError.Kind(errno: EAGAIN) == .wouldBlock)
        #expect(VerbsError.Kind(errno: EINVAL) == .invalidArgument)
        #expect(VerbsError.Kind(errno: EBUSY) == .busy)
        #expect(VerbsError.Kind(errno: EPERM) == .permissionDenied)
        #expect(VerbsError.Kind(errno: ETIMEDOUT) == .connection)
        #expect(VerbsError.Kind(errno: ECONNREFUSED) == .connection)
        #expect(VerbsError.Kind(errno: EDOM) == .other)
    }

    @Test func returnCodeConventionCarriesVerbAndErrno() {
        #expect(throws: Never.self) { try VerbsError.check(returnCode: 0, "ibv_post_send") }
        do {
            try VerbsError.check(returnCode: ENOMEM, "ibv_post_send")
            Issue.record("a non-zero return code must throw")
        } catch {
            #expect(error.verb.description == "ibv_post_send")
            #expect(error.errno == ENOMEM)
            #expect(error.kind == .outOfResources)
        }
    }

    @Test func negativeReturnCodesAreNormalised() {
        do {
            try VerbsError.check(returnCode: -EINVAL, "ibv_req_notify_cq")
            Issue.record("must throw")
        } catch {
            #expect(error.errno == EINVAL)
        }
    }

    @Test func minusOneConventionReadsErrno() {
        Glibc.errno = ETIMEDOUT
        do {
            try VerbsError.check(minusOne: -1, "rdma_resolve_addr")
            Issue.record("must throw")
        } catch {
            #expect(error.errno == ETIMEDOUT)
            #expect(error.verb.description == "rdma_resolve_addr")
        }
    }

    @Test func failureWithoutErrnoIsNeverSuccess() {
        Glibc.errno = 0
        do {
            try VerbsError.check(minusOne: -1, "rdma_listen")
            Issue.record("must throw")
        } catch {
            #expect(error.errno == EIO)
        }
    }

    @Test func nilPointerConventionReadsErrno() {
        Glibc.errno = EACCES
        let missing: UnsafeMutableRawPointer? = nil
        do {
            _ = try VerbsError.nonNil(missing, "ibv_reg_mr")
            Issue.record("must throw")
        } catch {
            #expect(error.errno == EACCES)
            #expect(error.kind == .permissionDenied)
        }
        let present = UnsafeMutableRawPointer(bitPattern: 0x1000)
        #expect((try? VerbsError.nonNil(present, "ibv_reg_mr")) == present)
    }

    @Test func noDeviceMessageSaysHowToGetSoftRoCE() {
        let error = VerbsError(verb: "ibv_get_device_list", errno: ENODEV)
        #expect(error.isNoDevice)
        #expect(error.description.contains("ibv_get_device_list failed: ENODEV (19)"))
        #expect(error.description.contains("rxe-setup.sh"))
        let other = VerbsError(verb: "ibv_post_send", errno: ENOMEM)
        #expect(!other.description.contains("rxe-setup.sh"))
        #expect(other.description == "ibv_post_send failed: ENOMEM (12)")
    }

    @Test func equalityComparesVerbAndErrno() {
        #expect(VerbsError(verb: "a", errno: 1) == VerbsError(verb: "a", errno: 1))
        #expect(VerbsError(verb: "a", errno: 1) != VerbsError(verb: "b", errno: 1))
        #expect(VerbsError(verb: "a", errno: 1) != VerbsError(verb: "a", errno: 2))
    }
}
