/// The four preset domains. Values are what a running xend 4.x reported
/// (devices from their controllers: `dev` with its `:disk`/`:cdrom` type,
/// a vif `rate` as bytes and microseconds per interval, full script paths).
extension XendRecords {
    static func pvKernel(_ seed: UInt64) -> PyValue {
        var items = common(
            name: Array("debian-web".utf8), uuid: uuid(seed, 1), vcpus: 2, avail: 3,
            cpus: .list([.list([]), .list([])]), memory: 1024, maxmem: 1024, onCrash: "restart")
        items.append(
            .list([
                .s("image"),
                .list([
                    .s("linux"), .pair("kernel", "/boot/vmlinuz-3.2.0-4-amd64"),
                    .pair("ramdisk", "/boot/initrd.img-3.2.0-4-amd64"),
                    .pair("args", "root=/dev/xvda2 ro console=hvc0 quiet"), .pair("superpages", 0),
                    .pair("tsc_mode", 0),
                    .pair("nomigrate", 0), pvNotes,
                ]),
            ]))
        items += runtime(store: 1_245_628)
        items.append(
            device([
                .s("vif"), .pair("bridge", "xenbr0"), .pair("mac", mac(seed, 2)),
                .pair("script", "/etc/xen/scripts/vif-bridge"), .pair("ip", "192.0.2.10"),
                .pair("uuid", uuid(seed, 3)), .pair("backend", 0),
            ]))
        items.append(
            device([.s("console"), .pair("protocol", "vt100"), .pair("location", "2"), .pair("uuid", uuid(seed, 4))]))
        items.append(vbd(seed, 5, uname: "phy:/dev/vg0/debian-web-disk", dev: "xvda2:disk", mode: "w", bootable: 1))
        items.append(
            vbd(
                seed, 6, uname: "file:/var/lib/xen/images/debian-web-swap.img", dev: "xvda1:disk", mode: "w",
                bootable: 0))
        return .list(items)
    }

    static func pvPygrub(_ seed: UInt64) -> PyValue {
        // "café-db": xend keeps the UTF-8 bytes; repr() writes them as \xc3\xa9.
        var items = common(
            name: Array("café-db".utf8), uuid: uuid(seed, 11), vcpus: 4, avail: 3,
            cpus: .list([
                .list([.int(0), .int(1)]), .list([.int(0), .int(1)]),
                .list([.int(2), .int(3)]), .list([.int(2), .int(3)]),
            ]),
            memory: 2048, maxmem: 4096, onCrash: "coredump-restart",
            bootloader: .s("/usr/lib/xen-4.1/bin/pygrub"), bootloaderArgs: .s("-q"), shadow: 0)
        items.append(
            .list([
                .s("image"),
                .list([
                    .s("linux"), .pair("kernel", ""), .pair("superpages", 0), .pair("tsc_mode", 0),
                    .pair("nomigrate", 0), pvNotes,
                ]),
            ]))
        items += runtime(store: 2_099_170)
        items.append(
            device([
                .s("vif"), .pair("bridge", "br-db"), .pair("mac", mac(seed, 12)),
                .pair("script", "/etc/xen/scripts/vif-bridge"), .pair("vifname", "db0"),
                .pair("rate", "1250000,50000"), .pair("uuid", uuid(seed, 13)), .pair("backend", 0),
            ]))
        items.append(
            device([.s("console"), .pair("protocol", "vt100"), .pair("location", "2"), .pair("uuid", uuid(seed, 14))]))
        items.append(
            device([
                .s("tap"), .pair("uname", "tap:qcow2:/srv/xen/café db/disk's \"root\".qcow2"),
                .pair("uuid", uuid(seed, 15)), .pair("bootable", 1), .pair("dev", "xvda:disk"),
                .pair("mode", "w"), .pair("backend", 0),
            ]))
        items.append(
            device([
                .s("vfb"), .pair("vncunused", "1"), .pair("vnc", "1"), .pair("vnclisten", "127.0.0.1"),
                .pair("keymap", "de"), .pair("uuid", uuid(seed, 16)), .pair("location", "127.0.0.1:5901"),
            ]))
        items.append(device([.s("vkbd"), .pair("backend", 0)]))
        return .list(items)
    }

