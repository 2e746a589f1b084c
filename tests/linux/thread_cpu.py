#!/usr/bin/python3
"""CPU time and context switches of every thread, while guests run in the lab.

  thread_cpu.py OUT [PERIOD]

Samples /proc/*/task/* every PERIOD seconds (default 2) until SIGTERM, then
writes to OUT the 40 busiest threads of that span: CPU seconds, voluntary and
involuntary context switches. Involuntary switches of a vCPU thread are the
times something else took its CPU (tests/linux/README.md, "Lab load").
Threads that lived less than one period are not seen.
"""
import os
import signal
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def read_thread(pid, tid):
  """(name, cpu ticks, voluntary, involuntary) of one thread, or None."""
  base = "/proc/%s/task/%s/" % (pid, tid)
  try:
    with open(base + "stat") as f:
      stat = f.read()
    with open(base + "status") as f:
      status = f.read()
  except OSError:
    return None
  name = stat[stat.index("(") + 1:stat.rindex(")")]
  fields = stat[stat.rindex(")") + 2:].split()
  ticks = int(fields[11]) + int(fields[12])  # utime + stime
  switches = {}
  for line in status.splitlines():
    key, _, value = line.partition(":")
    if key in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
      switches[key] = int(value)
  return (name, ticks, switches.get("voluntary_ctxt_switches", 0),
          switches.get("nonvoluntary_ctxt_switches", 0))


def sample(first, last):
  for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
      with open("/proc/%s/comm" % pid) as f:
        process = f.read().strip()
      tids = os.listdir("/proc/%s/task" % pid)
    except OSError:
      continue
    for tid in tids:
      now = read_thread(pid, tid)
      if now is None:
        continue
      key = (pid, tid, "%s/%s" % (process, now[0]))
      first.setdefault(key, now)
      last[key] = now


def main():
  out = sys.argv[1]
  period = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
  stop = []
  signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
  first, last = {}, {}
  start = time.time()
  while not stop:
    sample(first, last)
    time.sleep(period)
  sample(first, last)
  rows = []
  for key, now in last.items():
    was = first[key]
    rows.append(((now[1] - was[1]) / TICKS, now[2] - was[2], now[3] - was[3], key))
  rows.sort(key=lambda r: -r[0])
  with open(out, "w") as f:
    f.write("span %.0f s; cpu_s vol_sw invol_sw pid tid process/thread\n" % (time.time() - start))
    for cpu, vol, invol, (pid, tid, name) in rows[:40]:
      f.write("%7.2f %7d %7d %6s %6s %s\n" % (cpu, vol, invol, pid, tid, name))


if __name__ == "__main__":
  main()
