import Backends
import Glibc
import NVMe
import Target

/// A namespace's reservations persisted through power loss in SPDK's
/// `ptpl_file` format, so a file either target wrote starts the other:
///
///     {"ptpl": true, "rtype": 1, "crkey": 12345, "bdev_uuid": "…",
///      "holder_uuid": "…", "registrants": [{"rkey": 12345, "host_uuid": "…"}]}
///
/// Keys are written as exact 64-bit integers. A write goes to a temporary
/// file that is fsynced and renamed over the old one, then the directory is
/// fsynced: a crash leaves the old state or the new one, never a torn file.
/// With persistence turned off the file is truncated to empty, which loads
/// as "nothing persisted".
public final class ReservationFile: ReservationStore, @unchecked Sendable {
    public let path: String
    /// The namespace's device UUID, written as `bdev_uuid` and checked on load.
    let deviceUUID: DeviceUUID

    public init(path: String, deviceUUID: DeviceUUID) {
        self.path = path
        self.deviceUUID = deviceUUID
    }

    public func load() throws(ReservationStoreError) -> PersistedReservation? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ReservationStoreError("cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw ReservationStoreError("cannot read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes += chunk[0..<n]
            guard bytes.count <= 1 << 20 else { throw ReservationStoreError("larger than 1 MiB") }
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A }) { return nil }
        do throws(ConfigError) { return try Self.decode(JSONValue.parse(bytes), deviceUUID: deviceUUID) } catch {
            throw ReservationStoreError(error.description)
        }
    }

    static func decode(_ value: JSONValue, deviceUUID: DeviceUUID) throws(ConfigError) -> PersistedReservation? {
        var p = try Params(value, path: "ptpl_file")
        guard try p.bool("ptpl") ?? true else { return nil }
        if let uuid = try p.string("bdev_uuid"), DeviceUUID(string: uuid) != deviceUUID {
            throw ConfigError(
                path: "ptpl_file.bdev_uuid", message: "\(uuid) is not this namespace's bdev (\(deviceUUID))")
        }
        let rtype = try p.integer("rtype", in: 0...6) ?? 0
        let crkey = try key(p.fields["crkey"], "ptpl_file.crkey") ?? 0
        let holder = try p.string("holder_uuid").flatMap { $0.isEmpty ? nil : $0 }
        var entries: [PersistedReservation.Entry] = []
        if case .array(let list)? = p.fields["registrants"] {
            for (i, item) in list.enumerated() {
                var r = try Params(item, path: "ptpl_file.registrants[\(i)]")
                guard let host = try r.string("host_uuid"), let id = DeviceUUID(string: host) else {
                    throw ConfigError(path: "ptpl_file.registrants[\(i)].host_uuid", message: "required: a UUID")
                }
                guard let k = try key(r.fields["rkey"], "ptpl_file.registrants[\(i)].rkey") else {
                    throw ConfigError(path: "ptpl_file.registrants[\(i)].rkey", message: "required")
                }
                entries.append(.init(hostID: id.array, key: k))
            }
        }
        var type = ReservationType(rawValue: UInt8(rtype))
        var holderID: [UInt8]? = nil
        if let t = type {
            if let holder {
                guard let id = DeviceUUID(string: holder), entries.contains(where: { $0.hostID == id.array }) else {
                    throw ConfigError(path: "ptpl_file.holder_uuid", message: "\(holder) is not a registrant")
                }
                holderID = id.array
            } else if !t.allRegistrantsHold {
                // SPDK finds the holder by its key when no holder_uuid is written.
                holderID = entries.first { $0.key == crkey }?.hostID
                if holderID == nil { type = nil }
            }
        }
        return PersistedReservation(type: type, holderHostID: holderID, registrants: entries)
    }

    /// A key: a JSON number (exact up to 2^64) or nil when absent.
    private static func key(_ v: JSONValue?, _ path: String) throws(ConfigError) -> UInt64? {
        guard let v, v != .null else { return nil }
        guard let k = v.uint64Value else {
            throw ConfigError(path: path, message: "must be an unsigned 64-bit integer")
        }
        return k
    }

    public func save(_ state: PersistedReservation?) throws(ReservationStoreError) {
        var text: [UInt8] = []
        if let state {
            let holderKey = state.registrants.first { $0.hostID == state.holderHostID }?.key ?? 0
            let holderUUID =
                state.type?.allRegistrantsHold == false ? state.holderHostID.map { Self.uuid($0) } ?? "" : ""
            let value = JSONValue.object([
                "ptpl": .bool(true), "rtype": .number(Double(state.type?.rawValue ?? 0)),
                "crkey": .uint64(state.type == nil ? 0 : holderKey), "bdev_uuid": .string("\(deviceUUID)"),
                "holder_uuid": .string(holderUUID),
                "registrants": .array(
                    state.registrants.map {
                        .object(["rkey": .uint64($0.key), "host_uuid": .string(Self.uuid($0.hostID))])
                    }),
            ])
            text = value.encoded + [0x0A]
        }
        try writeAtomically(text)
    }

    private static func uuid(_ id: [UInt8]) -> String {
        id.count == 16 ? "\(DeviceUUID(bytes: id))" : ""
    }

    private func writeAtomically(_ bytes: [UInt8]) throws(ReservationStoreError) {
        func fail(_ what: String) -> ReservationStoreError {
            ReservationStoreError("\(what): \(String(cString: strerror(errno)))")
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fail("cannot create \(temporary)") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                close(fd)
                throw fail("cannot write \(temporary)")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw fail("cannot fsync \(temporary)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw fail("cannot rename \(temporary) to \(path)") }
        // The rename is durable only once the directory is.
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dfd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw fail("cannot open \(directory)") }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw fail("cannot fsync \(directory)") }
    }
}
