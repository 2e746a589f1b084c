#!/usr/bin/python3
"""Writes a newc initramfs (Documentation/driver-api/early-userspace/
buffer-format.rst) from a list like the kernel's gen_init_cpio takes:

  dir  NAME MODE UID GID
  nod  NAME MODE UID GID c|b MAJOR MINOR
  file NAME SOURCE MODE UID GID

  mkcpio.py LIST > init.cpio

Timestamps are 0, so the same inputs give the same bytes.
"""

import stat
import sys


def entry(out, ino, name, mode, uid=0, gid=0, data=b"", rdev=(0, 0)):
  name_b = name.lstrip("/").encode() + b"\0" if name != "TRAILER!!!" else b"TRAILER!!!\0"
  fields = [ino, mode, uid, gid, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
  out.write(b"070701" + b"".join(b"%08X" % f for f in fields))
  out.write(name_b)
  out.write(b"\0" * (-(110 + len(name_b)) % 4))
  out.write(data)
  out.write(b"\0" * (-len(data) % 4))


def main():
  if len(sys.argv) != 2:
    sys.exit("usage: mkcpio.py LIST > init.cpio")
  out = sys.stdout.buffer
  ino = 721
  for line in open(sys.argv[1]):
    f = line.split()
    if not f or f[0].startswith("#"):
      continue
    ino += 1
    if f[0] == "dir":
      entry(out, ino, f[1], stat.S_IFDIR | int(f[2], 8), int(f[3]), int(f[4]))
    elif f[0] == "nod":
      kind = stat.S_IFCHR if f[5] == "c" else stat.S_IFBLK
      entry(out, ino, f[1], kind | int(f[2], 8), int(f[3]), int(f[4]),
            rdev=(int(f[6]), int(f[7])))
    elif f[0] == "file":
      with open(f[2], "rb") as src:
        data = src.read()
      entry(out, ino, f[1], stat.S_IFREG | int(f[3], 8), int(f[4]), int(f[5]), data)
    else:
      sys.exit("mkcpio.py: unknown entry '%s' in %s" % (f[0], sys.argv[1]))
  entry(out, 0, "TRAILER!!!", 0)
  out.write(b"\0" * (-out.tell() % 512) if out.seekable() else b"")


if __name__ == "__main__":
  main()
