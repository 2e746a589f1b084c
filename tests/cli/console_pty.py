#!/usr/bin/python3
"""Runs `vmctl ... console VM` on a pseudo-terminal, as a person would.

Checks: vmctl switches the terminal to raw mode (a typed key reaches the
guest at once, without Enter: the ticker payload echoes it as "rx: <c>"),
Ctrl-] detaches with exit status 0, and the terminal settings afterwards are
the ones from before. Exit 0 when all hold; prints what it saw.
"""

import os
import pty
import select
import sys
import termios
import time


def read_until(fd, needle, timeout):
  buf = b""
  end = time.monotonic() + timeout
  while needle not in buf and time.monotonic() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
      try:
        chunk = os.read(fd, 4096)
      except OSError:
        break
      if not chunk:
        break
      buf += chunk
  return buf


def main():
  argv = sys.argv[1:]
  # What a fresh pty looks like (cooked, echo on): the state vmctl starts
  # from, and must leave behind.
  m, s = pty.openpty()
  before = termios.tcgetattr(s)
  os.close(m)
  os.close(s)
  pid, master = pty.fork()
  if pid == 0:
    os.execv(argv[0], argv)
  banner = read_until(master, b"detach with Ctrl-]", 10)
  if b"Ctrl-]" not in banner:
    print("no banner; got %r" % banner[-200:])
    return 1
  time.sleep(0.3)
  raw = termios.tcgetattr(master)
  lflag = raw[3]
  if lflag & (termios.ICANON | termios.ECHO | termios.ISIG):
    print("terminal not in raw mode: lflag=%#x" % lflag)
    return 1
  print("raw mode on")
  os.write(master, b"q")  # No newline: raw mode must pass it at once.
  got = read_until(master, b"rx: q", 10)
  if b"rx: q" not in got:
    print("guest did not echo 'q'; got %r" % got[-300:])
    return 1
  print("guest echoed a single key")
  os.write(master, b"\x1d")
  read_until(master, b"\n", 3)
  _, status = os.waitpid(pid, 0)
  code = os.waitstatus_to_exitcode(status)
  after = termios.tcgetattr(master)
  if code != 0:
    print("vmctl exited %d after Ctrl-]" % code)
    return 1
  print("Ctrl-] detached, exit 0")
  if after[3] != before[3] or after[1] != before[1] or after[0] != before[0]:
    print("terminal not restored: before=%r after=%r" % (before[:4], after[:4]))
    return 1
  print("terminal restored")
  return 0


if __name__ == "__main__":
  sys.exit(main())
