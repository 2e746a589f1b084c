#!/usr/bin/python3
"""guest_timeline: runs a VMM with the guest console on its stdout and
prints one JSON object of when (host wall time, ms since just before exec)
the fixture init's result lines appeared, and what they said:

  guest_timeline.py [--timeout S] -- CMD ARGS...

  marker_ms          VMM-RISCV-INIT-MARKER (boot to init)
  compute_start_ms   VMM-COMPUTE-START
  compute_done_ms    VMM-COMPUTE (host-timed compute = done - start)
  guest_ms, digest, sorted_ok, nproc   from those lines
  exit_code, wall_ms, peak_rss_kib     CMD's (wait4 rusage)

Used by boot_bench.sh for our VMM and QEMU alike. CMD is killed at the
timeout. Exit status 0 if the compute line (or, without one, the marker)
appeared.
"""

import json
import os
import re
import select
import subprocess
import sys
import time


def main():
  args = sys.argv[1:]
  timeout = 300.0
  if args[:1] == ["--timeout"]:
    timeout = float(args[1])
    args = args[2:]
  if args[:1] != ["--"] or len(args) < 2:
    sys.exit(__doc__)
  cmd = args[1:]
  out = {"marker_ms": None, "compute_start_ms": None, "compute_done_ms": None}
  t0 = time.monotonic()
  p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
  buf = b""
  deadline = t0 + timeout
  while True:
    left = deadline - time.monotonic()
    if left <= 0:
      p.kill()
      out["timeout"] = True
      break
    r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
    if not r:
      continue
    chunk = os.read(p.stdout.fileno(), 65536)
    if not chunk:
      break
    now_ms = (time.monotonic() - t0) * 1000
    buf += chunk
    while b"\n" in buf:
      line, buf = buf.split(b"\n", 1)
      s = line.decode("utf-8", "replace").strip()
      if s.startswith("VMM-RISCV-INIT-MARKER") and out["marker_ms"] is None:
        out["marker_ms"] = round(now_ms)
        m = re.search(r"nproc=(\d+)", s)
        out["nproc"] = int(m.group(1)) if m else None
      elif s.startswith("VMM-COMPUTE-START"):
        out["compute_start_ms"] = round(now_ms)
      elif s.startswith("VMM-COMPUTE "):
        out["compute_done_ms"] = round(now_ms)
        for key in ("ms", "digest", "sorted_ok"):
          m = re.search(r"\b%s=(\S+)" % key, s)
          out["guest_ms" if key == "ms" else key] = m.group(1) if m else None
  _, status, usage = os.wait4(p.pid, 0)
  out["exit_code"] = os.waitstatus_to_exitcode(status)
  out["wall_ms"] = round((time.monotonic() - t0) * 1000)
  out["peak_rss_kib"] = usage.ru_maxrss
  print(json.dumps(out))
  ok = out["compute_done_ms"] is not None or (
      out["marker_ms"] is not None and out["compute_start_ms"] is None)
  sys.exit(0 if ok else 1)


if __name__ == "__main__":
  main()
