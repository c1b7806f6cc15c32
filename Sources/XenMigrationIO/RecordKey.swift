import XenMigrationFormat

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

/// A record type that `RecordWriter` writes and counts by its report key.
/// (Report keys are the writer's and the report's, not the formats'.)
package protocol CountedRecordType: StreamRecordType {
    var reportKey: RecordKey { get }
}

extension Libxc.RecordType: CountedRecordType {
    package var reportKey: RecordKey { .libxc(self) }
}

extension Libxl.RecordType: CountedRecordType {
    package var reportKey: RecordKey { .libxl(self) }
}
