/// One line of the tools' `-v` output, without its newline. Bytes, not
/// text: the converter quotes a libxl physmap name as it came, which Xen's
/// converter prints raw, valid UTF-8 or not, and so must a caller.
public struct VerboseLine: Sendable, Equatable, CustomStringConvertible {
    /// The line's bytes, as the tools print them.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A line of text, as UTF-8.
    package init(_ text: String) { bytes = Array(text.utf8) }

    /// The line as text, for reading: bytes that are not UTF-8 show as U+FFFD.
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}
