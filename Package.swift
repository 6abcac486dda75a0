// swift-tools-version: 6.0
import PackageDescription

// Release builds target x86-64-v3 (AVX2 + FMA): without a CPU target Swift emits SSE2 only and
// SIMD fused multiply-adds become calls to C `fmaf`.
let optimised: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v3"], .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "EmbedTune",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "embedtune", targets: ["embedtune"]),
        .library(name: "EmbedTune", targets: ["Tensor", "Tokenizer", "Kernels", "Encoder", "Training", "Retrieval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CUtf8proc", path: "Sources/CUtf8proc"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .target(name: "CSIMD"),
        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: optimised),
        .target(name: "Tokenizer", dependencies: ["CUtf8proc"], swiftSettings: optimised),
        .target(name: "Kernels", dependencies: ["Tensor", "CSIMD"], swiftSettings: optimised),
        .target(name: "Encoder", dependencies: ["Kernels", "Tokenizer"], swiftSettings: optimised),
        .target(name: "Training", dependencies: ["Encoder"], swiftSettings: optimised),
        .target(
            name: "Retrieval",
            dependencies: ["Encoder", "CSIMD", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: optimised),
        .target(
            name: "Service",
            dependencies: ["Retrieval", "Encoder", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: optimised),
        .executableTarget(
            name: "embedtune",
            dependencies: [
                "Encoder", "Tokenizer", "Training", "Retrieval", "Service",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimised),
        .executableTarget(name: "embedtune-bench-search", dependencies: ["Retrieval"], path: "Sources/BenchSearch", swiftSettings: optimised),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"], exclude: ["Fixtures"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CSIMD"], exclude: ["Fixtures"]),
        .testTarget(name: "EncoderTests", dependencies: ["Encoder"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"], exclude: ["Fixtures"]),
        .testTarget(name: "RetrievalTests", dependencies: ["Retrieval", "CSIMD"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "Service", "Encoder", "Retrieval", "Tensor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(name: "CLITests"),
    ]
)
