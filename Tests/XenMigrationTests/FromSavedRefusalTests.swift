import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration

/// What `--from-saved` refuses: a cut stream, a record it does not know,
/// and what a legacy image cannot hold, each one line with its offset.
@Suite("From saved stream: refusals")
struct FromSavedRefusalTests {
    typealias Records = [(type: any CountedRecordType, body: [UInt8])]

    func error(_ bytes: [UInt8], _ options: FromSavedOptions = FromSavedOptions()) -> StreamError? {
        do {
            _ = try SavedToLegacy.convert(bytes, options: options)
            return nil
        } catch {
            return error
        }
    }

    func oneLine(_ error: StreamError?) -> Bool {
        guard let error else { return false }
        return !"\(error)".contains("\n") && error.offset != nil && "\(error)".contains("offset")
    }

    /// Offset of the first libxc record after the headers.
    func firstLibxcRecord(_ bytes: [UInt8]) -> Int {
        let optional = Int(ByteCursor(bytes).peek(UInt32.self, at: 44) ?? 0)
        return 48 + optional + 16 + 8 + 24 + 16
    }

    @Test(
        "a cut stream is a truncation at the cut, in the scan and in the writing pass", arguments: [GuestType.pv, .hvm])
    func truncated(_ guest: GuestType) throws {
        let saved = try SavedStreams.xen417(guest: guest, vcpus: 1, pages: 2)
        let facts = try SavedToLegacy.scan(reader: StreamReader(MemorySource(saved)), options: FromSavedOptions())
        var cuts = Array(stride(from: 48, to: saved.count, by: 61)) + [saved.count - 1, saved.count - 8]
        cuts += Array(firstLibxcRecord(saved)..<(firstLibxcRecord(saved) + 40))
        for cut in cuts {
            let prefix = Array(saved.prefix(cut))
            let scanned = error(prefix)
            #expect(scanned?.kind == .truncated && oneLine(scanned), "cut at \(cut): \(String(describing: scanned))")
            #expect(scanned?.offset == UInt64(cut), "cut at \(cut): \(String(describing: scanned))")
            do {
                _ = try SavedToLegacy.convert(
                    reader: StreamReader(MemorySource(prefix)), writer: StreamWriter(NullSink()),
                    options: FromSavedOptions(), facts: facts)
                Issue.record("cut at \(cut) converted")
            } catch {
                #expect(error.kind == .truncated && error.offset == UInt64(cut) && oneLine(error), "cut at \(cut)")
            }
        }
    }

    @Test("an unknown record type is refused at its offset")
    func unknownRecord() throws {
        var saved = try SavedStreams.xen417(guest: .pv, vcpus: 1, pages: 2)
        let at = firstLibxcRecord(saved)
        saved[at] = 0x99
        let e = error(saved)
        #expect(e?.kind == .unsupported && e?.offset == UInt64(at) && oneLine(e))
        #expect("\(String(describing: e))".contains("unknown libxc record type 0x99"))
    }

    /// Each edit makes a stream a legacy image cannot hold.
    static let unrepresentable: [(String, String, GuestType, @Sendable (inout Records) -> Void)] = [
        (
            "pfn over 28 bits", "the legacy pfn field has 28 bits", .hvm,
            { records in
                if let i = records.firstIndex(where: { $0.type.rawValue == 1 }) {
                    records[i].body[8 + 3] = 0x10  // pfn[0] |= 1 << 28
                }
            }
        ),
        (
            "a batch over MAX_BATCH", "at most 1024", .hvm,
            { records in
                var body = RecordBody()
                body.u32(1025)
                body.u32(0)
                for pfn in 0..<UInt64(1025) { body.u64(0xe << 60 | (pfn + 100)) }
                records.insert((Libxc.RecordType.pageData, body.bytes), at: 4)
            }
        ),
        (
            "a checkpoint", "checkpointed", .pv,
            { records in records.insert((Libxc.RecordType.checkpoint, []), at: records.count - 1) }
        ),
        (
            "an HVM record in a PV stream", "HVM_CONTEXT in a PV stream", .pv,
            { records in records.insert((Libxc.RecordType.hvmContext, [1, 2, 3]), at: records.count - 1) }
        ),
        (
            "a second HVM context", "a second HVM_CONTEXT", .hvm,
            { records in records.insert((Libxc.RecordType.hvmContext, [1, 2, 3]), at: records.count - 1) }
        ),
        (
            "xsave contexts of different sizes", "different sets of contexts", .pv,
            { records in
                if let i = records.lastIndex(where: { $0.type.rawValue == 6 }) {
                    records[i].body += [0, 0, 0, 0, 0, 0, 0, 0]
                }
            }
        ),
        (
            "a vcpu without a basic context", "for vcpu1 not after its X86_PV_VCPU_BASIC", .pv,
            { records in records.removeAll { $0.type.rawValue == 4 && $0.body.first == 1 } }
        ),
    ]

