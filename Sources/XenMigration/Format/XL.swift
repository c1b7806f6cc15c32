/// The header `xl save` puts in front of a saved domain.
public enum XL {
    /// 32 bytes, the last three a space, a NUL and a carriage return.
    public static let magic: [UInt8] = Array("Xen saved domain, xl format\n \u{0} \r".utf8)
    public static let byteOrderMark: UInt32 = 0x0102_0304
    /// Mandatory flag: a libxl v2 stream follows (not a legacy or libxc one).
    public static let mandatoryFlagStreamV2: UInt32 = 2
    /// Mandatory flag: the config in the optional data is libxl JSON (clear: xl.cfg text).
    public static let mandatoryFlagJSON: UInt32 = 1

    /// The fixed part after the magic (native, little-endian on x86).
    public struct Header: Sendable, Equatable {
        public var byteOrder: UInt32
        public var mandatoryFlags: UInt32
        public var optionalFlags: UInt32
        public var optionalDataLength: UInt32

        package init(byteOrder: UInt32, mandatoryFlags: UInt32, optionalFlags: UInt32, optionalDataLength: UInt32) {
            self.byteOrder = byteOrder
            self.mandatoryFlags = mandatoryFlags
            self.optionalFlags = optionalFlags
            self.optionalDataLength = optionalDataLength
        }
    }
}
