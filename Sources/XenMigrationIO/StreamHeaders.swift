import XenMigrationFormat

/// The fixed headers of each layer as values: each read and written side
/// by side, so that the verifiers validate decoded fields and the
/// converter writes the same layout.
extension Libxc {
    /// Image header: marker, "XENF", version, options (all big-endian).
    package struct ImageHeader: Sendable, Equatable {
        package var marker: UInt64 = Libxc.imageMarker
        package var id: UInt32 = Libxc.imageID
        package var version: UInt32
        package var options: UInt16 = 0
        package var reserved1: UInt16 = 0
        package var reserved2: UInt32 = 0

        /// A little-endian image header of `version`.
        package init(version: StreamVersion) { self.version = version.rawValue }

        package static func read(from reader: StreamReader) throws(StreamError) -> ImageHeader {
            var header = ImageHeader(version: .v2)
            header.marker = try reader.readU64BE("image header marker")
            header.id = try reader.readU32BE("image header id")
            header.version = try reader.readU32BE("image header version")
            header.options = try reader.readU16BE("image header options")
            header.reserved1 = try reader.readU16BE("image header reserved")
            header.reserved2 = try reader.readU32BE("image header reserved")
            return header
        }

        package var bytes: [UInt8] {
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
    package struct DomainHeader: Sendable, Equatable {
        package var type: UInt32
        package var pageShift: UInt16 = Libxc.pageShift
        package var reserved: UInt16 = 0
        package var xenMajor: UInt32
        package var xenMinor: UInt32

        /// The header of a legacy-converted stream: `xen_major` 0, the
        /// converter's version as `xen_minor`.
        package static func legacyConverted(_ type: DomainType) -> DomainHeader {
            DomainHeader(type: type.rawValue, xenMajor: 0, xenMinor: Libxc.converterVersion)
        }

        package static func read(from reader: StreamReader) throws(StreamError) -> DomainHeader {
            let type = try reader.readU32("domain header type")
            let pageShift = try reader.readU16("domain header page shift")
            let reserved = try reader.readU16("domain header reserved")
            let major = try reader.readU32("domain header xen major")
            let minor = try reader.readU32("domain header xen minor")
            return DomainHeader(type: type, pageShift: pageShift, reserved: reserved, xenMajor: major, xenMinor: minor)
        }

        package var bytes: [UInt8] {
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
    package struct Header: Sendable, Equatable {
        package var ident: UInt64 = Libxl.ident
        package var version: UInt32 = Libxl.version
        package var options: UInt32

        /// The header of a legacy-converted stream.
        package static let legacyConverted = Header(options: Libxl.optionLegacy)

        package static func read(from reader: StreamReader) throws(StreamError) -> Header {
            let ident = try reader.readU64BE("libxl header ident")
            let version = try reader.readU32BE("libxl header version")
            let options = try reader.readU32BE("libxl header options")
            return Header(ident: ident, version: version, options: options)
        }

        package var bytes: [UInt8] {
            var out = RecordBody(.big)
            out.u64(ident)
            out.u32(version)
            out.u32(options)
            return out.bytes
        }
    }
}

extension XL.Header {
    package static func read(from reader: StreamReader) throws(StreamError) -> XL.Header {
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
    package var bytes: [UInt8] {
        var out = RecordBody()
        out.append(XL.magic)
        out.u32(byteOrder)
        out.u32(mandatoryFlags)
        out.u32(optionalFlags)
        out.u32(optionalDataLength)
        return out.bytes
    }
}
