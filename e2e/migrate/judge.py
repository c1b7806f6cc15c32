#!/usr/bin/env python3
"""Rows and timings of the two-host migration test, from link.py stamp's log.

  judge.py STAMPS ITEM...

STAMPS holds "SECONDS HOST LINE" lines, SECONDS on this machine's clock,
HOST old or new. LINE is a dom0's mark ("E2E migrate ITEM GUEST start",
"E2E sent ITEM PASS ...", "E2E received ITEM PASS ...", ...) or a line of a
guest's console ("GUEST count N"). Prints one row per ITEM for run.sh
("PASS|FAIL mig-ITEM SECONDS DETAIL"), then the timing table as "e2e:"
lines. A migration passes when both ends' verdicts pass and, where it was
meant to succeed, the guest's first count on the new host follows its last
on the old one (by one, or two when the save cut a line).

Times: the migration is from the sender's start mark to its end mark (xl
migrate's run); the downtime is from the guest's last count line on the
old host to its first on the new one. Both are on the one clock.
"""

import re
import statistics
import sys


def read(path):
    events = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) == 3:
                try:
                    events.append((float(parts[0]), parts[1], parts[2].strip()))
                except ValueError:
                    pass
    return events


COUNT = re.compile(r"^(\S+) count (\d+)$")


def judge(events, item):
    marks = {}
    verdict = {}
    guest = None
    for t, host, line in events:
        m = re.match(r"^E2E (migrate|receive) (\S+) (\S+) (start|end)", line)
        if m and m.group(2) == item:
            marks[(m.group(1), m.group(4))] = t
            guest = m.group(3)
        m = re.match(r"^E2E (sent|received) (\S+) (PASS|FAIL) (\S+) ?(.*)$", line)
        if m and m.group(2) == item:
            verdict[m.group(1)] = (m.group(3), m.group(5))
    row = {"item": item, "secs": None, "down": None}
    if ("migrate", "start") in marks and ("migrate", "end") in marks:
        row["secs"] = marks[("migrate", "end")] - marks[("migrate", "start")]
    problems = []
    for end, who in (("sent", "old host"), ("received", "new host")):
        if end not in verdict:
            problems.append(f"[no-result] the {who} gave no verdict")
        elif verdict[end][0] == "FAIL":
            problems.append(f"{who}: {verdict[end][1]}")
    details = [f"{who}: {verdict[end][1]}" for end, who in (("sent", "old"), ("received", "new"))
               if end in verdict and verdict[end][0] == "PASS"]
    fault = item in ("cut", "kill")
    if guest and not fault and ("migrate", "start") in marks:
        start = marks[("migrate", "start")]
        old = [(t, int(m.group(2))) for t, h, l in events
               if h == "old" and t >= start - 600 and (m := COUNT.match(l)) and m.group(1) == guest]
        new = [(t, int(m.group(2))) for t, h, l in events
               if h == "new" and t >= start and (m := COUNT.match(l)) and m.group(1) == guest]
        if not new:
            problems.append("[not-resumed] no count from the guest on the new host")
        elif not old:
            problems.append("[no-count] no count from the guest on the old host")
        else:
            before = [c for c in old if c[0] <= new[0][0]]
            last = before[-1] if before else old[-1]
            first = new[0][1]
            second = new[1][1] if len(new) > 1 else None
            if not last[1] < first <= last[1] + 2 or second != first + 1:
                problems.append(f"[not-resumed] counted {last[1]} on the old host, then {first} {second} on the new one")
            else:
                row["down"] = new[0][0] - last[0]
                details.insert(0, f"counts on from {last[1]} to {first} after {row['down']:.2f} s down")
    row["ok"] = not problems
    row["detail"] = "; ".join(problems if problems else details)
    return row


def spread(values):
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f}, n={len(values)})"


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
        return 2
    events = read(argv[0])
    rows = [judge(events, item) for item in argv[1:]]
    for r in rows:
        secs = f"{r['secs']:.2f}" if r["secs"] is not None else "0"
        print(f"{'PASS' if r['ok'] else 'FAIL'} mig-{r['item']} {secs} {r['detail'][:600]}")
    table = {}
    for r in rows:
        kind = r["item"].split("-")[0]
        if kind in ("ours", "python") and r["ok"]:
            table.setdefault(kind, ([], []))
            table[kind][0].append(r["secs"])
            table[kind][1].append(r["down"])
    print("e2e: two hosts, timings on this machine's clock: median (min-max, runs), seconds")
    print(f"e2e:   {'converter':<28} {'migration':<26} {'downtime':<26}")
    names = {"ours": "ours (package's path)", "python": "Xen's Python converter"}
    for kind in ("ours", "python"):
        secs, down = table.get(kind, ([], []))
        print(f"e2e:   {names[kind]:<28} {spread(secs):<26} {spread(down):<26}")
    if "ours" in table and "python" in table:
        m = statistics.median(table["ours"][0]) / statistics.median(table["python"][0])
        d = statistics.median(table["ours"][1]) / statistics.median(table["python"][1])
        print(f"e2e:   ratio ours/Python (medians): migration {m:.2f}, downtime {d:.2f} (goal: at most 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
