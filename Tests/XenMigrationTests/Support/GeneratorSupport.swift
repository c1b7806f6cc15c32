import Testing
import XenLegacyGenerator
import XenMigration

/// Runs the library's converter on a generated image in memory.
enum Generated {
    static func options(_ image: LegacyImage, _ settings: ConversionSettings) -> ConversionOptions {
        ConversionOptions(
            width: image.width, guest: image.guest, format: settings.format,
            streamVersion: Libxc.StreamVersion(rawValue: settings.streamVersion) ?? .v2,
            xlHeader: image.xlHeader != nil,
            skipQemu: settings.skipQemu)
    }

    /// The converter's output, or the error it threw. `chunkLimit` caps
    /// each read, as a pipe does.
    static func convert(
        _ image: LegacyImage, _ settings: ConversionSettings, input: [UInt8]? = nil,
        chunkLimit: Int = .max
    ) -> Result<[UInt8], StreamError> {
        let sink = MemorySink()
        let converter = LegacyConverter(
            options: options(image, settings),
            reader: StreamReader(MemorySource(input ?? image.legacyBytes(), chunkLimit: chunkLimit)),
            writer: StreamWriter(sink))
        do {
            _ = try converter.run()
            return .success(sink.bytes)
        } catch {
            return .failure(error)
        }
    }

    static func kind(_ failure: ExpectedFailure) -> StreamError.Kind {
        switch failure.kind {
        case .malformed: .malformed
        case .truncated: .truncated
        case .unsupported: .unsupported
        }
    }

    /// The verifier format for a converted image.
    static func verifyFormat(_ image: LegacyImage, _ settings: ConversionSettings) -> VerifyFormat {
        VerifyFormat(converted: settings.format, xlHeader: image.xlHeader != nil)
    }
}

extension ConversionSettings: CustomTestStringConvertible {
    public var testDescription: String { description }
}
