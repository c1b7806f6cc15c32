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
}

extension Libxc.RecordType: StreamRecordType {}

extension Libxl.RecordType: StreamRecordType {}
