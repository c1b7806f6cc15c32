/// A record type of a stream whose records are framed alike: `uint32 type;
/// uint32 length;` then the body, padded to 8 bytes. libxc and libxl
/// records both are.
package protocol StreamRecordType: Sendable, Equatable {
    init?(rawValue: UInt32)
    var rawValue: UInt32 { get }
    /// The spec's name for the record type.
    var specName: String { get }
    /// The record that ends the layer's stream.
    static var end: Self { get }
    /// Names the record in reports.
    var reportKey: RecordKey { get }
}

/// Identifies an output record in a report: its layer and type.
public enum RecordKey: Hashable, Sendable, Comparable, CodingKeyRepresentable, Codable, CustomStringConvertible {
    case libxc(Libxc.RecordType)
    case libxl(Libxl.RecordType)

    /// The spec's record name; libxl's carry a `libxl ` prefix, since both
    /// layers have an END record.
    public var description: String {
        switch self {
        case .libxc(let type): type.specName
        case .libxl(let type): "libxl " + type.specName
        }
    }

    package init?(_ name: String) {
        if name.hasPrefix("libxl ") {
            let spec = name.dropFirst("libxl ".count)
            guard let type = Libxl.RecordType.allCases.first(where: { $0.specName == spec }) else { return nil }
            self = .libxl(type)
        } else {
            guard let type = Libxc.RecordType.allCases.first(where: { $0.specName == name }) else { return nil }
            self = .libxc(type)
        }
    }

    public var codingKey: any CodingKey { Key(stringValue: description) }

    public init?<T: CodingKey>(codingKey: T) { self.init(codingKey.stringValue) }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let key = RecordKey(name) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "Unknown record \(name)"))
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (a: RecordKey, b: RecordKey) -> Bool { a.description < b.description }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension Libxc.RecordType: StreamRecordType {
    package var reportKey: RecordKey { .libxc(self) }
}

extension Libxl.RecordType: StreamRecordType {
    package var reportKey: RecordKey { .libxl(self) }
}