    @Test("what a legacy image cannot hold is refused with its offset", arguments: 0..<unrepresentable.count)
    func cannotRepresent(_ index: Int) throws {
        let (name, message, guest, edit) = FromSavedRefusalTests.unrepresentable[index]
        let saved = try SavedStreams.xen417(guest: guest, vcpus: 2, pages: 4, edit: edit)
        let e = error(saved)
        #expect(e?.kind == .unsupported && oneLine(e), "\(name): \(String(describing: e))")
        #expect("\(String(describing: e))".contains("Cannot represent in a legacy image"), "\(name)")
        #expect("\(String(describing: e))".contains(message), "\(name): \(String(describing: e))")
    }

    @Test("a PVH or ARM domain, or a big-endian stream, is refused")
    func otherDomains() throws {
        let saved = try SavedStreams.xen417(guest: .hvm, vcpus: 1, pages: 2)
        let domain = firstLibxcRecord(saved) - 16
        for (type, name) in [(UInt8(3), "x86 PVH"), (4, "ARM")] {
            var bytes = saved
            bytes[domain] = type
            let e = error(bytes)
            #expect(e?.kind == .unsupported && e?.offset == UInt64(domain) && "\(String(describing: e))".contains(name))
        }
        var bigEndian = saved
        bigEndian[domain - 24 + 17] = 1
        #expect(error(bigEndian)?.kind == .unsupported)
    }

    @Test("a front without its config says what to give")
    func frontWithoutConfig() throws {
        let saved = try SavedStreams.xen417(guest: .pv, vcpus: 1, pages: 2)
        let text = error(saved, FromSavedOptions(front: .xlText))
        #expect("\(String(describing: text))".contains("--front xl-text needs the domain config as xl.cfg text"))
        #expect("\(String(describing: text))".contains("holds JSON; give --config FILE"))
        // Without the xl header (a bare libxl stream) xl-json has no config either.
        let optional = Int(ByteCursor(saved).peek(UInt32.self, at: 44) ?? 0)
        let bare = error(Array(saved.dropFirst(48 + optional)))
        #expect("\(String(describing: bare))".contains("the input has no xl header"))
        // Given, it is used: xl.cfg text as is.
        let config = Array("name = \"g\"\n".utf8)
        let (image, _) = try SavedToLegacy.convert(saved, options: FromSavedOptions(front: .xlText, config: config))
        #expect(
            Array(image.prefix(52 + config.count).dropFirst(36)) == [0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0, 0, 11, 0, 0, 0]
                + config)
    }

    @Test("an xend front: the converter reads its minimal config back")
    func xendFront() throws {
        let saved = try SavedStreams.xen417(guest: .pv, vcpus: 2, pages: 2)
        let (image, report) = try SavedToLegacy.convert(saved, options: FromSavedOptions(front: .xend))
        #expect(image.starts(with: Xend.magic))
        #expect(report.dropped.map(\.name).contains("X86_CPUID_POLICY"))
        let sink = MemorySink()
        let converted = try LegacyConverter(
            options: ConversionOptions(width: nil, guest: nil, format: .libxl, streamVersion: .v3, xlHeader: nil),
            reader: StreamReader(MemorySource(image)), writer: StreamWriter(sink)
        ).run()
        #expect(converted.source == .xend)
        #expect(converted.xlConfig?.contains("name = \"g417\"") == true)
        #expect(converted.xlConfig?.contains("vcpus = 2") == true)
    }

    @Test("an HVM xend front has the platform flags xm create sent, so xl builds the domain with HAP")
    func xendFrontHVM() throws {
        let saved = try SavedStreams.xen417(guest: .hvm, vcpus: 1, pages: 2)
        let (image, _) = try SavedToLegacy.convert(saved, options: FromSavedOptions(front: .xend))
        let converted = try LegacyConverter(
            options: ConversionOptions(width: nil, guest: nil, format: .libxl, streamVersion: .v3, xlHeader: nil),
            reader: StreamReader(MemorySource(image)), writer: StreamWriter(MemorySink())
        ).run()
        let config = converted.xlConfig ?? ""
        for line in ["type = \"hvm\"", "hap = 1", "pae = 1", "acpi = 1", "apic = 1"] {
            #expect(config.contains("\n\(line)\n"), "\(line) in \(config)")
        }
    }
}
