#!/usr/bin/env python3
"""Builds the fuzz seed corpus (fuzz/corpus/{convert,verify}/) from the
conformance vectors in Tests/Fixtures/conformance.

Each seed is one mode byte (see Sources/FuzzSupport/FuzzMode.swift) followed by a
vector's input (for the io target, a second byte; see FuzzIo.swift), with
its page data thinned out: every page batch (legacy)
or PAGE_DATA record (v2/v3) keeps one page-carrying entry and a few
dataless ones, so seeds stay small and the fuzzer spends its time on the
structure rather than on copying pages. Anything the walker cannot follow
(the vectors that are broken on purpose) is kept as it is from there on.

Usage: fuzz/make-corpus.py   (run from anywhere; rewrites fuzz/corpus/)
"""
import hashlib
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "conformance")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
XL_MAGIC = b"Xen saved domain, xl format\n \0 \r"
PAGE = 4096
IO_VECTORS = {"hvm64-libxl", "pv64-libxc", "hvm32-libxc-toolstack-xl", "pv32-libxl-v3", "hvm64-skip-qemu",
              "pv64-libxl-toolstack-xl", "hvm64-libxc-v3", "pv32-libxc"}


class Stop(Exception):
    """The walker cannot go on: the rest of the input is copied as is."""


class Walker:
    def __init__(self, data):
        self.data, self.pos, self.out = data, 0, bytearray()

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise Stop()
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def copy(self, n):
        chunk = self.take(n)
        self.out += chunk
        return chunk

    def u32(self, copy=True):
        b = self.copy(4) if copy else self.take(4)
        return struct.unpack("<I", b)[0]

    def i32(self, copy=True):
        b = self.copy(4) if copy else self.take(4)
        return struct.unpack("<i", b)[0]

    def ulong(self, width, copy=True):
        n = width // 8
        b = self.copy(n) if copy else self.take(n)
        return int.from_bytes(b, "little")

    def finish(self, stopped=False):
        # Past a point the walker could not follow only the first bytes
        # matter: that is where the vector breaks.
        rest = self.data[self.pos:]
        return bytes(self.out) + (rest[:8192] if stopped else rest)


def thin(entries, carries_data):
    """One page-carrying entry and up to three dataless ones, in order;
    a batch with duplicates keeps just them (that is what it tests)."""
    if len(set(entries)) != len(entries):
        return [e for e in entries if entries.count(e) > 1]
    kept, have_data, dataless = [], False, 0
    for e in entries:
        if carries_data(e):
            if not have_data:
                kept.append(e)
                have_data = True
        elif dataless < 3:
            kept.append(e)
            dataless += 1
    return kept


def fat_pages(count, first_pfn):
    """`count` normal pages with distinct pfns: a batch big enough (64 KiB
    and more) for the zero-copy paths."""
    pfns = list(range(first_pfn, first_pfn + count))
    pages = b"".join(bytes([p & 0xFF]) * PAGE for p in pfns)
    return pfns, pages


