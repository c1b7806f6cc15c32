import TestSupport
import Testing
import XendConfig

/// Records written the way xend wrote them (Tests/Fixtures/xend), one per
/// dialect of Xen 4.0 to 4.4's xend: each is read, translated, and the
/// xl.cfg read back with xl's grammar.
@Suite("xend dialects, from records as xend wrote them")
struct XendDialectTests {
    typealias Translated = XendTranslationTests.Translated

    static func translate(_ name: String) throws -> Translated {
        try XendTranslationTests.translate(try XendFixtures.bytes(name))
    }

    @Test("every fixture record translates to an xl.cfg xl's grammar reads", arguments: XendFixtures.names)
    func everyFixture(name: String) throws {
        let t = try Self.translate(name)
        #expect(t["name"] != nil && t["type"] != nil)
        #expect(t["on_crash"] != nil)
    }

    @Test("there is a fixture for each dialect")
    func fixturesPresent() {
        #expect(
            Set(XendFixtures.names).isSuperset(of: [
                "pv-dashless-uuid", "pv-pygrub-no-image", "hvm-cdrom-image", "hvm-emulated-disks", "hvm-xm-create",
            ]))
    }
}

extension XendDialectTests {
    @Test("a UUID without dashes (xend's uuid.fromString dropped them) is written in xl's dashed form")
    func dashlessUUID() throws {
        let t = try Self.translate("pv-dashless-uuid")
        #expect(t["uuid"] == "596a5d21-71f4-8fb2-e068-e2386a5c413e")
        let upper = try Self.translate("pv-pygrub-no-image")
        #expect(upper["uuid"] == "8b1e4c6a-52f0-3d9e-7c41-b2a9d0f6e314")
        // Still refused: what xend's int(s, 16) refused too.
        for bad in ["596a5d2171f48fb2e068e2386a5c413", "596a5d2171f48fb2e068e2386a5c413g", "x"] {
            let record = XendTranslationTests.record(top: [.pair("uuid", bad)])
            #expect(XendTranslationTests.failure(record)?.message.contains("is not a UUID") == true, "\(bad)")
        }
    }

