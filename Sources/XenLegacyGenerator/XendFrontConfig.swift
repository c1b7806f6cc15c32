import XenMigration

/// The `(domain ...)` record of an xend front when none is given: the least
/// xend wrote that `convert-legacy-stream` translates for xl. Name, kernel
/// and memory come from the input's libxl JSON config when it has them;
/// the vcpus and otherwise the memory from what the scan saw.
enum XendFrontConfig {
    static func minimal(
        xlConfig: (flags: UInt32, optionalFlags: UInt32, data: [UInt8])?, facts: SavedStreamFacts?
    ) -> [UInt8] {
        var json: [UInt8] = []
        if let (flags, _, data) = xlConfig, flags & XL.mandatoryFlagJSON != 0, data.count > 4 {
            json = Array(data.dropFirst(4))
        }
        let facts = facts ?? SavedStreamFacts()
        let name = JSONPeek.string("name", in: json) ?? Array("guest".utf8)
        let memoryMiB: Int64 =
            JSONPeek.number("max_memkb", in: json).map { Int64(max(1, ($0 + 1023) / 1024)) }
            ?? Int64(max(1, (facts.pages + 255) / 256))
        var domain: [PyValue] = [
            .s("domain"), .pair("domid", 1), .list([.s("name"), .str(name)]), .pair("memory", memoryMiB),
            .pair("maxmem", memoryMiB), .pair("vcpus", Int64(max(1, facts.vcpus))),
        ]
        let image: PyValue
        if facts.hvm {
            // The platform flags `xm create` always sent (its defaults: pae,
            // acpi, apic and hap on). A record without them would mean
            // xend's own defaults, off; without hap a Xen that has no
            // shadow paging refuses to build the domain.
            image = .list([
                .s("hvm"), .pair("kernel", "/usr/lib/xen/boot/hvmloader"),
                .pair("device_model", "/usr/lib/xen/bin/qemu-dm"),
                .pair("pae", 1), .pair("acpi", 1), .pair("apic", 1), .pair("hap", 1),
            ])
        } else {
            var linux: [PyValue] = [.s("linux")]
            linux.append(
                .list([.s("kernel"), .str(JSONPeek.string("kernel", in: json) ?? Array("/boot/vmlinuz".utf8))]))
            if let ramdisk = JSONPeek.string("ramdisk", in: json) {
                linux.append(.list([.s("ramdisk"), .str(ramdisk)]))
            }
            if let args = JSONPeek.string("cmdline", in: json) { linux.append(.list([.s("args"), .str(args)])) }
            image = .list(linux)
        }
        domain.append(.list([.s("image"), image]))
        return PyValue.list(domain).sxpString()
    }
}

/// The first value of a key in libxl's JSON, found by a plain scan (no
/// JSON parser here): enough for the few scalars a minimal xend config
/// takes. Escapes other than `\"`, `\\` and `\/` end the string.
enum JSONPeek {
    private static func valueStart(_ key: String, in json: [UInt8]) -> Int? {
        let pattern = Array("\"\(key)\"".utf8)
        guard json.count >= pattern.count else { return nil }
        var i = 0
        while i + pattern.count <= json.count {
            if json[i..<(i + pattern.count)].elementsEqual(pattern) {
                var j = i + pattern.count
                while j < json.count, json[j] == 0x20 || json[j] == 0x0a || json[j] == 0x09 { j += 1 }
                guard j < json.count, json[j] == UInt8(ascii: ":") else { return nil }
                j += 1
                while j < json.count, json[j] == 0x20 || json[j] == 0x0a || json[j] == 0x09 { j += 1 }
                return j
            }
            i += 1
        }
        return nil
    }

    static func string(_ key: String, in json: [UInt8]) -> [UInt8]? {
        guard var i = valueStart(key, in: json), i < json.count, json[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        var out: [UInt8] = []
        while i < json.count {
            let c = json[i]
            if c == UInt8(ascii: "\"") { return out.isEmpty ? nil : out }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < json.count,
                    [UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/")].contains(json[i + 1])
                else { return nil }
                out.append(json[i + 1])
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        return nil
    }

    static func number(_ key: String, in json: [UInt8]) -> UInt64? {
        guard var i = valueStart(key, in: json) else { return nil }
        var n: UInt64 = 0
        var digits = 0
        while i < json.count, json[i] >= UInt8(ascii: "0"), json[i] <= UInt8(ascii: "9"), digits < 18 {
            n = n * 10 + UInt64(json[i] - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        return digits > 0 ? n : nil
    }
}
