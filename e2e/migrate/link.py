#!/usr/bin/env python3
"""This machine's side of the two-host migration test (e2e/migrate/two-hosts.sh).

  link.py relay --sender SOCK,QMP,PORT --receiver SOCK,QMP,PORT [--cut ITEM:BYTES]
  link.py stamp OUT NAME=SOCK...

relay joins the two dom0s' link ports (virtio-serial; QEMU serves each as a
Unix socket) the way ssh joins the two ends of `xl migrate`. A session starts
when the sender's dom0 opens its port and ends when either dom0 closes its
port (QEMU reports both on QMP as VSERPORT_CHANGE). At the end the relay
hangs up both sockets and connects again, so the other dom0 reads end of
file, as it would when ssh's far end exits. The first line of every session
is the sender's "E2E-SESSION ITEM". With --cut ITEM:BYTES the relay kills
itself (SIGKILL, no clean-up) once session ITEM has carried BYTES from the
sender: the link cut in the middle of the stream.

stamp reads each host's console port (NAME=SOCK) and writes every line to
OUT as "SECONDS NAME LINE", SECONDS on this machine's clock: the one clock
that times both hosts.
"""

import json
import os
import selectors
import signal
import socket
import sys
import time

# After either end closes, the relay keeps forwarding for this long before
# it hangs up: the last bytes of xl's handshake reach the other dom0 before
# its port reports the hang-up.
LINGER = 1.5
# Bytes held for a dom0 that is not reading: past this the relay stops
# reading from the other side, as a pipe would.
HOLD = 1 << 20


def log(msg):
    print(f"{time.time():.3f} relay: {msg}", flush=True)


