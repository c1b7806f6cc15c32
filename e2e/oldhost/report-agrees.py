#!/usr/bin/env python3
"""report-agrees.py REPORT FACTS: does convert-legacy-stream's --report of an
image an old host saved agree with the guest as that host made it?

REPORT is the JSON the converter wrote (--report); FACTS the shell-style
file e2e/oldhost/save-guests.sh wrote beside the image (kind, width, vcpus,
memory_mib, target_mib). Prints one line saying what agreed, or what did not,
and exits 1 on any disagreement.

The pages: every pfn of the p2m either has a page in the stream (a page of
data, or a page table) or has none (the stream's unmapped-pfn list, or a
batch entry of type invalid); the pages sent are the memory the guest held
when it was saved (its balloon target, in 4 KiB pages).
"""
import json
import sys

NO_DATA = {"invalid", "dropped", "broken", "allocate-only"}


def facts(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                out[key] = value.strip("'\"")
    return out


def main():
    with open(sys.argv[1]) as f:
        report = json.load(f)
    guest = facts(sys.argv[2])
    wrong = []

    def expect(what, got, want):
        if got != want:
            wrong.append(f"{what} {got}, the old host's {want}")

    kind = guest.get("kind", "pv")
    expect("guest type", report.get("guestType"), kind)
    expect("toolstack width", report.get("toolstackWidth"), int(guest.get("width", "64")))
    if kind == "pv":
        expect("guest width", report.get("guestWidth"), int(guest.get("width", "64")))
    expect("vcpus online", len(report.get("vcpusOnline", [])), int(guest["vcpus"]))
    pages = report.get("pagesByType", {})
    sent = sum(n for t, n in pages.items() if t not in NO_DATA)
    unmapped = report.get("unmappedPFNs", 0)
    no_page = unmapped + pages.get("invalid", 0)
    target = int(guest.get("target_mib", guest["memory_mib"])) * 256
    if kind == "hvm":
        # An HVM guest's p2m reaches Xen's special pages near 4 GiB, and its
        # memory has the VGA hole (32 pages) cut out and those pages added:
        # what is sent is its memory within 64 pages.
        if abs(sent - target) > 64:
            wrong.append(f"pages sent {sent}, more than 64 from the old host's {target}")
        if wrong:
            print("; ".join(wrong))
            return 1
        print(
            f"hvm, {len(report['vcpusOnline'])} vcpus online, p2m {report['p2mSize']} pfns: {sent} pages sent "
            f"(the guest's {target} less {target - sent}), {pages.get('dropped', 0)} pfns with no page sent"
        )
        return 0
    expect("pages sent", sent, target)
    expect("pages sent and pfns with no page", sent + no_page, report.get("p2mSize"))
    if wrong:
        print("; ".join(wrong))
        return 1
    print(
        f"{report['guestType']}, {report['guestWidth']}-bit, {len(report['vcpusOnline'])} vcpus online, "
        f"p2m {report['p2mSize']} pfns: {sent} pages sent ({sent // 256} MiB, the guest's memory), "
        f"{no_page} with no page ({unmapped} unmapped, {pages.get('invalid', 0)} invalid)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
