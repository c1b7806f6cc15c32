import Foundation
import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration
import XendConfig

/// The converter on whole `xm save` images: recognised by their signature,
/// the config translated into an `xl save` header, the legacy stream after
/// it converted as any other.
@Suite("Converting xend images")
struct XendConversionTests {
    struct Run {
        var output: [UInt8]
        var report: ConversionReport
        var config: DomainConfig?
        var lines: [String]
    }

    static func run(_ bytes: [UInt8], _ options: ConversionOptions, chunkLimit: Int = 997) throws -> Run {
        let sink = MemorySink()
        var lines: [String] = []
        let result = try LegacyConverter(
            options: options, reader: StreamReader(MemorySource(bytes, chunkLimit: chunkLimit)),
            writer: StreamWriter(sink), verbose: { lines.append($0.description) }
        ).convert()
        return Run(output: sink.bytes, report: result.report, config: result.config, lines: lines)
    }

    static func failure(_ bytes: [UInt8], _ options: ConversionOptions) -> StreamError? {
        do {
            _ = try run(bytes, options)
            return nil
        } catch {
            return (error as? ConversionFailure)?.error
        }
    }

    static let auto = ConversionOptions(width: nil, guest: nil, format: .libxl, xlHeader: nil)

    @Test(
        "--auto -f libxl: an xl save header with the translation, then the legacy part converted as on its own",
        arguments: XendPreset.allCases, [ToolstackWidth.bits32, .bits64])
    func libxl(preset: XendPreset, width: ToolstackWidth) throws {
        let image = XendImage.preset(preset, width: width, seed: 3, pages: 24)
        let xl = try XLConfig(try XendDomainConfig(parsing: image.config, baseOffset: 20))
        let bare = try Self.run(
            image.legacy.legacyBytes(),
            ConversionOptions(width: width, guest: preset.guest, format: .libxl, xlHeader: false))
        let whole = try Self.run(image.bytes(), Self.auto)
        let expected = try Xend.xlSaveHeader(config: xl.text) + bare.output
        #expect(whole.output == expected)
        // The generator's own prediction of the legacy part agrees.
        #expect(try #require(image.legacy.expectedOutput(format: .libxl)) == bare.output)
        #expect(whole.report.source == .xend)
        #expect(whole.report.xlConfig == String(decoding: xl.text, as: UTF8.self))
        #expect(whole.config == DomainConfig(bytes: xl.text, isJSON: false))
        #expect(whole.report.guestType == preset.guest && whole.report.toolstackWidth == width.rawValue)
        #expect(whole.report.detected == [.guestType, .width])
        #expect(whole.report.bytesRead == UInt64(image.bytes().count))
        #expect(
            Array(whole.lines.prefix(2)) == [
                "Detected: xend image (xm save), domain config of \(image.config.count) bytes", xl.summary,
            ])
        #expect(whole.lines.filter { $0.hasPrefix("  Not translated: ") }.count == xl.untranslated.count)
        _ = try XLConfigGrammar.parse(xl.text)

        // -f libxc: the bare libxc stream; -w and -g given that agree: the same.
        let libxc = try Self.run(image.bytes(), ConversionOptions(width: width, guest: preset.guest, xlHeader: false))
        #expect(libxc.output == (try #require(image.legacy.expectedOutput(format: .libxc))))
    }

    @Test("a -g that disagrees with the config, -x, and --config on another input are errors")
    func disagreements() throws {
        let hvm = XendImage.preset(.hvmLinux, pages: 8).bytes()
        let wrongGuest = try #require(Self.failure(hvm, ConversionOptions(width: .bits64, guest: .pv, format: .libxl)))
        #expect(wrongGuest.kind == .malformed)
        #expect(wrongGuest.message.contains("HVM") && wrongGuest.message.contains("pv"), "\(wrongGuest)")
        let withX = try #require(Self.failure(hvm, ConversionOptions(width: .bits64, guest: nil, xlHeader: true)))
        #expect(withX.message.contains("drop `-x`") && withX.offset == 0)
        let legacy = XendImage.preset(.pvKernel, pages: 8).legacy.legacyBytes()
        var options = Self.auto
        options.replacementConfig = Array("name = \"x\"\n".utf8)
        let notXend = try #require(Self.failure(legacy, options))
        #expect(notXend.message.contains("not an xend"))
    }

    @Test("a replacement config goes into the header as given")
    func replacement() throws {
        let image = XendImage.preset(.pvPygrub, pages: 8)
        let config = Array("name = \"mine\"\nmemory = 512\n".utf8)
        var options = Self.auto
        options.replacementConfig = config
        let run = try Self.run(image.bytes(), options)
        let header = try Xend.xlSaveHeader(config: config)
        #expect(Array(run.output.prefix(header.count)) == header)
        #expect(run.config?.bytes == config)
        let plain = try Self.run(image.bytes(), Self.auto)
        #expect(
            Array(run.output.dropFirst(header.count))
                == Array(plain.output.dropFirst(plain.output.count - (run.output.count - header.count))))
    }

    @Test("the xl save header's config is kept for the report")
    func xlHeaderConfig() throws {
        let config = Array("name = \"old\"\n".utf8)
        let legacy = XendImage.preset(.pvKernel, pages: 8).legacy.legacyBytes()
        var header = XL.magic
        for v in [XL.byteOrderMark, 0, 0, UInt32(4 + config.count), UInt32(config.count)] {
            header += withUnsafeBytes(of: v.littleEndian, Array.init)
        }
        let run = try Self.run(header + config + legacy, Self.auto)
        #expect(run.config == DomainConfig(bytes: config, isJSON: false) && run.report.source == nil)
        #expect(
            Array(run.output[(XL.magic.count + 16)...].prefix(4 + config.count))
                == Array(header[(XL.magic.count + 16)...]) + config)
    }

    /// `XEND_WRITE_README_TABLE=1 swift test --filter readmeTable` writes
    /// the table into docs/xend.md.
    @Test("docs/xend.md: its translation table is XendTranslation.markdown()")
    func readmeTable() throws {
        let url = Paths.packageRoot.appendingPathComponent("docs/xend.md")
        var readme = try String(contentsOf: url, encoding: .utf8)
        if ProcessInfo.processInfo.environment["XEND_WRITE_README_TABLE"] == "1",
            let start = readme.range(of: "| xend | xl | guests | translation |\n")
        {
            var end = start.lowerBound
            while end < readme.endIndex && readme[end] == "|" {
                end = readme[end...].firstIndex(of: "\n").map { readme.index(after: $0) } ?? readme.endIndex
            }
            readme.replaceSubrange(start.lowerBound..<end, with: XendTranslation.markdown())
            try readme.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(readme.contains(XendTranslation.markdown()))
    }
}
