import XenMigrationFormat
import XendConfig

extension InputKind {
    /// The stream's first bytes, left unread: what `identify` reads
    /// (`FrontReader.head()`).
    public static func head(of reader: StreamReader) throws(StreamError) -> [UInt8] {
        try FrontReader(input: reader).head()
    }
}

/// Reads what comes before a legacy image: the first bytes that tell what
/// the input is, an `xl save` header and its optional data, or an xend
/// image's front; then the image's own first bytes, for detection. The
/// converter's front phase reads the input only through it.
package struct FrontReader {
    let input: StreamReader

    package init(input: StreamReader) { self.input = input }

    package var offset: UInt64 { input.offset }

    /// Peeks at the stream's first bytes, as many as `InputKind.identify`
    /// needs and the stream certainly holds: `LegacyDetection.prefixLength`
    /// (every stream and image is longer), and the xl header's fixed part
    /// when they begin like one.
    package func head() throws(StreamError) -> [UInt8] {
        let head = try input.peek(LegacyDetection.prefixLength)
        return XL.magic.starts(with: head) ? try input.peek(InputKind.headLength) : head
    }

    package func xlHeader() throws(StreamError) -> XL.Header { try XL.Header.read(from: input) }

    /// An `xl save` header's optional data, in memory (the caller bounds `length`).
    package func xlOptionalData(_ length: Int) throws(StreamError) -> [UInt8] {
        try input.readBytes(length, "xl header optional data")
    }

    /// An xend image's front and the domain configuration in it.
    package func xendDomain() throws(StreamError) -> XendDomainConfig { try Xend.readDomain(from: input) }

    /// The legacy image's first bytes, left unread: what detection reads.
    package func imageHead() throws(StreamError) -> [UInt8] { try input.peek(LegacyDetection.prefixLength) }
}
