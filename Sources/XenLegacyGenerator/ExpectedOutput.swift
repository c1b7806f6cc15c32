import XenMigration

/// Why a correct converter must reject an image.
package struct ExpectedFailure: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: String, Sendable, Equatable {
        /// The stream breaks a rule of the legacy format (exit status 1).
        case malformed
        /// The input ends inside something the converter must read (exit 1).
        case truncated
        /// A feature no converter handles: tmem, Remus compression, an
        /// unknown device model signature (exit status 2).
        case unsupported
    }

    package var kind: Kind
    package var reason: String

    package init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    package var exitStatus: Int32 { kind == .unsupported ? 2 : 1 }
    package var description: String { "\(kind): \(reason)" }
}

/// What converting an image must give: the exact output, or a failure.
package enum ExpectedOutcome: Sendable, Equatable {
    case success([UInt8])
    case failure(ExpectedFailure)

    package var exitStatus: Int32 {
        switch self {
        case .success: 0
        case .failure(let f): f.exitStatus
        }
    }
}

/// The converter settings an expectation is for.
package struct ConversionSettings: Sendable, Equatable, Hashable, CustomStringConvertible {
    package var format: OutputFormat
    /// 2 or 3 (3 adds STATIC_DATA_END).
    package var streamVersion: UInt32
    /// With libxc output: leave the device model record unread.
    package var skipQemu: Bool

    package init(format: OutputFormat, streamVersion: UInt32, skipQemu: Bool = false) {
        self.format = format
        self.streamVersion = streamVersion
        self.skipQemu = skipQemu
    }

    package var description: String {
        "\(format.rawValue) v\(streamVersion)" + (skipQemu ? " skip-qemu" : "")
    }

    package static let all: [ConversionSettings] = [
        .init(format: .libxc, streamVersion: 2), .init(format: .libxc, streamVersion: 3),
        .init(format: .libxl, streamVersion: 2), .init(format: .libxl, streamVersion: 3),
    ]
}

extension LegacyImage {
    /// The converted stream (or failure) built straight from the model,
    /// following the v2 and v3 specs (docs/specs/libxc-migration-stream,
    /// libxl-migration-stream) as Xen's converter applies them. It shares no code
    /// with `LegacyConverter`.
    package func expectedOutcome(_ settings: ConversionSettings) -> ExpectedOutcome {
        let e = Emitter()
        do {
            try ExpectedWriter(image: self, settings: settings, e: e).run()
            return .success((try? e.finish()) ?? [])
        } catch let failure as ExpectedFailure {
            return .failure(failure)
        } catch {
            // An in-memory emitter does not fail.
            return .failure(ExpectedFailure(.malformed, "\(error)"))
        }
    }

    package func expectedOutcome(format: OutputFormat, streamVersion: UInt32 = 2, skipQemu: Bool = false)
        -> ExpectedOutcome
    {
        expectedOutcome(ConversionSettings(format: format, streamVersion: streamVersion, skipQemu: skipQemu))
    }

    /// The expected output bytes, or nil when conversion must fail.
    package func expectedOutput(format: OutputFormat, streamVersion: UInt32 = 2, skipQemu: Bool = false) -> [UInt8]? {
        if case .success(let bytes) = expectedOutcome(format: format, streamVersion: streamVersion, skipQemu: skipQemu)
        {
            return bytes
        }
        return nil
    }

    /// 0 for success, 1 for a malformed or truncated image, 2 for an unsupported feature.
    package func expectedExitStatus(format: OutputFormat, streamVersion: UInt32 = 2, skipQemu: Bool = false) -> Int32 {
        expectedOutcome(format: format, streamVersion: streamVersion, skipQemu: skipQemu).exitStatus
    }

    /// Streams the expected output to `sink` in constant memory (big
    /// images). On an expected failure the output written so far is left
    /// as is and the failure is returned.
    package func writeExpected(_ settings: ConversionSettings, to sink: any ByteSink) throws -> ExpectedFailure? {
        let e = Emitter(sink: sink)
        var failure: ExpectedFailure?
        do {
            try ExpectedWriter(image: self, settings: settings, e: e).run()
        } catch let f as ExpectedFailure {
            failure = f
        }
        try e.flush()
        return failure
    }

    /// Whether `verify-stream-v2` accepts the converted stream. A converter
    /// faithfully passes some things through that the verifier rejects: a
    /// batch of nothing but padding (an empty PAGE_DATA record), page types
    /// 5 to 8, an empty HVM context, an xl header that already claims a
    /// libxl stream on libxc output.
    package func convertedOutputVerifies(format: OutputFormat) -> Bool {
        for case .pages(let batch) in body {
            let kept = batch.entries.filter { $0 != PageBatch.padding }
            if kept.isEmpty && !batch.entries.isEmpty { return false }
            if kept.contains(where: { (5...8).contains(($0 >> 28) & 0xf) }) { return false }
        }
        if guest == .hvm && hvmTail.context.count == 0 { return false }
        if let xl = xlHeader, format == .libxc, xl.mandatoryFlags & 2 != 0 { return false }
        return true
    }
}
