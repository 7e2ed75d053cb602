// swift-tools-version:6.0
// The NVMe-over-Fabrics RDMA target. Module map and dependency rules:
// docs/ARCHITECTURE.md. `Target` never imports `Verbs`: a transport is a plug-in.
import PackageDescription

let package = Package(
    name: "nvmf-target",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nvmf-tgt", targets: ["nvmf-tgt"]),
        .executable(name: "nvmf-rpc", targets: ["nvmf-rpc"]),
        .executable(name: "nvmf-perf", targets: ["nvmf-perf"]),
        .library(name: "NVMe", targets: ["NVMe"]),
        .library(name: "Target", targets: ["Target"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // System libraries and the few GNU-only C names Swift cannot see.
        .systemLibrary(name: "CVerbs", pkgConfig: "libibverbs"),
        .systemLibrary(name: "CAio"),
        .target(name: "CShims", cSettings: [.define("_GNU_SOURCE")]),

        // Pure wire formats: no I/O, no allocation on the parse path.
        .target(name: "NVMe"),
        // libibverbs + librdmacm in Swift; knows nothing of NVMe.
        .target(name: "Verbs", dependencies: ["CVerbs", "CShims"]),
        // BlockDevice and its devices: libaio (O_DIRECT), memory, null.
        .target(
            name: "Backends",
            dependencies: ["CAio", "CShims", .product(name: "Atomics", package: "swift-atomics")]),
        // librados/librbd bound at run time (dlopen), so the build needs no Ceph
        // headers and the binary runs where Ceph is absent (docs/CEPH.md).
        .target(name: "CRBD", cSettings: [.define("_GNU_SOURCE")], linkerSettings: [.linkedLibrary("dl")]),
        // The RBD block device (Ceph images through librbd) and its cluster connections.
        .target(
            name: "RBDBackend",
            dependencies: ["Backends", "CRBD"]),
        // The transport-agnostic NVMe-oF target core.
        .target(
            name: "Target",
            dependencies: [
                "NVMe", "Backends",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]),
        // The RDMA Transport for Target.
        .target(
            name: "RdmaTransport",
            dependencies: [
                "Target", "NVMe", "Verbs", "Backends", "CShims",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // SPDK-format JSON configuration: parse, validate, apply to a Target.
        .target(
            name: "NVMfRPC",
            dependencies: [
                "Target", "Backends", "NVMfConfig", "CShims", "RBDBackend",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "NVMfConfig",
            dependencies: [
                "Target", "Backends", "NVMe", "RBDBackend",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "nvmf-tgt",
            dependencies: [
                "Target", "RdmaTransport", "Backends", "NVMe", "NVMfConfig", "NVMfRPC", "CShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // rpc.py-compatible JSON-RPC client; the executable is a thin shell over the library.
        .target(
            name: "NVMfRPCClient",
            dependencies: ["NVMfConfig", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "nvmf-rpc", dependencies: ["NVMfRPCClient"]),

        // The NVMe-oF RDMA initiator (host side): CM connect, Fabrics Connect, the
        // controller handshake, admin commands, discovery and I/O queues. NVMe + Verbs only.
        .target(name: "NVMfHost", dependencies: ["NVMe", "Verbs", "CVerbs"]),
        // nvmf-perf's engine: options, workers, verification, reports (library, so it is tested).
        .target(
            name: "NVMfPerf",
            dependencies: [
                "NVMfHost", "NVMe", "CShims",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "nvmf-perf", dependencies: ["NVMfPerf"]),

        // Benchmark of the target core (perf/target-core/RESULTS.md); not a test.
        .executableTarget(
            name: "target-core-bench", dependencies: ["Target", "NVMe", "Backends"],
            path: "perf/target-core/Sources/target-core-bench"),
        // CPU per JSON-RPC request on the RPC thread (perf/RESULTS.md §10).
        .executableTarget(
            name: "rpc-bench",
            dependencies: [
                "Target", "Backends", "NVMfConfig", "NVMfRPC", .product(name: "Logging", package: "swift-log"),
            ],
            path: "perf/rpc/Sources/rpc-bench"),
        // 4 KiB random I/O through AioBlockDevice, compared with fio (perf/backends/run.sh).
        .executableTarget(name: "aio-bench", dependencies: ["Backends", "CShims"], path: "perf/backends/aio-bench"),
        // Verbs latency benchmark against perftest (perf/verbs/RESULTS.md).
        .executableTarget(name: "verbs-perf", dependencies: ["Verbs"], path: "perf/verbs/Sources"),

        // libFuzzer harnesses (Tests/Fuzz/README.md). scripts/fuzz.sh builds them with
        // -sanitize=fuzzer,address -D FUZZING; a plain build gives a replay/seed tool.
        .target(name: "FuzzSupport", path: "Tests/Fuzz/FuzzSupport"),
        .executableTarget(
            name: "fuzz-capsule", dependencies: ["FuzzSupport", "Target", "NVMe", "Backends",
                .product(name: "Logging", package: "swift-log")],
            path: "Tests/Fuzz/fuzz-capsule"),
        .executableTarget(
            name: "fuzz-cm-private-data", dependencies: ["FuzzSupport", "RdmaTransport", "NVMe"],
            path: "Tests/Fuzz/fuzz-cm-private-data"),
        .executableTarget(
            name: "fuzz-config", dependencies: ["FuzzSupport", "NVMfConfig", "Target", "Backends",
                .product(name: "Logging", package: "swift-log")],
            path: "Tests/Fuzz/fuzz-config"),
        .executableTarget(
            name: "fuzz-rpc", dependencies: ["FuzzSupport", "NVMfRPC", "NVMfConfig", "Target", "Backends",
                .product(name: "Logging", package: "swift-log")],
            path: "Tests/Fuzz/fuzz-rpc"),

        .testTarget(name: "NVMeTests", dependencies: ["NVMe"]),
        .testTarget(name: "VerbsTests", dependencies: ["Verbs"]),
        .testTarget(name: "BackendsTests", dependencies: ["Backends", "CShims"]),
        .testTarget(name: "TargetTests", dependencies: ["Target", "NVMe", "Backends"]),
        .testTarget(name: "NVMfConfigTests", dependencies: ["NVMfConfig", "Target", "Backends", "RBDBackend"]),
        .testTarget(name: "RBDBackendTests", dependencies: ["RBDBackend", "Backends"]),
        .testTarget(name: "NVMfRPCTests", dependencies: ["NVMfRPC", "NVMfConfig", "Target", "Backends"]),
        .testTarget(name: "NVMfRPCClientTests", dependencies: ["NVMfRPCClient", "NVMfConfig"]),
        .testTarget(name: "NVMfHostTests", dependencies: ["NVMfHost", "NVMe", "Target", "Backends"]),
        .testTarget(
            name: "NVMfPerfTests",
            dependencies: ["NVMfPerf", "NVMfHost", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .testTarget(
            name: "RdmaTransportTests",
            dependencies: ["RdmaTransport", "Target", "Verbs", "NVMe", "Backends", "NVMfHost", "NVMfPerf"]),
    ],
    swiftLanguageModes: [.v5]
)
