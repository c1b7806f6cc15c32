/// The header `xl save` puts in front of a saved domain.
package enum XL {
    /// 32 bytes, the last three a space, a NUL and a carriage return.
    package static let magic: [UInt8] = Array("Xen saved domain, xl format\n \u{0} \r".utf8)
    package static let byteOrderMark: UInt32 = 0x0102_0304
    /// Mandatory flag: a libxl v2 stream follows (not a legacy or libxc one).
    package static let mandatoryFlagStreamV2: UInt32 = 2
    /// Mandatory flag: the config in the optional data is libxl JSON (clear: xl.cfg text).
    package static let mandatoryFlagJSON: UInt32 = 1

    /// The fixed part after the magic (native, little-endian on x86).
    package struct Header: Sendable, Equatable {
        package var byteOrder: UInt32
        package var mandatoryFlags: UInt32
        package var optionalFlags: UInt32
        package var optionalDataLength: UInt32

        package init(byteOrder: UInt32, mandatoryFlags: UInt32, optionalFlags: UInt32, optionalDataLength: UInt32) {
            self.byteOrder = byteOrder
            self.mandatoryFlags = mandatoryFlags
            self.optionalFlags = optionalFlags
            self.optionalDataLength = optionalDataLength
        }
    }
}
