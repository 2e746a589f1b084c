#!/usr/bin/env python3
"""Host side of the vsock Linux-guest tests (hybrid vsock over unix sockets).

  vsock_host.py echo-server PATH          unix-socket echo server (a guest
                                          connecting to host port P reaches
                                          <uds>_P); runs until killed
  vsock_host.py client UDS PORT CONNS BYTES
                                          CONNS parallel "CONNECT PORT" to the
                                          guest through UDS, each sending BYTES
                                          of the stream of guest/vsock_echo.c
                                          and checking the echo; prints
                                          "host_client ok=N bad=M ..."
  vsock_host.py sink PATH                 unix-socket server that counts bytes
                                          (throughput), prints per connection
  vsock_host.py connect-rate UDS PORT N   N sequential CONNECT + close
"""
import os
import socket
import sys
import threading
import time

BLOCK = 4096


def block(index):
    s = (0x9e3779b97f4a7c15 ^ index) & 0xFFFFFFFFFFFFFFFF
    out = bytearray(BLOCK)
    for i in range(BLOCK):
        s ^= s >> 12
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 27
        out[i] = ((s * 2685821657736338717) & 0xFFFFFFFFFFFFFFFF) >> 56
    return bytes(out)


def stream(blk, offset, n):
    start = offset % BLOCK
    reps = (start + n) // BLOCK + 1
    return (blk * reps)[start:start + n]


def serve(path, handler):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(256)
    print("listening", path, flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()


def echo(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        c.shutdown(socket.SHUT_WR)


def sink(c):
    n, t0 = 0, time.time()
    with c:
        while True:
            d = c.recv(1 << 20)
            if not d:
                break
            n += len(d)
    dt = time.time() - t0
    print("sink bytes=%d secs=%.3f MBps=%.1f" % (n, dt, n / dt / 1e6), flush=True)


def connect(uds, port):
    """Hybrid vsock handshake (Firecracker's): "CONNECT <port>\\n" on the VM's
    unix socket, answered "OK <host port>\\n"; returns the socket with the
    stream positioned just after that line. vsock_lab_bench.py times it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(uds)
    s.sendall(b"CONNECT %d\n" % port)
    line = b""
    while not line.endswith(b"\n"):
        if len(line) >= 64:
            raise ConnectionError("bad answer %r... for port %d: no newline in its first "
                                  "64 bytes" % (line, port))
        d = s.recv(64 - len(line), socket.MSG_PEEK)
        if not d:
            raise ConnectionError("reset: no OK line for port %d" % port)
        # Consume exactly the line (peek, then take up to the newline): the
        # guest's stream bytes may follow it in the same segment.
        take = d.index(b"\n") + 1 if b"\n" in d else len(d)
        line += s.recv(take)
    if not line.startswith(b"OK "):
        raise ConnectionError("bad answer %r for port %d" % (line, port))
    return s


def one_client(uds, port, index, nbytes, results):
    blk = block(index)
    try:
        s = connect(uds, port)
    except Exception as e:  # noqa: BLE001 - reported as a failed connection
        print("connect %d: %s" % (index, e), flush=True)
        results[index] = False
        return
    got = bytearray()

    def reader():
        while True:
            d = s.recv(65536)
            if not d:
                break
            got.extend(d)

    r = threading.Thread(target=reader)
    r.start()
    s.sendall(stream(blk, 0, nbytes))
    s.shutdown(socket.SHUT_WR)
    r.join(120)
    s.close()
    results[index] = bytes(got) == stream(blk, 0, nbytes)


def client(uds, port, conns, nbytes):
    results = [False] * conns
    t0 = time.time()
    threads = [threading.Thread(target=one_client, args=(uds, port, i, nbytes, results))
               for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sum(results)
    print("host_client ok=%d bad=%d bytes=%d secs=%.2f" %
          (ok, conns - ok, conns * nbytes, time.time() - t0), flush=True)
    return 0 if ok == conns else 1


def connect_rate(uds, port, n):
    t0 = time.time()
    for _ in range(n):
        connect(uds, port).close()
    dt = time.time() - t0
    print("connect_rate n=%d secs=%.3f per_s=%.0f" % (n, dt, n / dt), flush=True)


def main(argv):
    if len(argv) == 3 and argv[1] == "echo-server":
        serve(argv[2], echo)
    elif len(argv) == 3 and argv[1] == "sink":
        serve(argv[2], sink)
    elif len(argv) == 6 and argv[1] == "client":
        return client(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif len(argv) == 5 and argv[1] == "connect-rate":
        connect_rate(argv[2], int(argv[3]), int(argv[4]))
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
