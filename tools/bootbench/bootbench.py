#!/usr/bin/python3
"""bootbench: time from starting a VMM to a guest's init marker, and its RSS.

  bootbench.py --marker STR --console FILE [--timeout S] [--guest-mib N]
               [--watch REGEX] [--stop-at-marker] -- CMD ARGS...

Starts CMD, polls FILE (the guest's serial console, written by the VMM) for
STR, and prints one JSON object:

  time_to_marker_ms   from just before exec to the marker appearing in FILE
  exit_code           CMD's exit status (or null if stopped at the marker)
  peak_rss_kib        the larger of: CMD's own peak RSS (wait4 rusage) and
                      the peak VmHWM of every process whose command line
                      matches --watch (e.g. "vmm-worker", when the VMM runs
                      its guests in processes that are not CMD's children)
  overhead_rss_kib    peak_rss_kib - guest RAM (--guest-mib), if given:
                      what the VMM costs beyond the guest's memory. Guest
                      pages never touched are not resident, so this is a
                      lower bound of the per-VM overhead.

Used for issue 3's benchmark: the same kernel, initramfs, memory and vCPUs
under `qemu-system-x86_64 -enable-kvm` and under vmmd, inside tools/kvmlab.
Exit status: 0 if the marker appeared, 1 if not (timeout or CMD exited), 2
for usage errors.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time


def vm_hwm_kib(pid):
  try:
    with open("/proc/%d/status" % pid) as f:
      for line in f:
        if line.startswith("VmHWM:"):
          return int(line.split()[1])
  except (OSError, ValueError):
    pass
  return 0


def matching_pids(pattern):
  pids = []
  for name in os.listdir("/proc"):
    if not name.isdigit():
      continue
    try:
      with open("/proc/%s/cmdline" % name, "rb") as f:
        cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
      continue
    if pattern.search(cmdline):
      pids.append(int(name))
  return pids


def main():
  parser = argparse.ArgumentParser(prog="bootbench")
  parser.add_argument("--marker", required=True)
  parser.add_argument("--console", required=True)
  parser.add_argument("--timeout", type=float, default=300)
  parser.add_argument("--guest-mib", type=int, default=0)
  parser.add_argument("--watch", default="")
  parser.add_argument("--stop-at-marker", action="store_true")
  parser.add_argument("argv", nargs=argparse.REMAINDER)
  args = parser.parse_args()
  argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
  if not argv:
    parser.error("missing CMD")
  watch = re.compile(args.watch) if args.watch else None
  marker = args.marker.encode()
  me = os.getpid()

  start = time.monotonic()
  proc = subprocess.Popen(argv)
  marker_at = None
  watched_hwm = 0
  status = None
  rusage = None
  while True:
    if marker_at is None:
      try:
        with open(args.console, "rb") as f:
          if marker in f.read():
            marker_at = time.monotonic()
      except OSError:
        pass
    if watch is not None:
      for pid in matching_pids(watch):
        if pid != me:
          watched_hwm = max(watched_hwm, vm_hwm_kib(pid))
    # The child's own VmHWM too, while it is alive (rusage is only final).
    watched_hwm = max(watched_hwm, vm_hwm_kib(proc.pid))
    pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
    if pid == proc.pid:
      status, rusage = st, ru
      break
    if marker_at is not None and args.stop_at_marker:
      proc.send_signal(signal.SIGTERM)
      try:
        _, status, rusage = os.wait4(proc.pid, 0)
      except ChildProcessError:
        pass
      status = None  # Stopped by us: no meaningful exit code.
      break
    if time.monotonic() - start > args.timeout:
      proc.kill()
      _, _, rusage = os.wait4(proc.pid, 0)
      break
    time.sleep(0.01)

  if marker_at is None:  # Written just before CMD exited?
    try:
      with open(args.console, "rb") as f:
        if marker in f.read():
          marker_at = time.monotonic()
    except OSError:
      pass
  peak = max(watched_hwm, rusage.ru_maxrss if rusage else 0)
  result = {
      "time_to_marker_ms": (round((marker_at - start) * 1000)
                            if marker_at is not None else None),
      "exit_code": (os.waitstatus_to_exitcode(status)
                    if status is not None else None),
      "peak_rss_kib": peak,
  }
  if args.guest_mib:
    result["guest_kib"] = args.guest_mib * 1024
    result["overhead_rss_kib"] = peak - args.guest_mib * 1024
  print(json.dumps(result, sort_keys=True))
  return 0 if marker_at is not None else 1


if __name__ == "__main__":
  sys.exit(main())
