// Fuzzes the JSON-RPC server's input path: the byte stream is cut into
// requests by the server's own splitter, and each request runs against a
// fresh target through RPCMethods.handle, as the socket would.
//
// Checked on every input: nothing traps; every request with an id gets a
// response with that id and either a result or an error with one of the
// codes the server uses; after the requests, save_config's output loads as a
// startup config (what the daemon writes it can read back); cleanup leaves
// no subsystem or device behind.
//
// As in fuzz-config, what would touch the machine is constrained: aio bdevs
// open only the harness's scratch file ("fuzz-aio.img") or a path that does
// not exist; malloc bdevs are capped at 64 MiB; spdk_kill_instance does
// nothing. No poll group exists, so calls that wait for the poll groups
// complete at once.
import Backends
import FuzzSupport
import Glibc
import Logging
import NVMfConfig
import NVMfRPC
import Target

final class RPCHarness {
    static let shared = RPCHarness()
    static let mallocLimit = 64 << 20
    static let aioToken = "fuzz-aio.img"
    static let errorCodes: Set<Int> = [-32700, -32600, -32601, -32602, -32603, -1]

    let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    let scratchDirectory: String
    let aioFile: String

    init() {
        let scratch = ScratchFile(harness: "fuzz-rpc", fileName: Self.aioToken)
        scratchDirectory = scratch.directory
        aioFile = scratch.path
    }

    /// The request with machine-touching parameters made safe.
    func constrained(_ value: JSONValue) -> JSONValue {
        guard case .object(var o) = value, case .string(let method)? = o["method"],
            case .object(var p)? = o["params"]
        else { return value }
        switch method {
        case "bdev_aio_create":
            if let f = p["filename"] {
                p["filename"] = .string(f == .string(Self.aioToken) ? aioFile : "\(scratchDirectory)/no-such-dir/file")
            }
        case "bdev_malloc_create":
            if case .number(let blocks)? = p["num_blocks"], case .number(let size)? = p["block_size"], size >= 1,
                blocks * size > Double(Self.mallocLimit)
            {
                p["num_blocks"] = .number((Double(Self.mallocLimit) / size).rounded(.down))
            }
        default:
            return value
        }
        o["params"] = .object(p)
        return .object(o)
    }

    func run(_ input: UnsafeRawBufferPointer) {
        let target = NVMfTarget(logger: logger)
        let methods = RPCMethods(target: target, state: AppliedConfiguration(), logger: logger)
        methods.messageTimeoutMilliseconds = 1000
        var splitter = JSONStreamSplitter(maxValueBytes: 1 << 16)
        let values: [[UInt8]]
        do { values = try splitter.append(Array(input)) } catch { values = [] }
        for raw in values.prefix(32) {
            var bytes = raw
            var id: JSONValue? = nil
            if let parsed = try? JSONValue.parse(raw) {
                bytes = constrained(parsed).encoded
                if case .object(let o) = parsed, let i = o["id"] {
                    switch i {
                    case .string, .number, .null: id = i
                    default: break
                    }
                }
            }
            let response = methods.handle(bytes)
            if let id {
                guard case .object(let r)? = response else { fatalError("no response to a request with id \(id)") }
                if r["jsonrpc"] != .string("2.0") { fatalError("response without jsonrpc 2.0: \(r)") }
                if case .object(let e)? = r["error"] {
                    guard case .number(let code)? = e["code"], Self.errorCodes.contains(Int(code)),
                        case .string? = e["message"]
                    else { fatalError("malformed error \(e)") }
                } else if r["result"] == nil {
                    fatalError("response with neither result nor error: \(r)")
                }
            }
        }
        // What save_config writes, the startup config must read.
        let saved = methods.savedConfiguration().encoded
        do {
            let file = try ConfigFile(json: saved)
            let again = NVMfTarget(logger: logger)
            var safe = file
            for i in safe.entries.indices {
                if case .bdevAioCreate(let n, _, let bs, let ro, let u) = safe.entries[i].call {
                    safe.entries[i].call = .bdevAioCreate(
                        name: n, filename: aioFile, blockSize: bs, readOnly: ro, uuid: u)
                }
            }
            do { _ = try safe.apply(to: again, logger: logger) } catch {
                fatalError("save_config output does not apply: \(error)\n\(String(decoding: saved, as: UTF8.self))")
            }
            cleanUp(again)
        } catch {
            fatalError("save_config output does not parse: \(error)\n\(String(decoding: saved, as: UTF8.self))")
        }
        cleanUp(target)
    }

    func cleanUp(_ target: NVMfTarget) {
        for nqn in target.subsystemNQNs { try? target.removeSubsystem(nqn: nqn) }
        for name in target.deviceNames {
            do { try target.deleteDevice(named: name) } catch { fatalError("bdev \(name) still claimed: \(error)") }
        }
        if !target.subsystemNQNs.isEmpty || !target.deviceNames.isEmpty { fatalError("cleanup left objects behind") }
    }
}
