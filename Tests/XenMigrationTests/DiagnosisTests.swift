import TestSupport
import Testing
import XenMigration

/// Converts `input` in memory and returns the diagnosis of its failure.
private func diagnoseConversion(_ input: [UInt8], _ options: ConversionOptions) -> StreamError? {
    let reader = StreamReader(MemorySource(input))
    do {
        _ = try LegacyConverter(options: options, reader: reader, writer: StreamWriter(NullSink())).convert()
        return nil
    } catch {
        return error.diagnosed
    }
}

private func diagnoseVerification(_ input: [UInt8], _ format: VerifyFormat) -> StreamError? {
    let reader = StreamReader(MemorySource(input))
    do {
        let head = try InputKind.head(of: reader)
        do {
            try StreamVerifier.verify(reader: reader, format: format)
            return nil
        } catch {
            return Diagnosis.verification(error, head: head, format: format) ?? error
        }
    } catch {
        return error
    }
}

@Suite("Diagnosis: what the input really is, and the option that fixes it")
struct DiagnosisTests {
    @Test("every vector's input is identified as the kind it is")
    func identify() throws {
        for vector in Vector.all("convert") where vector.expectedStatus == 0 && !vector.args.contains("-x") {
            let input = try #require(vector.bytes("input.legacy"))
            let options = try ConversionOptions(vectorArguments: vector.args)
            let expected = InputKind.legacy(options.width ?? .bits64, options.guest ?? .hvm)
            #expect(InputKind.identify(Array(input.prefix(64))) == expected, "\(vector.name)")
        }
        let libxl = try #require(Vector(kind: "convert", name: "hvm64-libxl").bytes("expected.out"))
        #expect(InputKind.identify(libxl) == .libxlStream)
        let libxc = try #require(Vector(kind: "convert", name: "pv64-libxc-v3").bytes("expected.out"))
        #expect(InputKind.identify(libxc) == .libxcStream(version: 3))
        let xl = try #require(Vector(kind: "convert", name: "pv64-libxl-toolstack-xl").bytes("expected.out"))
        #expect(InputKind.identify(xl) == .xlSave(streamV2: true))
        let xlLegacy = try #require(Vector(kind: "convert", name: "pv64-libxl-toolstack-xl").bytes("input.legacy"))
        #expect(InputKind.identify(xlLegacy) == .xlSave(streamV2: false))
        #expect(InputKind.identify(Array("LinuxGuestRecord".utf8) + [0, 0, 0, 9]) == .xendImage)
        #expect(InputKind.identify([1, 2, 3]) == .unknown)
    }

    @Test("an already converted stream given to the converter says so and names the verifier's -f")
    func alreadyConverted() throws {
        let libxl = try #require(Vector(kind: "convert", name: "hvm64-libxl").bytes("expected.out"))
        let options = ConversionOptions(width: .bits64, guest: .hvm, format: .libxl, xlHeader: true)
        let error = try #require(diagnoseConversion(libxl, options))
        #expect(
            error.description
                == "Input is a libxl (v2) stream: it is already converted; check it with `verify-stream-v2 -f libxl` (at input offset 0)"
        )
        #expect(error.kind == .malformed)

        let xl = try #require(Vector(kind: "convert", name: "pv64-libxl-toolstack-xl").bytes("expected.out"))
        let xlError = try #require(diagnoseConversion(xl, ConversionOptions(width: nil, guest: nil, xlHeader: nil)))
        #expect(
            xlError.message
                == "Input is an xl save file holding a v2 stream: it is already converted; check it with `verify-stream-v2 -f xl`"
        )
    }

    @Test("an xl save image converted without -x: add -x")
    func missingXL() throws {
        let vector = Vector(kind: "convert", name: "pv64-libxl-toolstack-xl")
        let input = try #require(vector.bytes("input.legacy"))
        let error = try #require(
            diagnoseConversion(input, ConversionOptions(width: .bits64, guest: .pv, format: .libxl)))
        #expect(error.message == "Input is an xl save file holding a legacy image: add `-x` (or use `--auto`)")
    }

    @Test("the wrong width or guest type: exit-1 error naming the right option")
    func wrongWidthOrGuest() throws {
        let hvm64 = try #require(Vector(kind: "convert", name: "hvm64-libxc").bytes("input.legacy"))
        let width = try #require(diagnoseConversion(hvm64, ConversionOptions(width: .bits32, guest: .hvm)))
        #expect(
            width.message
                == "Input looks like a legacy HVM image from a 64-bit toolstack, not a 32-bit one: try `-w 64` or `--auto`"
        )
        #expect(width.kind == .malformed)

        let pv32 = try #require(Vector(kind: "convert", name: "pv32-libxc").bytes("input.legacy"))
        let guest = try #require(diagnoseConversion(pv32, ConversionOptions(width: .bits32, guest: .hvm)))
        #expect(
            guest.message
                == "Input looks like a legacy PV image from a 32-bit toolstack, not an HVM guest: try `-g pv` or `--auto`"
        )
    }

    @Test("a bad stream that is what the options say keeps its own error")
    func ownErrorsStand() throws {
        for name in ["err-dup-pfn", "unsupported-tmem", "unsupported-qemu-sig", "err-truncated-body"] {
            let vector = Vector(kind: "convert", name: name)
            let input = try #require(vector.bytes("input.legacy"))
            let options = try ConversionOptions(vectorArguments: vector.args)
            let reader = StreamReader(MemorySource(input))
            do {
                _ = try LegacyConverter(options: options, reader: reader, writer: StreamWriter(NullSink())).convert()
                Issue.record("\(name) converted")
            } catch {
                #expect(
                    Diagnosis.conversion(error.error, head: error.head, imageHead: error.imageHead, options: options)
                        == nil, "\(name)")
            }
        }
    }

    @Test("the verifier given an xl or libxl stream without the matching -f names it")
    func verifierFormat() throws {
        let xl = try #require(Vector(kind: "convert", name: "pv64-libxl-toolstack-xl").bytes("expected.out"))
        #expect(
            diagnoseVerification(xl, .libxc)?.message
                == "Input is an xl save file holding a v2 stream: verify it with `-f xl`")
        let libxl = try #require(Vector(kind: "convert", name: "hvm64-libxl").bytes("expected.out"))
        #expect(
            diagnoseVerification(libxl, .libxc)?.message == "Input is a libxl (v2) stream: verify it with `-f libxl`")
        let legacy = try #require(Vector(kind: "convert", name: "pv32-libxc").bytes("input.legacy"))
        #expect(
            diagnoseVerification(legacy, .libxc)?.message
                == "Input is a legacy PV image from a 32-bit toolstack: convert it first with `convert-legacy-stream`")
        let libxc = try #require(Vector(kind: "convert", name: "pv64-libxc").bytes("expected.out"))
        #expect(diagnoseVerification(libxc, .libxc) == nil)
    }
}
