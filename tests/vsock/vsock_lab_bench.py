#!/usr/bin/env python3
"""Host side of vsock_lab_bench.sh: the same measurements through our
hybrid vsock (unix socket + "CONNECT <port>") and through a kernel AF_VSOCK
peer (QEMU vhost-vsock-pci), interleaved round by round, beside a host unix
socket pair. The guest runs `vsock_echo serve 5000` and `vsock_echo ctl 5100`.

  vsock_lab_bench.py ROUNDS MIB CONNS ours=uds:PATH qemu=vsock:CID

Per round and transport:
  h2g    host->guest stream: "sink" on ctl, MIB in 256 KiB writes, until the
         guest's byte count comes back
  g2h    guest->host stream: "source" on ctl, read to EOF
  hconn  host connect rate: CONNS x (connect, OK/connected, close) to the
         guest's echo port; also the mean connect->established latency
  gconn  guest connect rate: "connrate 2 7100+ROUND CONNS" on ctl; the host side
         accepts (and closes) in a thread
Prints a line per measurement, then medians and ours/QEMU ratios.
"""
import os
import socket
import statistics
import sys
import threading
import time

# Beside this script (vsock_lab_bench.sh copies both into the lab's BIN).
from vsock_host import connect as hybrid_connect

CTL_PORT = 5100
ECHO_PORT = 5000
HOST_PORT = 7100
CHUNK = 256 << 10


class Uds:
    """Our hybrid vsock: connect to the VM's socket, "CONNECT <port>\\n", "OK <n>\\n"."""

    def __init__(self, path):
        self.path = path

    def connect(self, port):
        return hybrid_connect(self.path, port)

    def listen(self, port):
        return listen_unix("%s_%d" % (self.path, port))


