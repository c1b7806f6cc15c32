/// The fixed headers of each layer as values: each read and written side
/// by side, so that the verifiers validate decoded fields and the
/// converter writes the same layout.
extension Libxc {
    /// Image header: marker, "XENF", version, options (all big-endian).
    public struct ImageHeader: Sendable, Equatable {
        public var marker: UInt64 = Libxc.imageMarker
        public var id: UInt32 = Libxc.imageID
        public var version: UInt32
        public var options: UInt16 = 0
        public var reserved1: UInt16 = 0
        public var reserved2: UInt32 = 0

        /// A little-endian image header of `version`.
        public init(version: StreamVersion) { self.version = version.rawValue }

        public static func read(from reader: StreamReader) throws(StreamError) -> ImageHeader {
            var header = ImageHeader(version: .v2)
            header.marker = try reader.readU64BE("image header marker")
            header.id = try reader.readU32BE("image header id")
            header.version = try reader.readU32BE("image header version")
            header.options = try reader.readU16BE("image header options")
            header.reserved1 = try reader.readU16BE("image header reserved")
            header.reserved2 = try reader.readU32BE("image header reserved")
            return header
        }

        public var bytes: [UInt8] {
            var out = RecordBody(.big)
            out.u64(marker)
            out.u32(id)
            out.u32(version)
            out.u16(options)
            out.u16(reserved1)
            out.u32(reserved2)
            return out.bytes
        }
    }

    /// Domain header (little-endian).
    public struct DomainHeader: Sendable, Equatable {
        public var type: UInt32
        public var pageShift: UInt16 = Libxc.pageShift
        public var reserved: UInt16 = 0
        public var xenMajor: UInt32
        public var xenMinor: UInt32

        /// The header of a legacy-converted stream: `xen_major` 0, the
        /// converter's version as `xen_minor`.
        public static func legacyConverted(_ type: DomainType) -> DomainHeader {
            DomainHeader(type: type.rawValue, xenMajor: 0, xenMinor: Libxc.converterVersion)
        }

        public static func read(from reader: StreamReader) throws(StreamError) -> DomainHeader {
            let type = try reader.readU32("domain header type")
            let pageShift = try reader.readU16("domain header page shift")
            let reserved = try reader.readU16("domain header reserved")
            let major = try reader.readU32("domain header xen major")
            let minor = try reader.readU32("domain header xen minor")
            return DomainHeader(type: type, pageShift: pageShift, reserved: reserved, xenMajor: major, xenMinor: minor)
        }

        public var bytes: [UInt8] {
            var out = RecordBody()
            out.u32(type)
            out.u16(pageShift)
            out.u16(reserved)
            out.u32(xenMajor)
            out.u32(xenMinor)
            return out.bytes
        }
    }
}

extension Libxl {
    /// Stream header: ident, version, options (big-endian).
    public struct Header: Sendable, Equatable {
        public var ident: UInt64 = Libxl.ident
        public var version: UInt32 = Libxl.version
        public var options: UInt32

        /// The header of a legacy-converted stream.
        public static let legacyConverted = Header(options: Libxl.optionLegacy)

        public static func read(from reader: StreamReader) throws(StreamError) -> Header {
            let ident = try reader.readU64BE("libxl header ident")
            let version = try reader.readU32BE("libxl header version")
            let options = try reader.readU32BE("libxl header options")
            return Header(ident: ident, version: version, options: options)
        }

        public var bytes: [UInt8] {
            var out = RecordBody(.big)
            out.u64(ident)
            out.u32(version)
            out.u32(options)
            return out.bytes
        }
    }
}

extension XL.Header {
    public static func read(from reader: StreamReader) throws(StreamError) -> XL.Header {
        let start = reader.offset
        let magic = try reader.readBytes(XL.magic.count, "xl header magic")
        guard magic == XL.magic else {
            throw StreamError(.malformed, "No xl header", offset: start)
        }
        return XL.Header(
            byteOrder: try reader.readU32("xl header byte-order mark"),
            mandatoryFlags: try reader.readU32("xl header mandatory flags"),
            optionalFlags: try reader.readU32("xl header optional flags"),
            optionalDataLength: try reader.readU32("xl header optional data length"))
    }

    /// The magic and the fixed part (the optional data follows).
    public var bytes: [UInt8] {
        var out = RecordBody()
        out.append(XL.magic)
        out.u32(byteOrder)
        out.u32(mandatoryFlags)
        out.u32(optionalFlags)
        out.u32(optionalDataLength)
        return out.bytes
    }
}