    static func hvmWindows(_ seed: UInt64) -> PyValue {
        var items = common(
            name: Array("win2k8-r2".utf8), uuid: uuid(seed, 21), vcpus: 2, avail: 3,
            cpus: .list([.list([]), .list([])]), memory: 2048, maxmem: 2048, onCrash: "restart", shadow: 18)
        items.append(
            .list([
                .s("image"),
                .list([
                    .s("hvm"), .pair("kernel", ""), .pair("superpages", 0), .pair("videoram", 4), .pair("hpet", 0),
                    .pair("stdvga", 0), .pair("loader", "/usr/lib/xen/boot/hvmloader"), .pair("xen_platform_pci", 1),
                    .pair("nographic", 0), .pair("rtc_timeoffset", -3600), .pair("timer_mode", 1), .pair("acpi", 1),
                    .pair("apic", 1), .pair("boot", "dc"), .pair("device_model", "/usr/lib/xen/bin/qemu-dm"),
                    .pair("pae", 1),
                    .pair("usb", 1), .pair("usbdevice", "tablet"), .pair("localtime", 1), .pair("viridian", 1),
                    .pair("vnc", 1),
                    .pair("vncunused", 1), .pair("vnclisten", "0.0.0.0"), .pair("keymap", "en-gb"),
                    .pair("serial", "pty"),
                    .pair("tsc_mode", 0), .pair("vpt_align", 1), .pair("nomigrate", 0), .pair("hap", 1),
                    .pair("vncpasswd", "S3cr3t!\"q'"), .pair("soundhw", "ac97"), .pair("parallel", "none"),
                    .list([.s("pci"), .list([])]),
                ]),
            ]))
        items += runtime(store: 1_044_476)
        items.append(
            device([
                .s("vif"), .pair("bridge", "xenbr0"), .pair("mac", mac(seed, 22)),
                .pair("script", "/etc/xen/scripts/vif-bridge"), .pair("type", "ioemu"), .pair("model", "e1000"),
                .pair("uuid", uuid(seed, 23)), .pair("backend", 0),
            ]))
        items.append(
            vbd(seed, 24, uname: "file:/var/lib/xen/images/win2k8 r2.img", dev: "hda:disk", mode: "w", bootable: 1))
        items.append(vbd(seed, 25, uname: "phy:/dev/sr0", dev: "hdc:cdrom", mode: "r", bootable: 0))
        items.append(
            device([
                .s("vfb"), .pair("vncunused", "1"), .pair("vnclisten", "0.0.0.0"), .pair("vnc", "1"),
                .pair("keymap", "en-gb"), .pair("vncpasswd", "S3cr3t!\"q'"), .pair("uuid", uuid(seed, 26)),
                .pair("location", "0.0.0.0:5900"),
            ]))
        return .list(items)
    }

    static func hvmLinux(_ seed: UInt64) -> PyValue {
        var items = common(
            name: Array("centos6 build".utf8), uuid: uuid(seed, 31), vcpus: 1, avail: 1,
            cpus: .list([.list([.int(3)])]), memory: 1024, maxmem: 1024, onCrash: "destroy")
        items.append(
            .list([
                .s("image"),
                .list([
                    .s("hvm"), .pair("kernel", ""), .pair("superpages", 0), .pair("videoram", 4), .pair("hpet", 1),
                    .pair("stdvga", 1), .pair("loader", "/usr/lib/xen/boot/hvmloader"), .pair("xen_platform_pci", 1),
                    .pair("nographic", 1), .pair("rtc_timeoffset", 0), .pair("timer_mode", 0), .pair("acpi", 1),
                    .pair("boot", "cd"), .pair("device_model", "/usr/lib/xen/bin/qemu-dm"), .pair("pae", 1),
                    .pair("usb", 0),
                    .pair("localtime", 0), .pair("serial", "pty"), .pair("tsc_mode", 1), .pair("vpt_align", 1),
                    .pair("nomigrate", 0), .pair("vncunused", 1), .pair("pci_msitranslate", 1),
                    .pair("pci_power_mgmt", 0),
                    .list([
                        .s("pci"),
                        .list([.list([.s("0x0000"), .s("0x03"), .s("0x00"), .s("0x0"), .s("0x100"), .list([])])]),
                    ]),
                ]),
            ]))
        items += runtime(store: 262_142)
        items.append(
            device([
                .s("vif"), .pair("bridge", "xenbr0"), .pair("mac", mac(seed, 32)),
                .pair("script", "/etc/xen/scripts/vif-bridge"), .pair("type", "ioemu"),
                .pair("uuid", uuid(seed, 33)), .pair("backend", 0),
            ]))
        items.append(
            device([
                .s("vif"), .pair("bridge", "xenbr1"), .pair("mac", mac(seed, 34)),
                .pair("script", "/etc/xen/scripts/vif-bridge"), .pair("type", "netfront"),
                .pair("rate", "10Mb/s@20ms"), .pair("accel", "sfc"), .pair("uuid", uuid(seed, 35)),
                .pair("backend", 0),
            ]))
        items.append(
            device([
                .s("tap2"), .pair("uname", "tap2:tapdisk:vhd:/var/lib/xen/images/centos6.vhd"),
                .pair("uuid", uuid(seed, 36)), .pair("bootable", 1), .pair("dev", "hda:disk"),
                .pair("mode", "w"), .pair("backend", 0),
            ]))
        items.append(vbd(seed, 37, uname: nil, dev: "hdc:cdrom", mode: "r", bootable: 0))
        items.append(
            device([
                .s("pci"), .pair("uuid", uuid(seed, 38)),
                .list([
                    .s("dev"), .pair("domain", "0x0000"), .pair("bus", "0x03"), .pair("slot", "0x00"),
                    .pair("func", "0x0"),
                    .pair("vdevfn", "0x100"), .pair("key", "03:00.0"), .pair("uuid", uuid(seed, 39)),
                    .list([.s("opts"), .pair("msitranslate", "1")]),
                ]),
            ]))
        return .list(items)
    }
}
