/// The fixed headers of each layer, written and read.
extension Libxc {
    /// Image header: marker, "XENF", version, options (all big-endian).
    public static func writeImageHeader(version: StreamVersion, to output: StreamWriter) throws(StreamError) {
        try output.u64BE(imageMarker)
        try output.u32BE(imageID)
        try output.u32BE(version.rawValue)
        try output.u16BE(0)  // options: little-endian
        try output.u16BE(0)
        try output.u32BE(0)
    }

    /// Domain header of a legacy-converted stream: `xen_major` 0.
    public static func writeDomainHeader(type: DomainType, to output: StreamWriter) throws(StreamError) {
        try output.u32(type.rawValue)
        try output.u16(pageShift)
        try output.u16(0)
        try output.u32(0)
        try output.u32(converterVersion)
    }
}

extension Libxl {
    /// Stream header: ident, version, options (big-endian); marks the
    /// stream as legacy-converted.
    public static func writeHeader(to output: StreamWriter) throws(StreamError) {
        try output.u64BE(ident)
        try output.u32BE(version)
        try output.u32BE(optionLegacy)
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

    public func write(to output: StreamWriter) throws(StreamError) {
        try output.write(XL.magic)
        try output.u32(byteOrder)
        try output.u32(mandatoryFlags)
        try output.u32(optionalFlags)
        try output.u32(optionalDataLength)
    }
}