    @Test("PV from a kernel: kernel, ramdisk, root put in front of args, pinned vcpus, vfb from a legacy (type vnc)")
    func pvKernel() throws {
        let t = try Self.translate("pv-dashless-uuid")
        #expect(t["type"] == "pv")
        #expect(t["kernel"] == "/boot/vmlinuz-2.6.32-5-xen-amd64")
        #expect(t["ramdisk"] == "/boot/initrd.img-2.6.32-5-xen-amd64")
        #expect(t["extra"] == "root=/dev/xvda1 ro console=hvc0 xencons=tty")
        #expect(t["memory"] == "768" && t["maxmem"] == "1024")
        #expect(t["vcpus"] == "2" && t["maxvcpus"] == nil)
        #expect(t["cpus"] == "0-1")
        #expect(t["cpu_weight"] == "512" && t["cap"] == "50")
        #expect(t["shadow_memory"] == nil, "0 is the default")
        #expect(
            t.list("disk") == [
                "format=raw,vdev=xvda1,access=rw,target=/dev/vg0/mail01-root",
                "format=raw,vdev=xvda2,access=rw,target=/srv/xen/mail01-swap.img",
            ])
        #expect(t.list("vif") == ["mac=00:16:3e:4a:11:07,bridge=eth0,script=/etc/xen/scripts/vif-bridge,ip=192.0.2.25"])
        #expect(t.list("vfb") == ["vnc=1,vncunused=1,keymap=en-us"])
        #expect(t.noted("device vtpm 0") && t.noted("device vkbd 0") && t.noted("device console 0"))
    }

    @Test("a bootloader domain without (image ...): PV, pygrub, tap:aio, tap:qcow and tap:tapdisk:qcow2 disks")
    func bootloaderWithoutImage() throws {
        let t = try Self.translate("pv-pygrub-no-image")
        #expect(t["type"] == "pv")
        #expect(t["kernel"] == nil)
        #expect(t["bootloader"] == "pygrub")
        #expect(t.list("bootloader_args") == ["-q"])
        #expect(t["cpus"] == "0-3")
        #expect(
            t.list("disk") == [
                "format=raw,vdev=xvda,access=rw,target=/srv/xen/web-frontend/disk.img",
                "format=qcow,vdev=xvdb,access=rw,target=/srv/xen/web-frontend/data.qcow",
                "format=qcow2,vdev=xvdc,access=ro,target=/srv/xen/web-frontend/logs.qcow2",
            ])
        #expect(t.list("vif") == ["mac=00:16:3e:1f:2c:88,bridge=xenbr0,vifname=web0,rate=50000000B/s@50000us"])
        #expect(t.xl.untranslated.isEmpty, "\(t.xl.untranslated)")
        // Neither image nor bootloader: nothing can boot it.
        let none = Array("(domain (name a) (memory 64))".utf8)
        #expect(XendTranslationTests.failure(none)?.message.contains("neither kernel nor bootloader") == true)
    }

    @Test("HVM: the image's cdrom becomes the emulated CD-ROM hdc; serial list, usbdevice, vnc, keymap, localtime")
    func hvmImageCDROM() throws {
        let t = try Self.translate("hvm-cdrom-image")
        #expect(t["type"] == "hvm" && t["device_model_version"] == "qemu-xen-traditional")
        #expect(
            t.list("disk") == [
                "format=raw,vdev=hda,access=rw,target=/srv/xen/install-wks.img",
                "format=raw,vdev=hdc,access=ro,devtype=cdrom,target=/srv/iso/boot.iso",
            ])
        #expect(!t.noted("image hvm cdrom"))
        #expect(t.list("serial") == ["pty", "file:/var/log/xen/install-wks-serial.log"])
        #expect(t.list("usbdevice") == ["tablet"] && t["usb"] == "1")
        #expect(t["vnc"] == "1" && t["vncdisplay"] == "7" && t["vncunused"] == "0" && t["vnclisten"] == "0.0.0.0")
        #expect(t["keymap"] == "fr" && t["sdl"] == "0")
        #expect(t["localtime"] == "1" && t["rtc_timeoffset"] == "3600")
        #expect(t["boot"] == "dc" && t["shadow_memory"] == "9")
        #expect(t["timer_mode"] == "no_delay_for_missed_ticks")
        // hdc taken by a device: the image's cdrom is noted, not written twice.
        let clash = XendTranslationTests.record(
            guest: .hvm, image: [.pair("cdrom", "/srv/iso/a.iso")],
            devices: [
                .list([.s("vbd"), .pair("uname", "phy:/dev/sr0"), .pair("dev", "hdc:cdrom"), .pair("mode", "r")])
            ])
        let c = try XendTranslationTests.translate(clash)
        #expect(c.list("disk") == ["format=raw,vdev=hdc,access=ro,devtype=cdrom,target=/dev/sr0"])
        #expect(c.noted("image hvm cdrom"))
    }

    @Test("HVM emulated disks: ioemu:hda, tap:qcow, ioemu:hdc:cdrom, tap2 with tapdisk:vhd and w!, tap:aio on a vbd")
    func hvmEmulatedDisks() throws {
        let t = try Self.translate("hvm-emulated-disks")
        #expect(
            t.list("disk") == [
                "format=raw,vdev=hda,access=rw,target=/srv/xen/db-legacy/system.img",
                "format=qcow,vdev=hdb,access=rw,target=/srv/xen/db-legacy/data.qcow",
                "format=raw,vdev=hdc,access=ro,devtype=cdrom,target=/dev/sr0",
                "format=vhd,vdev=hdd,access=rw,target=/srv/xen/db-legacy/archive.vhd",
                "format=raw,vdev=sda,access=rw,target=/srv/xen/db-legacy/scratch.img",
            ])
        #expect(t.noted("device tap2 0 mode"))
        #expect(t.list("pci") == ["0000:04:00.0,msitranslate=1,power_mgmt=0"])
        #expect(t["vcpus"] == "3" && t["maxvcpus"] == "4")
        #expect(t.list("cpus") == ["2-3", "2-3", "all", "all"])
        #expect(t["cpu_weight"] == "128" && t["cap"] == "100" && t["on_crash"] == "coredump-destroy")
        #expect(t["timer_mode"] == "no_missed_ticks_pending" && t["tsc_mode"] == "native")
        #expect(t["rtc_timeoffset"] == "-7200" && t["localtime"] == "0")
        #expect(t["hpet"] == "1" && t["hap"] == "1" && t["viridian"] == "1" && t["xen_platform_pci"] == "0")
        #expect(t["stdvga"] == "1" && t["videoram"] == "8")
        #expect(t.list("usbdevice") == ["tablet"] && t.list("serial") == ["pty"])
        #expect(
            t.list("vif") == [
                "mac=00:16:3e:6c:7d:8e,bridge=br-db,type=ioemu,model=e1000,script=/etc/xen/scripts/vif-bridge"
            ])
    }

    @Test(
        "an xm create (vm ...) record: top-level localtime, hvmloader as kernel, SDL display, empty CD-ROM, xend's defaults"
    )
    func xmCreateRecord() throws {
        let t = try Self.translate("hvm-xm-create")
        #expect(t["type"] == "hvm" && t["uuid"] == nil)
        #expect(t["localtime"] == "1")
        #expect(t["sdl"] == "1" && t["display"] == ":0.0" && t["xauthority"] == "/root/.Xauthority")
        #expect(t["opengl"] == "1" && t["vnc"] == "0")
        #expect(t["soundhw"] == "es1370" && t.list("usbdevice") == ["mouse"] && t["boot"] == "c")
        #expect(
            t.list("disk") == [
                "format=raw,vdev=hda,access=rw,target=/srv/xen/winxp-lab.img",
                "format=empty,vdev=hdc,access=ro,devtype=cdrom,target=",
            ])
        // xend's defaults where xl's differ: hpet and hap off.
        #expect(t["hpet"] == "0" && t["hap"] == "0")
        #expect(t.noted("image hvm kernel") && t.noted("image hvm fda") && t.noted("parallel"))
    }
}

