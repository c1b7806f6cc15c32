// How the first byte of a fuzz input selects options. The fuzz targets in
// fuzz/targets decode their inputs with these, and the tests replay the seed
// corpus and saved findings with the same code, so the two cannot drift.
// fuzz/make-corpus.py writes the bytes (Python; keep it in step).
import XenMigration

/// Converter options from one byte:
/// bit 0 width 32 (else 64), bit 1 PV (else HVM), bit 2 libxl output,
/// bit 3 stream version 3, bit 4 xl header, bit 5 --skip-qemu,
/// bit 6 detect width, guest type and xl header instead,
/// bit 7 a slow source (7 bytes a read) into a minimal reader buffer,
/// with verbose output on.
package struct ConvertMode: Sendable {
    package let options: ConversionOptions
    package let slow: Bool

    package init(_ byte: UInt8) {
        let detect = byte & 0x40 != 0
        options = ConversionOptions(
            width: detect ? nil : (byte & 0x01 != 0 ? .bits32 : .bits64),
            guest: detect ? nil : (byte & 0x02 != 0 ? .pv : .hvm),
            format: byte & 0x04 != 0 ? .libxl : .libxc,
            streamVersion: byte & 0x08 != 0 ? .v3 : .v2,
            xlHeader: detect ? nil : byte & 0x10 != 0,
            skipQemu: byte & 0x20 != 0)
        slow = byte & 0x80 != 0
    }

    package func reader(for bytes: [UInt8]) -> StreamReader {
        slow ? StreamReader(MemorySource(bytes, chunkLimit: 7), capacity: 64) : StreamReader(MemorySource(bytes))
    }

    /// Builds every verbose line (their formatting is code too) and drops it.
    package var verboseSink: ((VerboseLine) -> Void)? { slow ? { line in _ = line.bytes.count } : nil }
}

/// Verifier options from one byte: bits 0-1 the format (0 libxc, 1 libxl,
/// 2 xl, 3 libxc), bit 7 a slow source into a minimal buffer, verbose on.
package struct VerifyMode: Sendable {
    package let format: VerifyFormat
    package let slow: Bool

    package init(_ byte: UInt8) {
        format = [VerifyFormat.libxc, .libxl, .xl, .libxc][Int(byte & 3)]
        slow = byte & 0x80 != 0
    }

    package func reader(for bytes: [UInt8]) -> StreamReader {
        slow ? StreamReader(MemorySource(bytes, chunkLimit: 7), capacity: 64) : StreamReader(MemorySource(bytes))
    }

    package var verboseSink: ((VerboseLine) -> Void)? { slow ? { line in _ = line.bytes.count } : nil }
}
