import TestSupport
import Testing
import XenLegacyGenerator
import XenMigration

/// Hostile saved streams: mutated bytes never trap, and lengths that would
/// make the writer hold too much are refused before anything is allocated.
@Suite("From saved stream: hostile input")
struct FromSavedHostileTests {
    @Test("mutated saves end in success or a one-line error", arguments: [GuestType.pv, .hvm])
    func mutants(_ guest: GuestType) throws {
        let saved = try SavedStreams.xen417(guest: guest, vcpus: 2, pages: 3)
        var random = SplitMix64(seed: guest == .pv ? 11 : 12)
        var errors = 0
        for _ in 0..<1000 {
            var bytes = saved
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let at = Int(random.next() % UInt64(bytes.count))
                // Mostly the headers and small records, where the fields are.
                let position = random.next() % 2 == 0 ? at % 600 : at
                bytes[position] = UInt8(truncatingIfNeeded: random.next())
            }
            do {
                _ = try SavedToLegacy.convert(bytes, options: FromSavedOptions(front: .none))
            } catch {
                errors += 1
                #expect(!error.description.contains("\n") && error.offset != nil, "\(error)")
            }
        }
        #expect(errors > 100)
    }

    /// The save with the length of its first libxc record of `type` replaced.
    func withLength(_ guest: GuestType, type: UInt32, length: UInt32) throws -> [UInt8] {
        var bytes = try SavedStreams.xen417(guest: guest, vcpus: 1, pages: 1)
        let optional = Int(ByteCursor(bytes).peek(UInt32.self, at: 44) ?? 0)
        var at = 48 + optional + 16 + 8 + 24 + 16
        while let t = ByteCursor(bytes).peek(UInt32.self, at: at),
            let n = ByteCursor(bytes).peek(UInt32.self, at: at + 4)
        {
            if t == type {
                for i in 0..<4 { bytes[at + 4 + i] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(i))) }
                return bytes
            }
            at += 8 + Int(n) + Libxc.padding(for: UInt64(n))
        }
        Issue.record("no record of type \(type)")
        return bytes
    }

    @Test("a 4 GiB HVM context, vcpu context or shared info is refused at its record, not read")
    func hugeHeldRecords() throws {
        for (guest, type) in [(GuestType.hvm, UInt32(0x09)), (.pv, 0x04), (.pv, 0x07), (.pv, 0x06)] {
            let bytes = try withLength(guest, type: type, length: 0xffff_fff8)
            do {
                _ = try SavedToLegacy.convert(bytes, options: FromSavedOptions(front: .none))
                Issue.record("type \(type) converted")
            } catch {
                #expect(error.kind == .unsupported, "type \(type): \(error)")
            }
        }
    }

    @Test("a held tail over the limit is refused")
    func tailLimit() throws {
        let saved = try SavedStreams.xen417(guest: .pv, vcpus: 3, pages: 1)
        var options = FromSavedOptions(front: .none)
        options.limits.tailBytes = 12_000
        #expect {
            try SavedToLegacy.convert(saved, options: options)
        } throws: { error in
            "\(error)".contains("vcpu, shared info and HVM contexts over 12000 bytes")
        }
    }
}
