import Foundation
import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration
import XendConfig

/// The front of an `xm save` image, the legacy stream behind it, and the
/// `xl save` header made for the converted image.
@Suite("xend images")
struct XendImageTests {
    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }

    static func header(_ bytes: [UInt8], chunkLimit: Int = .max) -> Result<(Xend.Header, UInt64), StreamError> {
        let reader = StreamReader(MemorySource(bytes, chunkLimit: chunkLimit))
        do throws(StreamError) {
            let header = try Xend.readHeader(from: reader)
            return .success((header, reader.offset))
        } catch {
            return .failure(error)
        }
    }

    static let widths: [ToolstackWidth] = [.bits32, .bits64]

    @Test(
        "header, translation, then the legacy stream converts as its model says",
        arguments: XendPreset.allCases, widths)
    func endToEnd(preset: XendPreset, width: ToolstackWidth) throws {
        let image = XendImage.preset(preset, width: width, seed: 5, pages: 40)
        let bytes = image.bytes()
        for format in [OutputFormat.libxc, .libxl] {
            let reader = StreamReader(MemorySource(bytes, chunkLimit: 997))
            #expect(InputKind.identify(try InputKind.head(of: reader)) == .xendImage)
            #expect(reader.offset == 0)
            let (domain, xl) = try readConfiguration(from: reader)
            #expect(reader.offset == UInt64(20 + image.config.count))
            #expect(domain.offset == 20)
            #expect(GuestType(domain.guest) == preset.guest)
            #expect(try XLConfigGrammar.parse(xl.text)["name"] != nil)
            let sink = MemorySink()
            let options = ConversionOptions(
                width: width, guest: GuestType(domain.guest), format: format, xlHeader: false)
            _ = try LegacyConverter(options: options, reader: reader, writer: StreamWriter(sink)).run()
            let expected = try #require(image.legacy.expectedOutput(format: format))
            let same = sink.bytes == expected  // a Bool: a failed #expect on arrays prints them whole
            let at =
                zip(sink.bytes, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(sink.bytes.count, expected.count)
            #expect(same, "\(format): first difference at byte \(at)")
        }
    }

    @Test("the legacy stream is xend's: no xl header, no toolstack chunk, HVM state in a QemuDeviceModelRecord")
    func legacyShape() {
        for preset in XendPreset.allCases {
            let legacy = XendImage.preset(preset).legacy
            #expect(legacy.xlHeader == nil)
            #expect(!legacy.body.contains { if case .toolstack = $0 { true } else { false } })
            #expect(legacy.deviceModel?.signature == (preset.guest == .hvm ? DeviceModel.qemu : nil))
        }
    }

    @Test("the image starts with the signature and a big-endian length")
    func layout() throws {
        let image = XendImage.preset(.pvKernel)
        let bytes = image.bytes()
        #expect(Array(bytes[0..<16]) == Xend.magic)
        #expect(Array(bytes[16..<20]) == Self.be32(UInt32(image.config.count)))
        let (header, offset) = try Self.header(bytes).get()
        let same = header.config == image.config
        #expect(same && header.configOffset == 20 && offset == UInt64(20 + image.config.count))
    }

    @Test("header errors: signature, negative or oversized length, truncation")
    func headerErrors() {
        func expect(
            _ bytes: [UInt8], _ kind: StreamError.Kind, at offset: UInt64, _ fragment: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            for limit in [Int.max, 3] {
                guard case .failure(let error) = Self.header(bytes, chunkLimit: limit) else {
                    Issue.record("accepted", sourceLocation: sourceLocation)
                    return
                }
                #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
                #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
                #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        }
        let magic = Xend.magic
        expect(Array("LinuxGuestRecorD".utf8) + Self.be32(2) + [0x28, 0x29], .malformed, at: 0, "signature")
        expect(magic + Self.be32(0xffff_ffff), .malformed, at: 16, "length -1 is negative")
        expect(magic + Self.be32(0x8000_0000), .malformed, at: 16, "negative")
        expect(magic + Self.be32(1 << 20 + 1), .malformed, at: 16, "over the 1048576-byte limit")
        expect(Array(magic.prefix(9)), .truncated, at: 9, "xend image signature")
        expect(magic + [0, 0], .truncated, at: 18, "xend config length")
        expect(magic + Self.be32(100) + Array("(domain".utf8), .truncated, at: 27, "xend config needs 100 bytes")
        expect([], .truncated, at: 0, "signature")
    }

    @Test("a config of exactly 1 MiB is read; an empty one is read and then refused by the parser")
    func lengthLimits() throws {
        let big = [UInt8](repeating: 0x20, count: 1 << 20)
        let (header, _) = try Self.header(Xend.magic + Self.be32(1 << 20) + big + [1, 2, 3]).get()
        #expect(header.config.count == 1 << 20)
        let reader = StreamReader(MemorySource(Xend.magic + Self.be32(0)))
        #expect(throws: StreamError.self) { _ = try readConfiguration(from: reader) }
    }

    @Test("config errors carry absolute input offsets")
    func configOffsets() {
        let config = Array("(domain (name a) (memory lots) (image (linux (kernel /k))))".utf8)
        let reader = StreamReader(MemorySource(Xend.magic + Self.be32(UInt32(config.count)) + config))
        do throws(StreamError) {
            _ = try readConfiguration(from: reader)
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .malformed && error.offset == 20 + 25, "\(error)")
        }
    }

    @Test("the xl save header: STREAMv2, xl.cfg text, and verify-stream-v2 accepts it with the libxl stream")
    func xlHeader() throws {
        let image = XendImage.preset(.hvmWindows, seed: 9, pages: 24)
        let reader = StreamReader(MemorySource(image.bytes()))
        let (domain, xl) = try readConfiguration(from: reader)
        let header = try Xend.xlSaveHeader(config: xl.text)
        let sink = MemorySink()
        let writer = StreamWriter(sink)
        try writer.write(header)
        let options = ConversionOptions(width: .bits64, guest: GuestType(domain.guest), format: .libxl, xlHeader: false)
        _ = try LegacyConverter(options: options, reader: reader, writer: writer).run()

        // The header as xl reads it: magic, then native (little-endian) uint32s.
        let check = StreamReader(MemorySource(sink.bytes))
        #expect(try check.readBytes(XL.magic.count, "magic") == XL.magic)
        #expect(try check.readU32("byte order") == XL.byteOrderMark)
        let mandatory = try check.readU32("mandatory flags")
        #expect(mandatory == XL.mandatoryFlagStreamV2)
        #expect(mandatory & XL.mandatoryFlagJSON == 0)
        #expect(try check.readU32("optional flags") == 0)
        #expect(try check.readU32("optional data length") == UInt32(4 + xl.text.count))
        #expect(try check.readU32("config length") == UInt32(xl.text.count))
        let text = try check.readBytes(xl.text.count, "config")
        #expect(text == xl.text)
        try StreamVerifier.verify(reader: StreamReader(MemorySource(sink.bytes)), format: .xl)
    }

    /// The fuzz target's decoding (fuzz/targets/FuzzSXP.swift): byte 0 bit 0
    /// clear, a configuration; set, an image front (bit 1: slow reads).
    static func fuzzReplay(_ input: [UInt8]) -> Result<XLConfig, StreamError> {
        guard let mode = input.first else { return .failure(StreamError(.malformed, "empty")) }
        let bytes = Array(input.dropFirst())
        if mode & 1 == 0 {
            do throws(XendConfigError) {
                return .success(try XLConfig(try XendDomainConfig(parsing: bytes, baseOffset: 1)))
            } catch {
                let kind: StreamError.Kind = error.kind == .unsupported ? .unsupported : .malformed
                return .failure(StreamError(kind, error.message, offset: error.offset))
            }
        }
        let reader =
            mode & 2 != 0
            ? StreamReader(MemorySource(bytes, chunkLimit: 7), capacity: 64)
            : StreamReader(MemorySource(bytes))
        do throws(StreamError) {
            return .success(try readConfiguration(from: reader).xl)
        } catch {
            return .failure(error)
        }
    }

    @Test("the sxp fuzz seeds, and any saved findings, translate as the target decodes them")
    func fuzzSeeds() throws {
        var found = 0
        // Findings live in Tests/XenMigrationTests/Regression (or, in the newer layout, Tests/Fixtures/regression).
        for dir in ["fuzz/corpus/sxp", "Tests/XenMigrationTests/Regression/sxp", "Tests/Fixtures/regression/sxp"] {
            // This file is Tests/XenMigrationTests/XendImageTests.swift.
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let url = root.appendingPathComponent(dir)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for name in names where !name.hasPrefix(".") && name != "README.md" {
                let bytes = [UInt8](try Data(contentsOf: url.appendingPathComponent(name)))
                let outcome = Self.fuzzReplay(bytes)
                if dir.hasPrefix("fuzz/") {
                    found += 1
                    if case .failure(let error) = outcome { Issue.record("\(name): \(error)") }
                }
            }
        }
        #expect(found >= 10)
    }
}

/// An xend image's domain configuration and its translation, as the
/// converter reads them before the legacy stream.
private func readConfiguration(from reader: StreamReader) throws(StreamError) -> (
    domain: XendDomainConfig, xl: XLConfig
) {
    let domain = try Xend.readDomain(from: reader)
    return (domain, try Xend.translate(domain))
}
