// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "xen-legacy-stream",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "XenMigration", targets: ["XenMigration"]),
        .executable(name: "convert-legacy-stream", targets: ["convert-legacy-stream"]),
        .executable(name: "verify-stream-v2", targets: ["verify-stream-v2"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // `swift package generate-documentation` for the XenMigration DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // splice(2) and F_SETPIPE_SZ, which need _GNU_SOURCE.
        .target(name: "CXenPlatform"),
        .target(
            name: "XenMigration",
            dependencies: ["CXenPlatform", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(
            name: "XenMigrationCLI",
            dependencies: [
                "XenMigration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Builds legacy images for tests, fuzz seeds and benchmarks.
        .target(name: "XenLegacyGenerator", dependencies: ["XenMigration"]),
        .executableTarget(
            name: "generate-legacy-stream",
            dependencies: [
                "XenLegacyGenerator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(name: "convert-legacy-stream", dependencies: ["XenMigrationCLI"]),
        .executableTarget(name: "verify-stream-v2", dependencies: ["XenMigrationCLI"]),
        .testTarget(
            name: "XenMigrationTests",
            dependencies: ["XenMigration", "XenMigrationCLI", "XenLegacyGenerator"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