def listen_unix(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(256)
    return s


class Vsock:
    """A kernel vsock peer (vhost-vsock): AF_VSOCK to the guest's CID."""

    def __init__(self, cid):
        self.cid = cid

    def connect(self, port):
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        s.connect((self.cid, port))
        return s

    def listen(self, port):
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        s.bind((socket.VMADDR_CID_ANY, port))
        s.listen(256)
        return s


def transport(spec):
    kind, _, arg = spec.partition(":")
    return Uds(arg) if kind == "uds" else Vsock(int(arg))


def read_all(s):
    out = bytearray()
    while True:
        d = s.recv(1 << 20)
        if not d:
            return bytes(out)
        out.extend(d)


def guest_stat(t):
    """(clocksource, {virtio interrupt name: count summed over CPUs})."""
    s = t.connect(CTL_PORT)
    s.sendall(b"stat\n")
    text = read_all(s).decode(errors="replace").splitlines()
    s.close()
    irqs = {}
    for line in text[1:]:
        f = line.split()
        if "virtio" in line and f:
            counts = [int(x) for x in f[1:] if x.isdigit()]
            irqs[f[-1]] = sum(counts)
    return (text[0] if text else "?"), irqs


def irq_delta(before, after):
    return " ".join("%s=%d" % (k, after[k] - before.get(k, 0))
                    for k in sorted(after) if after[k] != before.get(k, 0))


def h2g(t, mib):
    s = t.connect(CTL_PORT)
    s.sendall(b"sink\n")
    buf = bytes(CHUNK)
    t0 = time.time()
    for _ in range(mib * (1 << 20) // CHUNK):
        s.sendall(buf)
    s.shutdown(socket.SHUT_WR)
    reply = read_all(s)
    dt = time.time() - t0
    s.close()
    if b"bytes=%d " % (mib << 20) not in reply:
        raise RuntimeError("guest sink got %r" % reply)
    return (mib << 20) / dt / 1e6


def g2h(t, mib):
    s = t.connect(CTL_PORT)
    t0 = time.time()
    s.sendall(b"source %d\n" % (mib << 20))
    n = 0
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        n += len(d)
    dt = time.time() - t0
    s.close()
    if n != mib << 20:
        raise RuntimeError("guest source sent %d bytes" % n)
    return n / dt / 1e6


def hconn(t, n):
    lat = []
    t0 = time.time()
    for _ in range(n):
        a = time.time()
        s = t.connect(ECHO_PORT)
        lat.append(time.time() - a)
        s.close()
    dt = time.time() - t0
    return n / dt, statistics.mean(lat) * 1e3


def gconn(t, n, port):
    # A fresh port per call: an AF_VSOCK port stays bound while the closed
    # listener's acceptor thread still sits in accept().
    lst = t.listen(port)
    stop = threading.Event()

    def acceptor():
        while not stop.is_set():
            try:
                c, _ = lst.accept()
            except OSError:
                return
            c.close()

    th = threading.Thread(target=acceptor, daemon=True)
    th.start()
    s = t.connect(CTL_PORT)
    s.sendall(b"connrate 2 %d %d\n" % (port, n))
    reply = read_all(s).decode().split()
    s.close()
    stop.set()
    lst.close()
    f = dict(x.split("=") for x in reply[1:])
    if int(f["ok"]) != n:
        raise RuntimeError("guest connrate: %s" % " ".join(reply))
    return n / float(f["secs"])


def unix_pair(mib, n):
    a, b = socket.socketpair()
    buf = bytes(CHUNK)

    def writer():
        for _ in range(mib * (1 << 20) // CHUNK):
            a.sendall(buf)
        a.close()

    t0 = time.time()
    th = threading.Thread(target=writer)
    th.start()
    got = 0
    while True:
        d = b.recv(1 << 20)
        if not d:
            break
        got += len(d)
    th.join()
    tp = got / (time.time() - t0) / 1e6
    b.close()
    # Connect rate: connect + one line each way, like the hybrid handshake.
    path = "/tmp/vsock_lab_bench_%d.sock" % os.getpid()
    srv = listen_unix(path)

    def server():
        for _ in range(n):
            c, _ = srv.accept()
            c.recv(64)
            c.sendall(b"OK 1\n")
            c.close()

    th = threading.Thread(target=server)
    th.start()
    t0 = time.time()
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(b"CONNECT 1\n")
        s.recv(64)
        s.close()
    rate = n / (time.time() - t0)
    th.join()
    srv.close()
    os.unlink(path)
    return tp, rate


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    rounds, mib, conns = int(argv[1]), int(argv[2]), int(argv[3])
    ts = [(name, transport(spec)) for name, _, spec in (a.partition("=") for a in argv[4:])]
    res = {}

    def rec(key, v):
        res.setdefault(key, []).append(v)

    for name, t in ts:
        # Guest interrupts per phase (once): how each VMM batches notifications.
        try:
            clock, i0 = guest_stat(t)
            h2g(t, mib)
            _, i1 = guest_stat(t)
            g2h(t, mib)
            _, i2 = guest_stat(t)
            hconn(t, conns)
            _, i3 = guest_stat(t)
            gconn(t, conns, HOST_PORT + 99)
            _, i4 = guest_stat(t)
            print("%s: guest clocksource %s; guest interrupts per phase:\n  h2g %d MiB: %s\n"
                  "  g2h %d MiB: %s\n  host-connect x%d: %s\n  guest-connect x%d: %s" %
                  (name, clock, mib, irq_delta(i0, i1), mib, irq_delta(i1, i2), conns,
                   irq_delta(i2, i3), conns, irq_delta(i3, i4)), flush=True)
        except Exception as e:  # noqa: BLE001 - a diagnostic only
            print("%s: stat failed: %s" % (name, e), flush=True)
    for r in range(rounds):
        for name, t in ts:
            load = open("/proc/loadavg").read().split()[0]
            try:
                a, b = h2g(t, mib), g2h(t, mib)
                rate, lat = hconn(t, conns)
                g = gconn(t, conns, HOST_PORT + r)
            except Exception as e:  # noqa: BLE001 - reported, the other transport goes on
                print("round %d %s: FAILED %s" % (r, name, e), flush=True)
                continue
            rec((name, "h2g"), a)
            rec((name, "g2h"), b)
            rec((name, "hconn"), rate)
            rec((name, "hlat"), lat)
            rec((name, "gconn"), g)
            print("round %d %-5s h2g %7.1f MB/s  g2h %7.1f MB/s  host-connect %6.0f/s (%.2f ms)  "
                  "guest-connect %6.0f/s  load %s" % (r, name, a, b, rate, lat, g, load), flush=True)
        tp, urate = unix_pair(mib, conns)
        rec(("unix", "tp"), tp)
        rec(("unix", "conn"), urate)
        print("round %d unix  pair %7.1f MB/s  connect+line %6.0f/s" % (r, tp, urate), flush=True)

    def med(k):
        return statistics.median(res[k]) if k in res else float("nan")

    load = " ".join(open("/proc/loadavg").read().split()[:3])
    print("== medians over %d rounds (%d MiB, %d connections; load %s)" % (rounds, mib, conns, load))
    names = [n for n, _ in ts]
    for m, unit in (("h2g", "MB/s"), ("g2h", "MB/s"), ("hconn", "conn/s"), ("hlat", "ms"),
                    ("gconn", "conn/s")):
        cells = "  ".join("%s %8.1f" % (n, med((n, m))) for n in names)
        ratio = ""
        if len(names) == 2:
            ratio = "  ratio %s/%s %.2f" % (names[0], names[1],
                                           med((names[0], m)) / max(med((names[1], m)), 1e-9))
        print("%-6s %-7s %s%s" % (m, unit, cells, ratio))
    print("unix   MB/s    %8.1f   connect+line %8.0f conn/s" % (med(("unix", "tp")),
                                                               med(("unix", "conn"))))
    for n in names:
        print("ratio %s/unix: stream h2g %.2f g2h %.2f, host-connect %.2f, guest-connect %.2f" %
              (n, med((n, "h2g")) / med(("unix", "tp")), med((n, "g2h")) / med(("unix", "tp")),
               med((n, "hconn")) / med(("unix", "conn")), med((n, "gconn")) / med(("unix", "conn"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
