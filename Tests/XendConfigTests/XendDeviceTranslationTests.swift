import TestSupport
import Testing
import XenLegacyGenerator
import XendConfig

/// xend devices to xl's disk, vif, vfb and pci specs; errors; escaping;
/// the generated presets end to end.
@Suite("xend devices, errors and escaping in xl.cfg")
struct XendDeviceTranslationTests {
    typealias P = PyValue
    typealias T = XendTranslationTests

    static func disk(_ cls: String = "vbd", uname: String?, dev: String, mode: String? = "w", extra: [P] = []) -> P {
        var items: [P] = [.s(cls)]
        if let uname { items.append(.pair("uname", uname)) }
        items.append(.pair("dev", dev))
        if let mode { items.append(.pair("mode", mode)) }
        return .list(items + extra)
    }

    static func diskFields(_ t: T.Translated) -> [[String: String]] {
        (t.grammar["disk"]?.items ?? []).compactMap(\.bytes).map {
            XLConfigGrammar.diskFields($0).mapValues { String(decoding: $0, as: UTF8.self) }
        }
    }

    @Test("disks: every uname kind, dev form and mode")
    func disks() throws {
        let t = try T.translate(
            guest: .hvm,
            devices: [
                Self.disk(
                    uname: "phy:/dev/vg0/root", dev: "ioemu:hda", extra: [.pair("backend", 0), .pair("uuid", "x")]),
                Self.disk(uname: "file:/images/a,b.img", dev: "/dev/xvdb:disk"),
                Self.disk("tap", uname: "tap:aio:/images/c.img", dev: "xvdc", mode: "r"),
                Self.disk("tap", uname: "tap:tapdisk:qcow:/images/d.qcow", dev: "xvdd", mode: "w!"),
                Self.disk("tap2", uname: "tap2:tapdisk:vhd:/images/e.vhd", dev: "xvde"),
                Self.disk(uname: "drbd:r0", dev: "xvdf", extra: [.pair("backend", "storage-dom")]),
                Self.disk(uname: "phy:/dev/sr0", dev: "hdc:cdrom", mode: nil),
                Self.disk(uname: nil, dev: "hdd:cdrom", mode: "r"),
                Self.disk(uname: "file:/iso/x.iso", dev: "hdb:cdrom", mode: "w"),
            ])
        let disks = Self.diskFields(t)
        #expect(disks.count == 9)
        #expect(disks[0] == ["format": "raw", "vdev": "hda", "access": "rw", "target": "/dev/vg0/root"])
        #expect(disks[1] == ["format": "raw", "vdev": "xvdb", "access": "rw", "target": "/images/a,b.img"])
        #expect(disks[2] == ["format": "raw", "vdev": "xvdc", "access": "ro", "target": "/images/c.img"])
        #expect(disks[3] == ["format": "qcow", "vdev": "xvdd", "access": "rw", "target": "/images/d.qcow"])
        #expect(disks[4] == ["format": "vhd", "vdev": "xvde", "access": "rw", "target": "/images/e.vhd"])
        #expect(
            disks[5] == [
                "format": "raw", "vdev": "xvdf", "access": "rw", "backend": "storage-dom",
                "script": "block-drbd", "target": "r0",
            ])
        #expect(disks[6] == ["format": "raw", "vdev": "hdc", "access": "ro", "devtype": "cdrom", "target": "/dev/sr0"])
        #expect(disks[7] == ["format": "empty", "vdev": "hdd", "access": "ro", "devtype": "cdrom", "target": ""])
        #expect(disks[8]["access"] == "ro", "xl makes every CD-ROM read-only")
        #expect(t.noted("device tap 1 mode"), "w! has no xl equivalent")
        #expect(t.noted("device vbd 0"), "uuid is not used by xl")
    }

    @Test("disks xl cannot take")
    func badDisks() {
        func error(_ device: P) -> XendConfigError? { T.failure(T.record(devices: [device])) }
        #expect(error(Self.disk("tap", uname: "tap:vmdk:/a.vmdk", dev: "xvda"))?.kind == .unsupported)
        #expect(error(Self.disk(uname: "/images/no-prefix.img", dev: "xvda"))?.kind == .malformed)
        #expect(error(Self.disk(uname: nil, dev: "xvda"))?.kind == .malformed, "only a CD-ROM may be empty")
        #expect(error(Self.disk(uname: "file:/a.img", dev: "xvda", mode: "rw!"))?.kind == .malformed)
        #expect(error(Self.disk(uname: "file:/a\nb.img", dev: "xvda"))?.kind == .malformed)
        #expect(error(Self.disk(uname: "file:/a.img,", dev: "xvda"))?.kind == .malformed)
        #expect(error(Self.disk(uname: "file:/a.img", dev: "xv,da"))?.kind == .malformed)
        #expect(error(.list([.s("vbd"), .pair("uname", "file:/a.img")]))?.kind == .malformed, "no dev")
    }

    @Test("vifs: keys, type and model by guest type, rates")
    func vifs() throws {
        let vif: [P] = [
            .pair("mac", "00:16:3E:01:02:03"), .pair("bridge", "xenbr0"), .pair("script", "vif-route"),
            .pair("ip", "10.0.0.2 10.0.0.3"), .pair("model", "e1000"), .pair("type", "ioemu"),
            .pair("vifname", "web0"), .pair("rate", "62500,50000"), .pair("backend", "netdom"),
            .pair("accel", "sfc"),
        ]
        let hvm = try T.translate(
            guest: .hvm, devices: [.list([.s("vif")] + vif), .list([.s("vif"), .pair("type", "netfront")])])
        let specs = try #require(hvm.list("vif"))
        #expect(specs.count == 2)
        let fields = Dictionary(uniqueKeysWithValues: XLConfigGrammar.keyValues(specs[0]).map { ($0.key, $0.value) })
        #expect(
            fields == [
                "mac": "00:16:3E:01:02:03", "bridge": "xenbr0", "script": "vif-route", "ip": "10.0.0.2 10.0.0.3",
                "model": "e1000", "type": "ioemu", "vifname": "web0", "rate": "1250000B/s@50000us",
                "backend": "netdom",
            ])
        #expect(specs[1] == "type=vif")
        #expect(hvm.noted("device vif 0"), "accel is not used by xl")
        let pv = try T.translate(devices: [.list([.s("vif")] + vif)])
        let pvFields = XLConfigGrammar.keyValues(try #require(pv.list("vif")?.first)).map(\.key)
        #expect(!pvFields.contains("type") && !pvFields.contains("model"))
        #expect(pv.noted("device vif 0 model"))
    }

    @Test("vif rates: xend's running form, xl's own form, no limit, nonsense")
    func rates() throws {
        func rate(_ r: String) throws -> (String?, Bool) {
            let t = try T.translate(devices: [.list([.s("vif"), .pair("rate", r)])])
            let fields = XLConfigGrammar.keyValues(t.list("vif")?.first ?? "")
            return (fields.first { $0.key == "rate" }?.value, t.noted("device vif 0 rate"))
        }
        #expect(try rate("1250000,50000") == ("25000000B/s@50000us", false))
        #expect(try rate("333,1000") == ("333000B/s@1000us", false))
        #expect(try rate("1,3") == ("333334B/s@3us", false), "rounded up so that xl's division gives 1 back")
        #expect(try rate("10Mb/s") == ("10Mb/s", false))
        #expect(try rate("1MB/s@20ms") == ("1MB/s@20ms", false))
        #expect(try rate("4294967295,0") == (nil, false), "xend's no-limit")
        #expect(try rate("fast") == (nil, true))
        #expect(try rate("0,50000") == (nil, true))
    }

    @Test("PV vfb, HVM-only keys in a PV image, other devices")
    func otherDevices() throws {
        let t = try T.translate(
            image: [.pair("acpi", 1)],
            devices: [
                .list([
                    .s("vfb"), .pair("type", "vnc"), .pair("vnclisten", "0.0.0.0"), .pair("vncpasswd", "p w"),
                    .pair("keymap", "en-us"), .pair("uuid", "x"),
                ]),
                .list([.s("vkbd")]), .list([.s("console"), .pair("protocol", "vt100")]),
                .list([.s("vtpm"), .pair("instance", 1)]), .list([.s("floppy")]),
            ])
        #expect(t.list("vfb") == ["vnc=1,vnclisten=0.0.0.0,vncpasswd=p w,keymap=en-us"])
        #expect(t["acpi"] == nil)
        let reasons = Dictionary(t.xl.untranslated.map { ($0.key, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons["image linux acpi"] == "applies to HVM guests only")
        #expect(reasons["device vkbd 0"]?.contains("keyboard") == true)
        #expect(reasons["device console 0"] != nil)
        #expect(reasons["device vtpm 0"]?.contains("vTPM") == true)
        #expect(reasons["device floppy 0"] == "unknown device class")
        let comma = T.failure(T.record(devices: [.list([.s("vfb"), .pair("vnc", "1"), .pair("vncpasswd", "a,b")])]))
        #expect(comma?.kind == .malformed && comma?.message.contains("comma") == true)
    }

    @Test("PCI passthrough")
    func pci() throws {
        let dev: P = .list([
            .s("dev"), .pair("domain", "0x0000"), .pair("bus", "0x0a"), .pair("slot", "0x1f"),
            .pair("func", "0x7"), .pair("vdevfn", "0x28"), .list([.s("opts"), .pair("msitranslate", "0")]),
            .list([.s("opts"), .pair("power_mgmt", "1")]), .list([.s("opts"), .pair("frobnicate", "1")]),
        ])
        let auto: P = .list([
            .s("dev"), .pair("domain", "0x0001"), .pair("bus", "0x00"), .pair("slot", "0x02"),
            .pair("func", "0x0"), .pair("vdevfn", "0x100"),
        ])
        let bad: P = .list([
            .s("dev"), .pair("domain", "0x0000"), .pair("bus", "0x100"), .pair("slot", "0"), .pair("func", "0"),
        ])
        let t = try T.translate(guest: .hvm, devices: [.list([.s("pci"), .pair("uuid", "u"), dev, auto, bad])])
        #expect(t.list("pci") == ["0000:0a:1f.7@05,msitranslate=0,power_mgmt=1", "0001:00:02.0"])
        #expect(t.noted("device pci 0 frobnicate"))
        #expect(t.noted("device pci 0"), "bus 0x100 is not a bus")
    }

    // MARK: errors

    @Test("records that cannot be translated, with offsets")
    func errors() {
        func check(
            _ text: String, _ kind: XendConfigError.Kind, at offset: Int?, _ fragment: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let error = T.failure(Array(text.utf8))
            #expect(error?.kind == kind, "\(String(describing: error))", sourceLocation: sourceLocation)
            if let offset {
                #expect(
                    error?.offset == 20 + UInt64(offset), "\(String(describing: error))", sourceLocation: sourceLocation
                )
            }
            #expect(
                error?.message.contains(fragment) == true, "\(String(describing: error))",
                sourceLocation: sourceLocation)
        }
        let image = "(image (linux (kernel /k)))"
        check("(config (name a) (memory 1) \(image))", .malformed, at: 0, "not (domain")
        check("(domain (name a) (memory 1))", .malformed, at: 0, "neither kernel nor bootloader")
        check("(domain (name a) (memory 1) (image (netbsd)))", .unsupported, at: 35, "netbsd")
        check("(domain (name a) \(image))", .malformed, at: 0, "no memory")
        check("(domain (name a) (memory 512M) \(image))", .malformed, at: 25, "memory 512M is not a number")
        check("(domain (name a) (memory 0) \(image))", .malformed, at: 25, "out of range")
        check("(domain (name a) (memory 1) (vcpus two) \(image))", .malformed, at: 35, "vcpus two is not a number")
        check("(domain (name a) (memory 1) (vcpus 0) \(image))", .malformed, at: 35, "out of range")
        check("(domain (name a) (memory 1) (vcpus 2) (vcpu_avail 0) \(image))", .malformed, at: 0, "no vcpu online")
        check("(domain (memory 1) \(image))", .malformed, at: 0, "no domain name")
        check("(domain (name '') (memory 1) \(image))", .malformed, at: 14, "is empty")
        check("(domain (name 1234) (memory 1) \(image))", .malformed, at: 14, "all digits")
        check("(domain (name Domain-0) (memory 1) \(image))", .malformed, at: 14, "dom0")
        check("(domain (name 'a\\nb') (memory 1) \(image))", .malformed, at: 14, "control characters")
        check("(domain (name a) (memory 1) (uuid 1234) \(image))", .malformed, at: 34, "not a UUID")
        check("(domain (name a) (memory 1) (image (linux (kernel '/k\\x00'))))", .malformed, at: 0, "NUL")
        check("(domain (name a) (memory 1) \(image) (device (vif (mac 00:16:3e:xx:00:00))))", .malformed, at: 0, "MAC")
        check("(domain (name a) (memory 1) \(image)", .malformed, at: 0, "never closed")
    }

    // MARK: escaping

    @Test("names and paths with quotes, backslashes, spaces, tabs and non-ASCII read back the same")
    func escaping() throws {
        let hard = ["it's \"quoted\"", "back\\slash\\", "caf\u{e9} \u{65e5}\u{672c}", "a #not a comment", "[x, y]=z;"]
        for text in hard {
            let path = text + "\t\u{7}\u{1b}"
            let t = try T.translate(
                name: text, image: [.pair("kernel", "/boot/" + path), .pair("args", path + "\n2nd line")],
                devices: [Self.disk(uname: "file:/srv/" + path, dev: "xvda")])
            #expect(t["name"] == text)
            #expect(t["kernel"] == "/boot/" + path)
            #expect(t["extra"] == path + "\n2nd line")
            #expect(Self.diskFields(t).first?["target"] == "/srv/" + path)
        }
        // Bytes that are not UTF-8 stay as they were.
        let raw: [UInt8] = [0x6e, 0xff, 0xfe, 0x80, 0x01, 0x7f, 0x22, 0x5c]
        let config = P.list([
            .s("domain"), .pair("name", "n"), .pair("memory", 64),
            .list([.s("image"), .list([.s("linux"), .list([.s("kernel"), .str(raw)])])]),
        ]).sxpString()
        let t = try T.translate(config)
        #expect(t.grammar["kernel"]?.bytes == raw)
    }

    @Test("any byte string but NUL survives xl quoting", arguments: Array(UInt64(0)..<30))
    func quotingProperty(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let bytes = (0..<Int(rng.below(40))).map { _ in UInt8(1 + rng.below(255)) }
        let line = Array("k = ".utf8) + (try XLConfig.quoted(bytes, "k")) + [0x0a]
        #expect(try XLConfigGrammar.parse(line)["k"]?.bytes == bytes)
        #expect(throws: XendConfigError.self) { try XLConfig.quoted(bytes + [0], "k") }
    }

    // MARK: the presets

    @Test("every preset translates into a configuration xl's grammar reads", arguments: XendPreset.allCases)
    func presets(preset: XendPreset) throws {
        let image = XendImage.preset(preset)
        let t = try T.translate(image.config)
        #expect(t["type"] == (preset.guest == .pv ? "pv" : "hvm"))
        #expect(t["vcpus"] == String(preset.onlineVCPUs))
        #expect(t.xl.untranslated.contains { $0.key == "domid" && $0.reason.contains("runtime") })
        let text = String(decoding: t.xl.text, as: UTF8.self)
        #expect(text.contains("# Not carried over from the xend configuration:\n#   "))
        #expect(t.xl.summary.contains(preset.guest == .pv ? ": PV, " : ": HVM, "))
        switch preset {
        case .pvKernel:
            #expect(t["name"] == "debian-web" && t["kernel"] == "/boot/vmlinuz-3.2.0-4-amd64")
            #expect(t["extra"] == "root=/dev/xvda2 ro console=hvc0 quiet")
            #expect(Self.diskFields(t).map { $0["vdev"] } == ["xvda2", "xvda1"])
            #expect(t.xl.summary == "xend domain \"debian-web\": PV, 2 vcpus, 1024 MiB, 2 disks, 1 vif")
        case .pvPygrub:
            #expect(t["name"] == "caf\u{e9}-db" && t["bootloader"] == "pygrub" && t.list("bootloader_args") == ["-q"])
            #expect(t["maxvcpus"] == "4" && t.list("cpus") == ["0-1", "0-1", "2-3", "2-3"])
            #expect(t["on_crash"] == "coredump-restart")
            #expect(
                Self.diskFields(t).first == [
                    "format": "qcow2", "vdev": "xvda", "access": "rw",
                    "target": "/srv/xen/caf\u{e9} db/disk's \"root\".qcow2",
                ])
            #expect(t.list("vfb") == ["vnc=1,vnclisten=127.0.0.1,vncunused=1,keymap=de"])
        case .hvmWindows:
            #expect(t["viridian"] == "1" && t["localtime"] == "1" && t["rtc_timeoffset"] == "-3600")
            #expect(t["vncpasswd"] == "S3cr3t!\"q'" && t["boot"] == "dc" && t.list("usbdevice") == ["tablet"])
            #expect(Self.diskFields(t).last?["devtype"] == "cdrom")
            #expect(t.noted("parallel"))
        case .hvmLinux:
            #expect(t["nographic"] == "1" && t["vnc"] == "0" && t["videoram"] == "8" && t["hap"] == "0")
            #expect(t["tsc_mode"] == "always_emulate" && t["timer_mode"] == "delay_for_missed_ticks")
            #expect(Self.diskFields(t).map { $0["format"] } == ["vhd", "empty"])
            #expect(t.list("pci") == ["0000:03:00.0,msitranslate=1"])
            #expect(t.list("vif")?.last?.contains("rate=10Mb/s@20ms") == true)
        }
    }

    @Test("the translation table: one Markdown row per entry, every written key in it")
    func table() throws {
        let markdown = XendTranslation.markdown()
        let lines = markdown.split(separator: "\n")
        #expect(lines.count == XendTranslation.table.count + 2)
        #expect(
            lines.dropFirst(2).allSatisfy {
                $0.hasPrefix("| ") && $0.hasSuffix(" |") && $0.split(separator: "|").count >= 4
            })
        let xlColumn = XendTranslation.table.map(\.xl).joined(separator: ", ")
        for preset in XendPreset.allCases {
            for name in try T.translate(XendImage.preset(preset).config).grammar.names {
                let documented =
                    xlColumn.contains(name)
                    || XendTranslation.table.contains { $0.xl == "the same" && $0.xend.contains(name) }
                #expect(documented, "\(name) is written but not in the table")
            }
        }
    }
}
