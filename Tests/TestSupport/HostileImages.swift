import Foundation
import Testing
import XenMigration

#if canImport(Glibc)
    import Glibc
#endif

// Hostile inputs built field by field: legacy images and v2/v3 streams whose
// declared sizes and counts are absurd. The library tests run them in
// process; the tool tests run them through the built tools, measured.

/// Little-endian bytes, with runs of zeros that a file can hold as holes.
package struct Image: Sendable {
    package enum Part: Sendable {
        case bytes([UInt8])
        case zeros(Int)
    }

    package var parts: [Part] = []
    package var count: Int {
        parts.reduce(0) { total, part in
            switch part {
            case .bytes(let b): total + b.count
            case .zeros(let n): total + n
            }
        }
    }

    package mutating func raw(_ b: [UInt8]) {
        if case .bytes(let last)? = parts.last {
            parts[parts.count - 1] = .bytes(last + b)
        } else {
            parts.append(.bytes(b))
        }
    }

    package mutating func text(_ s: String) { raw(Array(s.utf8)) }
    package mutating func u32(_ v: UInt32) { raw(withUnsafeBytes(of: v.littleEndian, Array.init)) }
    package mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    package mutating func u64(_ v: UInt64) { raw(withUnsafeBytes(of: v.littleEndian, Array.init)) }
    package mutating func ulong(_ v: UInt64, _ width: ToolstackWidth) {
        width == .bits32 ? u32(UInt32(truncatingIfNeeded: v)) : u64(v)
    }
    /// Small runs are written out; large ones stay holes in a file.
    package mutating func zeros(_ n: Int) { n < 65536 ? raw([UInt8](repeating: 0, count: n)) : parts.append(.zeros(n)) }

    /// All bytes in memory (for images without large holes).
    package var bytes: [UInt8] {
        parts.flatMap { part -> [UInt8] in
            switch part {
            case .bytes(let b): b
            case .zeros(let n): [UInt8](repeating: 0, count: n)
            }
        }
    }

    /// Writes a sparse file: large zero runs cost no disk and read fast.
    package func write(to path: String) throws {
        let fd = try openFile(path, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        for part in parts {
            switch part {
            case .bytes(let b):
                let n = b.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                guard n == b.count else { throw POSIXError(.EIO) }
            case .zeros(let n):
                lseek(fd, off_t(n), SEEK_CUR)
            }
        }
        ftruncate(fd, off_t(count))
    }
}

/// Legacy images built field by field, each valid unless a parameter says
/// otherwise. Declared sizes and actual bytes are separate on purpose.
package enum Build {
    package static let xlMagic = "Xen saved domain, xl format\n \u{0} \r"

    package static func xlHeader(_ image: inout Image, optionalLength: UInt32, optionalBytes: Int) {
        image.text(xlMagic)
        image.u32(0x0102_0304)
        image.u32(0)
        image.u32(0)
        image.u32(optionalLength)
        image.zeros(optionalBytes)
    }

    /// An HVM image: p2m size, body chunks, end, magic pfns, context, and a
    /// DeviceModelRecord0002 record (or what `deviceModel` writes).
    package static func hvm(
        width: ToolstackWidth = .bits64, xl: (UInt32, Int)? = nil, p2m: UInt64 = 0x100,
        body: (inout Image) -> Void = { _ in },
        contextLength: UInt32 = 16, contextBytes: Int? = nil,
        deviceModel: ((inout Image) -> Void)? = nil
    ) -> Image {
        var image = Image()
        if let (length, bytes) = xl { xlHeader(&image, optionalLength: length, optionalBytes: bytes) }
        image.ulong(p2m, width)
        body(&image)
        image.i32(0)
        image.u64(0xfeff0)
        image.u64(0xfeff1)
        image.u64(0xfeff2)
        image.u32(contextLength)
        image.zeros(contextBytes ?? Int(contextLength))
        if let deviceModel {
            deviceModel(&image)
        } else {
            deviceModel0002(&image, length: 8, bytes: 8)
        }
        return image
    }

    package static func deviceModel0002(_ image: inout Image, length: UInt32, bytes: Int) {
        image.text("DeviceModelRecord0002")
        image.u32(length)
        image.zeros(bytes)
    }

    /// A PV image for a 64-bit guest with one online vcpu.
    package static func pv(
        width: ToolstackWidth = .bits64, p2m: UInt64 = 1, p2mFrames: Int? = nil,
        extTotal: UInt32? = nil, blocks: [(id: String, size: UInt32, bytes: Int)]? = nil,
        body: (inout Image) -> Void = { _ in },
        unmapped: UInt32 = 0, tail: ((inout Image) -> Void)? = nil
    ) -> Image {
        var image = Image()
        image.ulong(p2m, width)
        image.ulong(.max, width)
        let blocks = blocks ?? [("vcpu", 0x1430, 0x1430)]
        image.u32(extTotal ?? blocks.reduce(0) { $0 + 8 + UInt32(truncatingIfNeeded: $1.bytes) })
        for block in blocks {
            image.text(block.id)
            image.u32(block.size)
            if block.id == "xcnt" && block.bytes >= 4 {
                image.u32(0x340)  // xsave_len
                image.zeros(block.bytes - 4)
            } else {
                image.zeros(block.bytes)
            }
        }
        let frames = p2mFrames ?? Int((p2m &- 1) / 512 + 1)
        for _ in 0..<min(frames, 4096) { image.ulong(0x1000, width) }
        if frames > 4096 { image.zeros((frames - 4096) * width.ulongSize) }
        // vcpu_info: vcpu 0 online.
        image.i32(-2)
        image.i32(0)
        image.u64(1)
        body(&image)
        image.i32(0)
        image.u32(unmapped)
        if let tail {
            tail(&image)
        } else {
            image.zeros(0x1430)  // vcpu 0 basic context
            image.zeros(4096)  // shared info
        }
        return image
    }
}

/// One hostile input and what must come of it.
package struct HostileCase: CustomTestStringConvertible, Sendable {
    package var name: String
    package var arguments: [String]
    /// Expected exit status of the tool (1 for every error but unsupported).
    package var status: Int32
    /// Expected error kind in process (nil: converts/verifies).
    package var kind: StreamError.Kind?
    package var message: String = ""
    package var testDescription: String { name }

    /// What the error message must say: a truncated input ends where the
    /// image ends.
    package func message(inputLength: Int) -> String {
        kind == .truncated ? "Stream truncated at input offset \(inputLength): " : message
    }
}

package let hostileImages: [String: Image] = {
    var images: [String: Image] = [:]
    let big: UInt32 = 0xffff_ffff
    func toolstack(_ size: UInt32) -> (inout Image) -> Void {
        { image in
            image.i32(-18)
            image.u32(size)
            image.zeros(64)
        }
    }
    images["toolstack 2^32-1, libxc"] = Build.hvm(body: toolstack(big))
    images["toolstack 2^32-1, libxl"] = Build.hvm(body: toolstack(big))
    images["toolstack 1 MiB + 1, libxl"] = Build.hvm(body: toolstack((1 << 20) + 1))
    images["HVM context 2^32-1"] = Build.hvm(contextLength: big, contextBytes: 100)
    images["device model 2^32-1, libxc"] = Build.hvm(deviceModel: {
        Build.deviceModel0002(&$0, length: big, bytes: 100)
    })
    images["device model 2^32-1, libxl"] = Build.hvm(deviceModel: {
        Build.deviceModel0002(&$0, length: big, bytes: 100)
    })
    images["device model 2^32-9, libxl"] = Build.hvm(deviceModel: {
        Build.deviceModel0002(&$0, length: big - 8, bytes: 100)
    })
    images["compressed data 2^32-1"] = Build.hvm(body: {
        $0.i32(-12)
        $0.u32(big)
        $0.zeros(64)
    })
    images["xl optional data 2^32-1"] = Build.hvm(xl: (big, 100))
    images["extended-info total 2^32-1"] = Build.pv(extTotal: big, tail: { _ in })
    images["extended-info block 2^32-1"] = Build.pv(blocks: [("vcpu", big, 0x1430)], tail: { _ in })
    images["xcnt block 2^32-1"] = Build.pv(blocks: [("vcpu", 0x1430, 0x1430), ("xcnt", big, 64)], tail: { _ in })
    images["p2m size 2^64-1, PV"] = Build.pv(p2m: .max, p2mFrames: 1)
    images["p2m size 2^64-1, HVM"] = Build.hvm(p2m: .max)
    images["p2m size 2^32+1, PV"] = Build.pv(p2m: (1 << 32) + 1, p2mFrames: 1)
    images["p2m size 2^32, PV, frames missing"] = Build.pv(p2m: 1 << 32, p2mFrames: 100)
    images["p2m size 2^32-1, 32-bit PV, frames missing"] = Build.pv(width: .bits32, p2m: 0xffff_ffff, p2mFrames: 100)
    images["unmapped pfn count 2^32-1"] = Build.pv(unmapped: big, tail: { $0.zeros(100) })
    images["xsave size 2^64-1"] = Build.pv(
        blocks: [("vcpu", 0x1430, 0x1430), ("xcnt", 4, 4)],
        tail: {
            $0.zeros(0x1430)
            $0.u64(7)
            $0.u64(.max)
            $0.zeros(100)
        })
    for (label, id) in [("-1", Int32(-1)), ("-2^31", .min), ("4096", 4096), ("2^31-1", .max)] {
        images["vcpu max_id \(label)"] = Build.hvm(body: {
            $0.i32(-2)
            $0.i32(id)
            $0.zeros(64)
        })
    }
    for (label, marker) in [("1025", Int32(1025)), ("2^31-1", .max), ("-2^31", .min), ("-21", -21)] {
        images["batch marker \(label)"] = Build.hvm(body: {
            $0.i32(marker)
            $0.zeros(64)
        })
    }
    // One HVM-param chunk more than the 2^18 collected in memory.
    images["HVM params past the limit"] = Build.hvm(body: { image in
        var chunk = Image()  // hvm_viridian: pad, value
        chunk.i32(-11)
        chunk.u32(0)
        chunk.u64(7)
        image.raw(Array([[UInt8]](repeating: chunk.bytes, count: (1 << 18) + 1).joined()))
    })
    // 20 vcpu_info chunks listing 4096 vcpus each: past the 65536 limit.
    images["vcpu_info repeated"] = Build.hvm(body: { image in
        for _ in 0..<20 {
            image.i32(-2)
            image.i32(4095)
            for _ in 0..<64 { image.u64(.max) }
        }
    })
    return images
}()

package let hostileCases: [HostileCase] = [
    HostileCase(name: "toolstack 2^32-1, libxc", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .truncated),
    HostileCase(
        name: "toolstack 2^32-1, libxl", arguments: ["-w", "64", "-g", "hvm", "-f", "libxl"], status: 1,
        kind: .malformed, message: "exceeds the 1048576-byte limit"),
    HostileCase(
        name: "toolstack 1 MiB + 1, libxl", arguments: ["-w", "64", "-g", "hvm", "-f", "libxl"], status: 1,
        kind: .malformed, message: "exceeds the 1048576-byte limit"),
    HostileCase(name: "HVM context 2^32-1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .truncated),
    HostileCase(name: "device model 2^32-1, libxc", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .truncated),
    HostileCase(
        name: "device model 2^32-1, libxl", arguments: ["-w", "64", "-g", "hvm", "-f", "libxl"], status: 1,
        kind: .malformed, message: "does not fit in one record"),
    HostileCase(
        name: "device model 2^32-9, libxl", arguments: ["-w", "64", "-g", "hvm", "-f", "libxl"], status: 1,
        kind: .truncated),
    HostileCase(name: "compressed data 2^32-1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .truncated),
    HostileCase(
        name: "xl optional data 2^32-1", arguments: ["-w", "64", "-g", "hvm", "-x"], status: 1, kind: .truncated),
    HostileCase(
        name: "extended-info total 2^32-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .malformed,
        message: "Unrecognised extended block"),
    HostileCase(name: "extended-info block 2^32-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .truncated),
    HostileCase(name: "xcnt block 2^32-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .truncated),
    HostileCase(
        name: "p2m size 2^64-1, PV", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .malformed,
        message: "out of range"),
    HostileCase(name: "p2m size 2^64-1, HVM", arguments: ["-w", "64", "-g", "hvm"], status: 0, kind: nil),
    HostileCase(
        name: "p2m size 2^32+1, PV", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .malformed,
        message: "out of range"),
    HostileCase(
        name: "p2m size 2^32, PV, frames missing", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .truncated),
    HostileCase(
        name: "p2m size 2^32-1, 32-bit PV, frames missing", arguments: ["-w", "32", "-g", "pv"], status: 1,
        kind: .truncated),
    HostileCase(name: "unmapped pfn count 2^32-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .truncated),
    HostileCase(
        name: "xsave size 2^64-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .malformed,
        message: "does not match xcnt length"),
    HostileCase(
        name: "vcpu max_id -1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "Vcpu max_id out of range"),
    HostileCase(
        name: "vcpu max_id -2^31", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "Vcpu max_id out of range"),
    HostileCase(
        name: "vcpu max_id 4096", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "Vcpu max_id out of range"),
    HostileCase(
        name: "vcpu max_id 2^31-1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "Vcpu max_id out of range"),
    HostileCase(
        name: "batch marker 1025", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "exceeded MAX_BATCH"),
    HostileCase(
        name: "batch marker 2^31-1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "exceeded MAX_BATCH"),
    HostileCase(
        name: "batch marker -2^31", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "Unrecognised chunk"),
    HostileCase(
        name: "batch marker -21", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "Unrecognised chunk"),
    HostileCase(
        name: "vcpu_info repeated", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "online vcpus"),
    HostileCase(
        name: "HVM params past the limit", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
        message: "More than 262144 HVM params"),
]

/// v2/v3 streams with absurd record lengths and counts.
package let hostileStreams: [(name: String, format: VerifyFormat, bytes: [UInt8])] = {
    func libxcHeader(_ image: inout Image, version: UInt32 = 2) {
        image.raw([
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x58, 0x45, 0x4e, 0x46, 0, 0, 0, UInt8(version),
            0, 0, 0, 0, 0, 0, 0, 0,
        ])
        image.u32(2)  // x86 HVM
        image.raw([12, 0, 0, 0])
        image.u32(0)
        image.u32(1)
    }
    var streams: [(String, VerifyFormat, [UInt8])] = []
    for type in UInt32(0)...0x13 {
        for length: UInt32 in [.max, 0x7fff_ffff, 8] {
            var image = Image()
            libxcHeader(&image, version: 3)
            if type != 0x10 {
                image.u32(0x10)  // STATIC_DATA_END first, so v3 rules pass
                image.u32(0)
            }
            image.u32(type)
            image.u32(length)
            image.u32(0xffff_ffff)  // a count or vcpu id
            image.u32(0)
            // Not zeros: those would read as an END record after a short body.
            image.raw([UInt8](repeating: 0xab, count: 32))
            streams.append(
                (
                    "libxc record 0x\(String(type, radix: 16)) length 0x\(String(length, radix: 16))", .libxc,
                    image.bytes
                ))
        }
    }
    for length: UInt32 in [.max, (16 << 20) + 1, 16 << 20] {
        var image = Image()
        image.raw(Array("LibxlFmt".utf8) + [0, 0, 0, 2, 0, 0, 0, 0])
        image.u32(2)  // EMULATOR_XENSTORE_DATA
        image.u32(length)
        image.zeros(64)
        streams.append(("libxl xenstore data length \(length)", .libxl, image.bytes))
    }
    var xl = Image()
    Build.xlHeader(&xl, optionalLength: .max, optionalBytes: 64)
    streams.append(("xl optional data 2^32-1", .xl, xl.bytes))
    return streams
}()
