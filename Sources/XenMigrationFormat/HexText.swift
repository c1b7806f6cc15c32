// Numbers and input bytes as message text.

/// Lower-case hexadecimal without a prefix, as `%x` prints it.
@inline(__always)
package func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }

/// `%0Nx`: hexadecimal padded with zeros to `width` digits.
package func hex<T: BinaryInteger>(_ value: T, width: Int) -> String {
    let digits = hex(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// Bytes as space-separated hex pairs, for messages that quote input.
package func hexBytes(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { hex($0, width: 2) }.joined(separator: " ")
}

/// Bytes from the input as printable text: ASCII as is, anything else
/// (and quotes and backslashes) escaped, so a message never carries raw
/// binary to a terminal.
package func escapedASCII(_ bytes: some Sequence<UInt8>) -> String {
    var text = ""
    for byte in bytes {
        switch byte {
        case 0x5c: text += "\\\\"
        case 0x27: text += "\\'"
        case 0x22: text += "\\\""
        case 0x20...0x7e: text.unicodeScalars.append(Unicode.Scalar(byte))
        case 0x0a: text += "\\n"
        case 0x0d: text += "\\r"
        case 0x09: text += "\\t"
        default: text += "\\x" + hex(byte, width: 2)
        }
    }
    return text
}
