// swift-tools-version: 6.0
import PackageDescription

// Linux only. The tools move data with Linux system calls (splice, sendfile,
// pipe sizes) and the tests call Glibc directly; no other platform is built
// or tested, so none is declared.
let package = Package(
    name: "xen-legacy-stream",
    products: [
        .library(name: "XenMigration", targets: ["XenMigration"]),
        .library(name: "XendConfig", targets: ["XendConfig"]),
        // One program for both tools: verify-stream-v2 is a link to it (see MultiCall.swift).
        .executable(name: "convert-legacy-stream", targets: ["convert-legacy-stream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // `swift package generate-documentation` for the XenMigration DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // splice(2) and F_SETPIPE_SZ, which need _GNU_SOURCE; argv as the
        // kernel passed it; the tools' seccomp sandbox.
        .target(name: "CXenPlatform"),
        // The package's one libc layer: every system call the library and
        // the tools make beyond swift-system's, with one EINTR and EAGAIN policy.
        .target(
            name: "XenHost",
            dependencies: ["CXenPlatform", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // xend's domain configuration (S-expressions) and its xl.cfg
        // translation: no streams, no I/O. The converter uses it; it uses
        // nothing of the converter.
        .target(name: "XendConfig"),
        // The library, one target per layer (CONTRIBUTING's layer table).
        // Each depends only on the layers below it; the build checks that
        // no file imports a module its target does not declare.
        // Formats: constants, record types, the integer codec, the sniffers
        // of first bytes, `StreamError`. No I/O.
        .target(
            name: "XenMigrationFormat",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")]
        ),
        // Bytes in and out, and each layer's readers and writers.
        .target(
            name: "XenMigrationIO",
            dependencies: [
                "XenMigrationFormat", "XenHost", "XendConfig",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(name: "XenMigrationConvert", dependencies: ["XenMigrationFormat", "XenMigrationIO", "XendConfig"]),
        .target(name: "XenMigrationVerify", dependencies: ["XenMigrationFormat", "XenMigrationIO"]),
        // What an input really is, for a failed conversion or verification.
        .target(name: "XenMigrationDiagnosis", dependencies: ["XenMigrationFormat", "XenMigrationConvert"]),
        // The umbrella: re-exports the layers, so `import XenMigration` keeps working.
        .target(
            name: "XenMigration",
            dependencies: [
                "XenMigrationFormat", "XenMigrationIO", "XenMigrationConvert", "XenMigrationVerify",
                "XenMigrationDiagnosis",
            ]
        ),
        .target(
            name: "XenMigrationCLI",
            // No ArgumentParser and no Foundation: the installed program
            // stays small (the README's install section says how small).
            dependencies: [
                "XenMigration", "XenHost", "CXenPlatform",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Builds legacy images for tests, fuzz seeds and benchmarks.
        .target(name: "XenLegacyGenerator", dependencies: ["XenMigration"]),
        .executableTarget(
            name: "generate-legacy-stream",
            dependencies: [
                "XenLegacyGenerator", "XenMigration", "XenHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(name: "convert-legacy-stream", dependencies: ["XenMigrationCLI"]),
        // How a fuzz input's first byte selects options: used by the libFuzzer
        // targets in fuzz/ (built by fuzz/run.sh) and by the tests that replay
        // their seeds and findings.
        .target(name: "FuzzSupport", dependencies: ["XenMigration"]),

        // Tests, by kind. Fixtures live in Tests/Fixtures and are found from
        // the source path (TestSupport's Paths), not bundled as resources.
        .target(
            name: "TestSupport",
            dependencies: ["XenMigration", "XendConfig", "XenMigrationCLI", "XenLegacyGenerator"],
            path: "Tests/TestSupport"
        ),
        // The library in process: no built tool is run.
        .testTarget(
            name: "XenMigrationTests",
            dependencies: [
                "XenMigration", "XendConfig", "XenLegacyGenerator", "FuzzSupport", "TestSupport", "XenMigrationCLI",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // xend's configuration and its xl.cfg translation, on their own (the
        // fixtures and the xl.cfg grammar come from TestSupport, the records
        // are built with the generator's Python values).
        .testTarget(name: "XendConfigTests", dependencies: ["XendConfig", "XenLegacyGenerator", "TestSupport"]),
        // The built tools, spawned as users and libxl run them.
        .testTarget(
            name: "ToolTests",
            dependencies: ["XenMigration", "XendConfig", "XenMigrationCLI", "XenLegacyGenerator", "TestSupport"]
        ),
        // `make install` and what it installs: man pages, completions.
        .testTarget(name: "InstallTests", dependencies: ["TestSupport", "XenMigrationCLI"]),
    ]
)
