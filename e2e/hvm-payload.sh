# Sourced by e2e/run.sh: write_hvm_payload FILE writes the HVM test guest, a
# boot sector that counts on Xen's debug port (0xe9, which Xen prints on its
# console as "(dN) count K", readable with xl dmesg). Interrupts stay off: it
# polls the RTC's seconds register and prints the next count when it changes.
# It pauses in a loop (no exit to Xen) between two looks at the RTC: each
# look is two exits to Xen, which nested emulation (QEMU's TCG emulating SVM
# for Xen) now and then gets wrong, so fewer looks mean fewer chances of a
# guest that faults for no reason of its own (docs/testing.md).
# The count is in SI, so it is carried by the vCPU state through a save.
# Hand-assembled 16-bit code (offsets in the comments), loaded by SeaBIOS at
# 0x7c00 from the guest's first IDE disk.
write_hvm_payload() {
    local code=(
        fa                  # 00 cli
        31 c0               # 01 xor ax,ax
        8e d8               # 03 mov ds,ax
        8e d0               # 05 mov ss,ax
        bc 00 7c            # 07 mov sp,0x7c00
        31 f6               # 0a xor si,si            the count
        e8 42 00            # 0c call 0x51            al = RTC seconds
        88 c3               # 0f mov bl,al
        e8 3d 00            # 11 call 0x51            wait:
        38 d8               # 14 cmp al,bl
        74 f9               # 16 je 0x11
        88 c3               # 18 mov bl,al
        46                  # 1a inc si
        b0 63 e6 e9         # 1b out 0xe9,'c'
        b0 6f e6 e9         # 1f 'o'
        b0 75 e6 e9         # 23 'u'
        b0 6e e6 e9         # 27 'n'
        b0 74 e6 e9         # 2b 't'
        b0 20 e6 e9         # 2f ' '
        89 f0               # 33 mov ax,si
        31 c9               # 35 xor cx,cx            digits pushed
        bf 0a 00            # 37 mov di,10
        31 d2               # 3a xor dx,dx            next digit:
        f7 f7               # 3c div di
        52                  # 3e push dx
        41                  # 3f inc cx
        85 c0               # 40 test ax,ax
        75 f6               # 42 jnz 0x3a
        58                  # 44 pop ax               print a digit:
        04 30               # 45 add al,'0'
        e6 e9               # 47 out 0xe9,al
        e2 f9               # 49 loop 0x44
        b0 0a e6 e9         # 4b out 0xe9,'\n'
        eb c0               # 4f jmp 0x11
        ba 08 00            # 51 mov dx,8             a pause first:
        b9 ff ff            # 54 mov cx,0xffff        8 x 65535 loops
        e2 fe               # 57 loop 0x57
        4a                  # 59 dec dx
        75 f8               # 5a jnz 0x54
        b0 00               # 5c mov al,0             RTC register 0:
        e6 70               # 5e out 0x70,al          seconds
        e4 71               # 60 in al,0x71
        c3                  # 62 ret
    )
    local b
    : > "$1"
    for b in "${code[@]}"; do printf "\\x$b" >> "$1"; done
    # Pad to 510 bytes, the boot signature, then pad the disk to 1 MiB.
    truncate -s 510 "$1"
    printf '\x55\xaa' >> "$1"
    truncate -s 1M "$1"
}
