/// Images written by xend's `xm save` (XendCheckpoint.save, Xen 4.4 and
/// older): `"LinuxGuestRecord"`, a big-endian int32 length, the domain's
/// configuration as an S-expression of that length, then the legacy
/// stream `xc_save` wrote (no xl header, no toolstack chunk) and, for an
/// HVM guest, `"QemuDeviceModelRecord"` and qemu-dm's state up to the end.
public enum Xend {
    /// The 16 bytes an xend image starts with.
    public static let magic: [UInt8] = Array("LinuxGuestRecord".utf8)
    /// The largest configuration read (xend's are a few KiB).
    public static let maxConfigLength = 1 << 20

    /// The front of an xend image.
    public struct Header: Sendable, Equatable {
        /// The configuration bytes (an S-expression).
        public var config: [UInt8]
        /// Input offset of the configuration's first byte.
        public var configOffset: UInt64
    }

    /// Reads the magic, the length and the configuration; the reader is
    /// then at the legacy stream. A wrong magic, a negative length or one
    /// over `maxConfigLength` are `.malformed`; a short input is the
    /// reader's `.truncated`.
    public static func readHeader(from reader: StreamReader) throws -> Header {
        let start = reader.offset
        let found = try reader.readBytes(magic.count, "xend image signature")
        guard found == magic else {
            throw StreamError(.malformed, "No xend image signature (\"LinuxGuestRecord\")", offset: start)
        }
        let lengthOffset = reader.offset
        let length = Int32(bitPattern: try reader.readU32BE("xend config length"))
        guard length >= 0 else {
            throw StreamError(.malformed, "xend config length \(length) is negative", offset: lengthOffset)
        }
        guard Int(length) <= maxConfigLength else {
            throw StreamError(
                .malformed, "xend config length \(length) is over the \(maxConfigLength)-byte limit",
                offset: lengthOffset)
        }
        let configOffset = reader.offset
        let config = try reader.readBytes(Int(length), "xend config")
        return Header(config: config, configOffset: configOffset)
    }

    /// Reads the header and translates the configuration: what the
    /// converter needs before the legacy stream (guest type from the
    /// image, the xl configuration for an `xl save` header).
    public static func readConfiguration(from reader: StreamReader) throws -> (domain: XendDomainConfig, xl: XLConfig) {
        let header = try readHeader(from: reader)
        let domain = try XendDomainConfig(parsing: header.config, baseOffset: header.configOffset)
        return (domain, try XLConfig(domain))
    }

    /// The `xl save` header for a converted image, ready to write in front
    /// of a libxl stream: the xl magic, byte-order mark, mandatory flags
    /// STREAMv2 (JSON clear: the config is xl.cfg text), no optional flags,
    /// and as optional data a little-endian uint32 config length then the
    /// config text (xl reads `length` bytes and parses exactly those; no
    /// NUL is needed or counted).
    public static func xlSaveHeader(config: [UInt8]) throws -> [UInt8] {
        guard config.count <= Int(Int32.max) - 4 else {
            throw StreamError(.malformed, "xl config of \(config.count) bytes is too large for an xl header")
        }
        func le32(_ v: UInt32) -> [UInt8] {
            [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
        }
        let length = UInt32(config.count)
        var out = XL.magic
        out += le32(XL.byteOrderMark)
        out += le32(XL.mandatoryFlagStreamV2)
        out += le32(0)
        out += le32(4 + length)
        out += le32(length)
        out += config
        return out
    }
}
