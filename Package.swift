// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "xen-legacy-stream",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "XenMigration", targets: ["XenMigration"]),
        // One program for both tools: verify-stream-v2 is a link to it (see MultiCall.swift).
        .executable(name: "convert-legacy-stream", targets: ["convert-legacy-stream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        .target(
            name: "XenMigration",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(
            name: "XenMigrationCLI",
            // No ArgumentParser and no Foundation: the installed program
            // stays small (the README's install section says how small).
            dependencies: [
                "XenMigration",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Builds legacy images for tests, fuzz seeds and benchmarks.
        .target(name: "XenLegacyGenerator", dependencies: ["XenMigration"]),
        .executableTarget(
            name: "generate-legacy-stream",
            dependencies: ["XenLegacyGenerator", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "convert-legacy-stream", dependencies: ["XenMigrationCLI"]),
        .testTarget(
            name: "XenMigrationTests",
            dependencies: ["XenMigration", "XenMigrationCLI", "XenLegacyGenerator"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
