/// Everything that can go wrong with a stream, with the input offset where
/// it was found. The kind decides the exit status of the command-line tools.
public struct StreamError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The stream breaks a rule of its format.
        case malformed
        /// The input ended inside a field or record.
        case truncated
        /// Valid, but uses something this converter does not convert
        /// (tmem, Remus compression, an unknown device model signature).
        case unsupported
        /// A read or write failed, or a file could not be opened.
        case io
    }

    public var kind: Kind
    public var message: String
    /// Input byte offset at which the problem was found, when known.
    public var offset: UInt64?

    public init(_ kind: Kind, _ message: String, offset: UInt64? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    /// The conventional exit status: 2 for unsupported features, 1 otherwise.
    public var exitStatus: Int32 { kind == .unsupported ? 2 : 1 }

    /// One line: what is wrong and where.
    public var description: String {
        guard let offset else { return message }
        if kind == .truncated { return message }
        return "\(message) (at input offset \(offset))"
    }
}
