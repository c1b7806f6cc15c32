import Foundation

/// The xend domain records in `Tests/Fixtures/xend`, written the way xend
/// wrote them (`xm list -l` layout, or the `(vm ...)` record `xm create`
/// sent). `e2e/collect-xl-configs.sh` reads the same files.
package enum XendFixtures {
    package static let directory = Paths.packageRoot.appendingPathComponent("Tests/Fixtures/xend")

    /// The records' names (file names without `.sxp`), sorted.
    package static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".sxp") }.map { String($0.dropLast(4)) }.sorted()
    }()

    package static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name + ".sxp")))
    }
}

/// When `XEND_XL_CONFIG_DUMP` names a directory, every xl.cfg that the
/// translation tests make is also written there, named by a hash of its
/// text, for `e2e/collect-xl-configs.sh` to hand to `xl -N create`.
package enum XLConfigDump {
    package static func record(_ text: [UInt8]) {
        guard let dir = ProcessInfo.processInfo.environment["XEND_XL_CONFIG_DUMP"], !dir.isEmpty else { return }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for b in text { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let name = "test-" + String(hash, radix: 16) + ".cfg"
        try? Data(text).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name))
    }
}
