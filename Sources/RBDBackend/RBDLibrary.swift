import CRBD
import Glibc

/// librados and librbd are loaded at run time (`CRBD`), so this target builds
/// and runs where Ceph is not installed; only creating an RBD device needs them.
enum RBDLibrary {
    /// Loads the libraries once; throws the reason (which library, which
    /// package) when they are missing or too old.
    static func load() throws(RBDError) {
        var message = [CChar](repeating: 0, count: 512)
        guard crbd_load(&message, message.count) == 0 else {
            throw .libraryMissing(
                String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// strerror for a librados/librbd return code (negative errno).
    static func describe(_ rc: Int32) -> String {
        String(cString: strerror(-rc))
    }
}

/// Why a cluster or image could not be opened. Each message names the
/// cluster, pool or image and, where librados said, why.
public enum RBDError: Error, Equatable, CustomStringConvertible {
    case libraryMissing(String)
    case cluster(name: String, message: String)
    case image(message: String)

    public var description: String {
        switch self {
        case .libraryMissing(let m): return m
        case .cluster(let name, let m): return "Ceph cluster \"\(name)\": \(m)"
        case .image(let m): return m
        }
    }
}