extension XendDialectTests {
    static func disk(_ uname: String, dev: String = "xvda") -> [UInt8] {
        XendTranslationTests.record(devices: [
            .list([.s("tap"), .pair("uname", uname), .pair("dev", dev), .pair("mode", "w")])
        ])
    }

    @Test("blktap unames: the subtypes xend stripped, and the drivers xl has no format for")
    func blktapUnames() throws {
        for (uname, spec) in [
            ("tap:ioemu:aio:/i/a.img", "format=raw,vdev=xvda,access=rw,target=/i/a.img"),
            ("tap:tapdisk:sync:/i/a.img", "format=raw,vdev=xvda,access=rw,target=/i/a.img"),
            ("tap2:aio:/i/a.img", "format=raw,vdev=xvda,access=rw,target=/i/a.img"),
            ("tap2:tapdisk:vhd:/i/a.vhd", "format=vhd,vdev=xvda,access=rw,target=/i/a.vhd"),
            ("tap:qcow:/i/a.qcow", "format=qcow,vdev=xvda,access=rw,target=/i/a.qcow"),
        ] {
            let t = try XendTranslationTests.translate(Self.disk(uname))
            #expect(t.list("disk") == [spec], "\(uname)")
        }
        for (uname, driver) in [
            ("tap:ioemu:/i/a.img", "ioemu"), ("tap:vmdk:/i/a.vmdk", "vmdk"), ("tap2:remus:/i/a", "remus"),
            ("tap:ram:/i/a", "ram"),
        ] {
            let error = XendTranslationTests.failure(Self.disk(uname))
            #expect(error?.kind == .unsupported && error?.message.contains("'\(driver)'") == true, "\(uname)")
        }
    }
}
