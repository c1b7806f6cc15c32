import Foundation
import TestSupport

/// A conversion vector by name.
func vector(_ name: String) -> Vector { Vector(kind: "convert", name: name) }

func readFile(_ path: String) -> [UInt8]? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { [UInt8]($0) }
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
