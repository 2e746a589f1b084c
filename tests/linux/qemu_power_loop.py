#!/usr/bin/python3
"""Guest poweroffs under qemu-system-x86_64 -enable-kvm, for comparison with
power_loop.sh (same kernel, initramfs, 2 vCPUs): tells whether a failure at
guest poweroff is ours or the lab's nested SVM.

  qemu_power_loop.py KERNEL INITRD RUNS WORK_DIR [CMDLINE]

Each run boots with -no-reboot and reads QEMU's SHUTDOWN event over QMP:
reason "guest-shutdown" is the ACPI S5 poweroff; "guest-reset" is a reset
(with -no-reboot a triple fault ends QEMU this way too);
"hang-after-power-down" is no event 30 s after the guest's last line before
its S5 write; "qemu-exited(...)" is QEMU ending without an event. Prints one line per run and a summary; the console of
run i is WORK_DIR/qemu<i>.console.
"""
import json
import os
import socket
import subprocess
import sys
import time

DEADLINE_S = 300


def one_run(kernel, initrd, cmdline, work, i):
  sock_path = os.path.join("/tmp", "qemu_power_loop_%d_%d.qmp" % (os.getpid(), i))
  console = os.path.join(work, "qemu%d.console" % i)
  argv = ["qemu-system-x86_64", "-enable-kvm", "-M", "q35", "-cpu", "host", "-smp", "2",
          "-m", "256", "-kernel", kernel, "-initrd", initrd, "-append", cmdline,
          "-display", "none", "-serial", "file:" + console, "-no-reboot",
          "-qmp", "unix:%s,server=on,wait=off" % sock_path]
  t0 = time.time()
  proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
  reason = None
  try:
    s = None
    while s is None and time.time() - t0 < 30:
      try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock_path)
      except OSError:
        s = None
        time.sleep(0.1)
    if s is None:
      return "no-qmp", time.time() - t0
    buf = b""
    s.settimeout(1)
    s.sendall(json.dumps({"execute": "qmp_capabilities"}).encode() + b"\n")
    power_down_at = None
    while reason is None and time.time() - t0 < DEADLINE_S:
      try:
        chunk = s.recv(4096)
        if not chunk:
          break  # QEMU exited without a SHUTDOWN event.
        buf += chunk
      except socket.timeout:
        pass
      while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        msg = json.loads(line)
        if msg.get("event") == "SHUTDOWN":
          reason = msg.get("data", {}).get("reason", "?")
      # As power_loop.sh: 30 s after the guest's last line before the S5
      # write, the poweroff is stuck.
      if reason is None and power_down_at is None:
        with open(console, "rb") as c:
          if b"reboot: Power down" in c.read():
            power_down_at = time.time()
      elif reason is None and time.time() - power_down_at > 30:
        reason = "hang-after-power-down"
    if reason is not None and reason.startswith("hang"):
      proc.kill()
  except OSError:
    pass
  finally:
    try:
      proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
      proc.kill()
      proc.wait()
    if os.path.exists(sock_path):
      os.unlink(sock_path)
  if reason is None:
    # QEMU ended without a SHUTDOWN event (or never answered): say why.
    err = proc.stderr.read().decode(errors="replace").strip().splitlines()
    reason = "qemu-exited(rc=%s)%s" % (proc.returncode, (": " + err[-1]) if err else "")
  return reason, time.time() - t0


def main():
  if len(sys.argv) < 5:
    sys.exit(__doc__)
  kernel, initrd, runs, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
  cmdline = sys.argv[5] if len(sys.argv) > 5 else "console=ttyS0 reboot=k quiet"
  counts = {}
  for i in range(1, runs + 1):
    reason, took = one_run(kernel, initrd, cmdline, work, i)
    counts[reason] = counts.get(reason, 0) + 1
    print("qemu run %d: %s after %.0f s" % (i, reason, took), flush=True)
  print("qemu summary: " + ", ".join("%s=%d" % kv for kv in sorted(counts.items())))


if __name__ == "__main__":
  main()