def connect(path, deadline):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.setblocking(False)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Qmp:
    """One QEMU's monitor: the greeting, capabilities, then events."""

    def __init__(self, path, deadline):
        self.sock = connect(path, deadline)
        self.buf = b""
        self.sock.setblocking(True)
        self.sock.settimeout(max(1.0, deadline - time.monotonic()))
        f = self.sock.makefile("rb")
        json.loads(f.readline())  # the greeting
        self.sock.sendall(b'{"execute": "qmp_capabilities"}\n')
        while "return" not in json.loads(f.readline()):
            pass
        self.sock.setblocking(False)

    def events(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("QMP closed")
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("event") == "VSERPORT_CHANGE":
                yield msg["data"]["id"], msg["data"]["open"]


class Relay:
    def __init__(self, sender, receiver, cut):
        self.ends = {"sender": sender.split(","), "receiver": receiver.split(",")}
        self.cut = cut
        self.sel = selectors.DefaultSelector()
        self.socks = {}
        self.registered = set()
        self.held = {"sender": bytearray(), "receiver": bytearray()}  # bytes to write to it
        self.session = 0
        self.item = None
        self.active = False
        self.header = b""
        self.carried = 0
        self.back = 0
        self.end_at = None
        deadline = time.monotonic() + 120
        self.qmp = {}
        for name, (_, qmp, _) in self.ends.items():
            self.qmp[name] = Qmp(qmp, deadline)
            self.sel.register(self.qmp[name].sock, selectors.EVENT_READ, ("qmp", name))
        self.attach(deadline)

    def attach(self, deadline):
        for name, (path, _, _) in self.ends.items():
            self.socks[name] = connect(path, deadline)
            self.sel.register(self.socks[name], selectors.EVENT_READ, ("data", name))
            self.registered.add(self.socks[name])
            self.held[name].clear()

    def hang_up(self):
        log(f"session {self.session} ({self.item}) ends: {self.carried} bytes from the sender, "
            f"{self.back} back; hanging up both ends")
        for s in self.socks.values():
            if s in self.registered:
                self.sel.unregister(s)
                self.registered.discard(s)
            s.close()
        self.active = False
        self.end_at = None
        time.sleep(0.2)
        self.attach(time.monotonic() + 30)

    def start(self):
        self.session += 1
        self.active, self.item, self.header = True, None, b""
        self.carried = self.back = 0
        self.end_at = None
        log(f"session {self.session} starts")

    def from_sender(self, data):
        if not self.active:
            self.start()  # its data came before QEMU's open event did
        self.carried += len(data)
        if self.item is None:
            self.header += data[:256]
            if b"\n" in self.header:
                line = self.header.split(b"\n", 1)[0].decode("ascii", "replace")
                words = line.split()
                self.item = words[1] if len(words) > 1 and words[0] == "E2E-SESSION" else "?"
                log(f"session {self.session} is {self.item!r}")
        if self.cut and self.item == self.cut[0] and self.carried >= self.cut[1]:
            log(f"session {self.session} ({self.item}): {self.carried} bytes carried; "
                "the relay is killed (SIGKILL)")
            os.kill(os.getpid(), signal.SIGKILL)

    def run(self):
        while True:
            timeout = 0.5
            if self.end_at is not None:
                timeout = max(0.0, min(timeout, self.end_at - time.monotonic()))
            for key, ev in self.sel.select(timeout):
                kind, name = key.data
                if kind == "qmp":
                    try:
                        changes = list(self.qmp[name].events())
                    except (EOFError, OSError):
                        log(f"the {name}'s QEMU is gone")
                        return 0
                    for port, is_open in changes:
                        if port != self.ends[name][2]:
                            continue
                        log(f"{name} port {'opened' if is_open else 'closed'}")
                        if name == "sender" and is_open and not self.active:
                            self.start()
                        elif not is_open and self.active and self.end_at is None:
                            self.end_at = time.monotonic() + LINGER
                    continue
                s = self.socks[name]
                other = "receiver" if name == "sender" else "sender"
                if ev & selectors.EVENT_WRITE and self.held[name]:
                    try:
                        n = s.send(self.held[name])
                        del self.held[name][:n]
                    except BlockingIOError:
                        pass
                if ev & selectors.EVENT_READ and len(self.held[other]) < HOLD:
                    try:
                        data = s.recv(262144)
                    except BlockingIOError:
                        data = None
                    if data == b"":
                        log(f"the {name}'s QEMU closed the link")
                        return 0
                    if data:
                        if name == "sender":
                            self.from_sender(data)
                        else:
                            self.back += len(data)
                        self.held[other] += data
            if self.end_at is not None and time.monotonic() >= self.end_at:
                self.hang_up()
            for name in self.socks:
                self.want(name)

    def want(self, name):
        """Watch a socket for what can move now: reads while the other side
        holds less than HOLD, writes while it has bytes for this side."""
        s = self.socks[name]
        other = "receiver" if name == "sender" else "sender"
        ev = selectors.EVENT_WRITE if self.held[name] else 0
        if len(self.held[other]) < HOLD:
            ev |= selectors.EVENT_READ
        registered = s in self.registered
        if ev and registered:
            self.sel.modify(s, ev, ("data", name))
        elif ev:
            self.sel.register(s, ev, ("data", name))
            self.registered.add(s)
        elif registered:
            self.sel.unregister(s)
            self.registered.discard(s)


def stamp(out, ends):
    sel = selectors.DefaultSelector()
    deadline = time.monotonic() + 120
    partial = {}
    for end in ends:
        name, path = end.split("=", 1)
        sel.register(connect(path, deadline), selectors.EVENT_READ, name)
        partial[name] = b""
    with open(out, "a", encoding="utf-8") as f:
        while sel.get_map():
            for key, _ in sel.select(1.0):
                name = key.data
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                t = time.time()
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                lines = (partial[name] + data).split(b"\n")
                partial[name] = lines.pop()
                for line in lines:
                    text = line.decode("utf-8", "replace").rstrip("\r")
                    f.write(f"{t:.3f} {name} {text}\n")
                f.flush()
    return 0


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if len(argv) >= 5 and argv[0] == "relay":
        opts = dict(zip(argv[1::2], argv[2::2]))
        cut = None
        if "--cut" in opts:
            item, count = opts["--cut"].rsplit(":", 1)
            cut = (item, int(count))
        return Relay(opts["--sender"], opts["--receiver"], cut).run()
    if len(argv) >= 3 and argv[0] == "stamp":
        return stamp(argv[1], argv[2:])
    print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
