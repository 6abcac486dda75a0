// swift-tools-version: 6.0
import PackageDescription

// No unsafe flags: a dependent can use the library at a version. Code that needs AVX2, AVX-512 or
// VNNI lives in CSIMD, compiled per function with target attributes and chosen at run time
// (embedtune_cpu_features; EMBEDTUNE_CPU forces a path); the Swift targets build for the baseline.
let package = Package(
    name: "EmbedTune",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "embedtune", targets: ["embedtune"]),
        .library(
            name: "EmbedTune",
            targets: ["Tensor", "Tokenizer", "Kernels", "Encoder", "Datasets", "Store", "Collectives", "Training", "Reports", "Retrieval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.27.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(
            name: "CUtf8proc", path: "Sources/CUtf8proc",  // its .pc file sets a -D SwiftPM refuses
            providers: [.apt(["libutf8proc-dev"]), .brew(["utf8proc"])]),
        .target(name: "CSIMD"),
        // Open MPI through dlopen at run time: no link-time dependency, so MPI stays optional.
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Collectives", dependencies: ["CMPI"]),
        .target(name: "Tensor", dependencies: ["CBLAS", "CSIMD"]),
        .target(name: "Tokenizer", dependencies: ["CUtf8proc"]),
        .target(name: "Kernels", dependencies: ["Tensor", "CSIMD"]),
        .target(name: "Encoder", dependencies: ["Tensor", "Kernels", "Tokenizer"]),
        .target(name: "Datasets"),
        .target(
            name: "Store",
            dependencies: [
                "Tensor", "CSIMD", .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API for the FTS5 auxiliary functions of sharded lexical search (ShardBM25).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),
        .target(name: "Training", dependencies: ["Tensor", "Tokenizer", "Kernels", "Encoder", "Datasets", "CSIMD", "Collectives"]),
        .target(name: "Reports", dependencies: ["Datasets"]),
        .target(name: "Retrieval", dependencies: ["Tensor", "Encoder", "Datasets", "Store"]),
        .target(
            name: "Service",
            dependencies: [
                "Retrieval", "Encoder", "Store",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]),
        .executableTarget(
            name: "embedtune",
            dependencies: [
                "Tensor", "Kernels", "Encoder", "Tokenizer", "Datasets", "Store", "Training", "Reports", "Retrieval", "Service",
                "Collectives", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "embedtune-bench-search", dependencies: ["Tensor", "Store"], path: "Sources/BenchSearch"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"], exclude: ["Fixtures"]),
        .testTarget(name: "KernelsTests", dependencies: ["Tensor", "Kernels", "CSIMD"], exclude: ["Fixtures"]),
        .testTarget(name: "EncoderTests", dependencies: ["Tensor", "Tokenizer", "Kernels", "Encoder"], exclude: ["Fixtures"]),
        .testTarget(
            name: "TrainingTests", dependencies: ["Tensor", "Kernels", "Encoder", "Datasets", "Training", "Reports"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "RetrievalTests", dependencies: ["Tensor", "Encoder", "Datasets", "Store", "Retrieval", "CSIMD"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "Service", "Encoder", "Store", "Retrieval", "Tensor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(name: "CLITests"),
    ]
)
