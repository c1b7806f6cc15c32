import XenMigrationFormat
import XendConfig

/// Reads and writes the front of an xend image (`Xend`) and the `xl save`
/// header a converted one gets.
extension Xend {
    /// The front of an xend image.
    package struct Header: Sendable, Equatable {
        /// The configuration bytes (an S-expression).
        package var config: [UInt8]
        /// Input offset of the configuration's first byte.
        package var configOffset: UInt64
    }

    /// Reads the magic, the length and the configuration; the reader is
    /// then at the legacy stream. A wrong magic, a negative length or one
    /// over `maxConfigLength` are `.malformed`; a short input is the
    /// reader's `.truncated`.
    package static func readHeader(from reader: StreamReader) throws(StreamError) -> Header {
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

    /// Reads the header and the domain configuration in it.
    package static func readDomain(from reader: StreamReader) throws(StreamError) -> XendDomainConfig {
        let header = try readHeader(from: reader)
        do throws(XendConfigError) {
            return try XendDomainConfig(parsing: header.config, baseOffset: header.configOffset)
        } catch {
            throw streamError(error)
        }
    }

    /// The xl.cfg translation of `domain`.
    package static func translate(_ domain: XendDomainConfig) throws(StreamError) -> XLConfig {
        do throws(XendConfigError) {
            return try XLConfig(domain)
        } catch {
            throw streamError(error)
        }
    }

    /// The converter's error for what `XendConfig` refused (same kind,
    /// message, offset): the one place where an `XendConfigError` becomes
    /// a `StreamError`.
    static func streamError(_ error: XendConfigError) -> StreamError {
        StreamError(error.kind == .unsupported ? .unsupported : .malformed, error.message, offset: error.offset)
    }

    /// The `xl save` header for a converted image: the xl magic, byte-order
    /// mark, mandatory flags STREAMv2 (JSON clear: the config is xl.cfg
    /// text), no optional flags, and as optional data a little-endian
    /// uint32 config length then the config text (xl reads `length` bytes
    /// and parses exactly those; no NUL is needed or counted).
    package static func writeXLSaveHeader(config: [UInt8], to output: StreamWriter) throws(StreamError) {
        guard config.count <= Int(Int32.max) - 4 else {
            throw StreamError(.malformed, "xl config of \(config.count) bytes is too large for an xl header")
        }
        let length = UInt32(config.count)
        let header = XL.Header(
            byteOrder: XL.byteOrderMark, mandatoryFlags: XL.mandatoryFlagStreamV2, optionalFlags: 0,
            optionalDataLength: 4 + length)
        try output.write(header.bytes)
        try output.u32(length)
        try output.write(config)
    }

    /// `writeXLSaveHeader` into memory: the bytes a converted image starts with.
    public static func xlSaveHeader(config: [UInt8]) throws(StreamError) -> [UInt8] {
        let sink = MemorySink()
        let output = StreamWriter(sink)
        try writeXLSaveHeader(config: config, to: output)
        try output.flush()
        return sink.bytes
    }
}

extension GuestType {
    /// The guest type an xend configuration's image gives.
    package init(_ xend: XendGuestType) {
        switch xend {
        case .pv: self = .pv
        case .hvm: self = .hvm
        }
    }
}
