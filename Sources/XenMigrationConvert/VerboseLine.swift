import XenMigrationFormat
import XenMigrationIO

/// Verbose lines are `String`s, but one of them quotes input bytes as they
/// are: a libxl physmap name, which Xen's converter prints raw, valid UTF-8
/// or not. Such bytes travel in the line as scalars of the private-use
/// range U+10FF00...U+10FFFF, one per byte; `bytes(_:)` gives the line's
/// bytes back exactly, and is what the command-line tool writes.
public enum VerboseLine {
    static let base: UInt32 = 0x10_FF00

    /// `raw` as text in a line: its valid UTF-8 as it is, every other byte
    /// (and any scalar that falls in the range used) byte by byte.
    package static func carrying(_ raw: [UInt8]) -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        while i < raw.count {
            if let (scalar, length) = decodeScalar(raw, at: i), scalar.value < base {
                out.append(scalar)
                i += length
            } else {
                // base + 0xff is U+10FFFF, the last scalar: never nil.
                out.append(Unicode.Scalar(base + UInt32(raw[i])) ?? "?")
                i += 1
            }
        }
        return String(out)
    }

    /// The bytes of `line`: UTF-8, except that a scalar U+10FFxx is the byte xx.
    public static func bytes(_ line: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(line.utf8.count)
        for scalar in line.unicodeScalars {
            if scalar.value >= base {
                out.append(UInt8(truncatingIfNeeded: scalar.value - base))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// The scalar that starts at `raw[i]` and its length, when it is valid UTF-8.
    private static func decodeScalar(_ raw: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        var decoder = UTF8()
        var iterator = raw[i...].makeIterator()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return nil }
        return (scalar, UTF8.width(scalar))
    }
}