def shrink_legacy(data, width, pv, xl, fat=False):
    w = Walker(data)
    batches = 0
    try:
        if xl:
            w.copy(32 + 12)
            w.copy(w.u32())
        p2m = w.ulong(width)
        guest_width = 8
        if pv:
            w.ulong(width)
            total = w.u32()
            block_start = w.pos
            while w.pos - block_start < total:
                ident = w.copy(4)
                size = w.u32()
                w.copy(size)
                if ident == b"vcpu":
                    guest_width = 8 if size == 0x1430 else 4
            frames = (p2m - 1) // (PAGE // guest_width) + 1
            w.copy(frames * (width // 8))
        while True:
            marker = w.i32(copy=False)
            if marker > 0:
                entries = [w.ulong(width, copy=False) for _ in range(marker)]
                has_data = [(e & 0xF0000000) < 0xD0000000 for e in entries]
                pages = {}
                for e, d in zip(entries, has_data):
                    if d:
                        pages[e] = w.take(PAGE)
                kept = thin(entries, lambda e: (e & 0xF0000000) < 0xD0000000)
                batches += 1
                if batches > 4 and len(kept) == len(set(kept)):
                    continue  # a few batches show the layout; more only cost time
                if fat and batches == 1:
                    pfns, fat_data = fat_pages(20, 0x8000)
                    w.out += struct.pack("<i", len(pfns))
                    for e in pfns:
                        w.out += e.to_bytes(width // 8, "little")
                    w.out += fat_data
                    continue
                w.out += struct.pack("<i", len(kept))
                for e in kept:
                    w.out += e.to_bytes(width // 8, "little")
                for e in kept:
                    if e in pages:
                        w.out += pages[e]
                continue
            w.out += struct.pack("<i", marker)
            if marker == 0:
                break
            if marker == -2:
                max_id = w.i32()
                w.copy(8 * (max_id // 64 + 1))
            elif marker in (-3, -4, -8, -10, -11, -14, -15, -16, -17, -19, -20):
                w.copy(12)
            elif marker == -7:
                w.copy(20)
            elif marker in (-12, -18):
                w.copy(w.u32())
            elif marker not in (-1, -9, -13):
                raise Stop()
    except Stop:
        return w.finish(stopped=True)
    return w.finish()


def shrink_libxc(w, fat=False):
    w.copy(24 + 16)
    page_records = 0
    while True:
        rtype, length = w.u32(), w.u32()
        padded = (length + 7) & ~7
        if rtype == 1 and length >= 8:
            count = w.u32(copy=False)
            reserved = w.u32(copy=False)
            pfns = [struct.unpack("<Q", w.take(8))[0] for _ in range(count)]
            carries = lambda p: ((p >> 60) & 7) <= 4
            pages = {p: w.take(PAGE) for p in pfns if carries(p)}
            w.take(padded - 8 - 8 * count - PAGE * len(pages))
            kept = thin(pfns, carries)
            page_records += 1
            if page_records > 4:
                del w.out[-8:]  # drop the record: a few show the layout
                continue
            if fat and page_records == 1:
                kept, fat_data = fat_pages(20, 0x8000)
                pages = {p: fat_data[i * PAGE:(i + 1) * PAGE] for i, p in enumerate(kept)}
            body = struct.pack("<II", len(kept), reserved)
            body += b"".join(struct.pack("<Q", p) for p in kept)
            body += b"".join(pages[p] for p in kept if p in pages)
            # Rewrite the record header already copied.
            w.out[-4:] = struct.pack("<I", len(body))
            w.out += body
            continue
        w.copy(padded)
        if rtype == 0:
            return


def shrink_v2(data, fmt, fat=False):
    w = Walker(data)
    try:
        if fmt == "xl":
            w.copy(32 + 4)
            mandatory = w.u32()
            w.copy(4)
            w.copy(w.u32())
            fmt = "libxl" if mandatory & 2 else "libxc"
        if fmt == "libxc":
            shrink_libxc(w, fat)
        else:
            w.copy(16)
            while True:
                rtype, length = w.u32(), w.u32()
                w.copy((length + 7) & ~7)
                if rtype == 1:
                    shrink_libxc(w, fat)
                if rtype == 0:
                    break
    except Stop:
        return w.finish(stopped=True)
    return w.finish()


def arg(args, *names):
    for i, a in enumerate(args):
        if a in names and i + 1 < len(args):
            return args[i + 1]
    return None


def convert_mode(args):
    mode = 0
    if arg(args, "-w", "--width") == "32":
        mode |= 0x01
    if arg(args, "-g", "--guest", "--guest-type") == "pv":
        mode |= 0x02
    if arg(args, "-f", "--format") == "libxl":
        mode |= 0x04
    if arg(args, "--stream-version") == "3":
        mode |= 0x08
    if "-x" in args or "--xl" in args:
        mode |= 0x10
    if "--skip-qemu" in args:
        mode |= 0x20
    return mode


def main():
    seeds = {"convert": {}, "verify": {}, "io": {}}
    cdir = os.path.join(FIXTURES, "convert")
    for name in sorted(os.listdir(cdir)):
        vdir = os.path.join(cdir, name)
        args = open(os.path.join(vdir, "args")).read().split()
        data = open(os.path.join(vdir, "input.legacy"), "rb").read()
        mode = convert_mode(args)
        small = shrink_legacy(data, 32 if mode & 1 else 64, bool(mode & 2), bool(mode & 0x10))
        seeds["convert"][name] = bytes([mode]) + small
        # The same image again, detected instead of described, read slowly.
        if len(small) < 65536:
            seeds["convert"][name + "-detect-slow"] = bytes([0xC0 | (mode & 0x2C)]) + small
        # The io target compares descriptor and memory paths; zero-copy only
        # starts at 64 KiB runs, so the first batch gets 20 pages.
        if not name.startswith("err-") and name in IO_VECTORS:
            fat = shrink_legacy(data, 32 if mode & 1 else 64, bool(mode & 2), bool(mode & 0x10), fat=True)
            seeds["io"][name + "-file"] = bytes([mode, 0]) + fat
            seeds["io"][name + "-pipe"] = bytes([mode, 1]) + fat
    vdir_root = os.path.join(FIXTURES, "verify")
    for name in sorted(os.listdir(vdir_root)):
        vdir = os.path.join(vdir_root, name)
        args = open(os.path.join(vdir, "args")).read().split()
        fmt = arg(args, "-f", "--format") or "libxc"
        data = open(os.path.join(vdir, "stream"), "rb").read()
        mode = {"libxc": 0, "libxl": 1, "xl": 2}[fmt]
        small = shrink_v2(data, fmt)
        seeds["verify"][name] = bytes([mode]) + small
        if name.endswith(("-v3", "-toolstack-xl")):
            seeds["verify"][name + "-slow"] = bytes([0x80 | mode]) + small
        if name in IO_VECTORS:
            fat = shrink_v2(data, fmt, fat=True)
            seeds["io"][name + "-verify-pipe"] = bytes([0, 3 | mode << 2]) + fat
    for target, named in seeds.items():
        out = os.path.join(CORPUS, target)
        os.makedirs(out, exist_ok=True)
        for old in os.listdir(out):
            os.unlink(os.path.join(out, old))
        for name, blob in named.items():
            # Named by vector and content, so a rebuild is reproducible.
            digest = hashlib.sha1(blob).hexdigest()[:8]
            with open(os.path.join(out, f"{name}-{digest}"), "wb") as f:
                f.write(blob)
        total = sum(len(b) for b in named.values())
        print(f"{target}: {len(named)} seeds, {total} bytes, largest {max(len(b) for b in named.values())}")


if __name__ == "__main__":
    sys.exit(main())
