#!/usr/bin/python3
"""Host-side reference for the fixture init's data (init/util.c, compute.c):
what a correct guest must print, computed independently with hashlib.

  init_ref.py pattern-sha256 SEED MIB          sha256 of the disk mode's data
  init_ref.py compute-digest SEED MIB THREADS  the compute mode's digest
"""

import array
import hashlib
import sys

MASK = (1 << 64) - 1


def pattern(seed, nbytes):
  """xorshift64* words, little-endian (init/util.c pattern_fill)."""
  x = seed or 1
  words = array.array("Q")
  for _ in range(nbytes // 8):
    x ^= x >> 12
    x ^= (x << 25) & MASK
    x ^= x >> 27
    words.append((x * 0x2545F4914F6CDD1D) & MASK)
  if sys.byteorder != "little":
    words.byteswap()
  return words.tobytes()


def compute_digest(seed, mib, threads):
  data = pattern(seed, mib << 20)
  per = len(data) // threads
  outer = hashlib.sha256()
  for i in range(threads):
    chunk = data[i * per:(i + 1) * per]
    outer.update(hashlib.sha256(chunk).digest())
    values = array.array("I", chunk)
    outer.update(hashlib.sha256(array.array("I", sorted(values)).tobytes()).digest())
  return outer.hexdigest()


def main():
  a = sys.argv[1:]
  if len(a) == 3 and a[0] == "pattern-sha256":
    print(hashlib.sha256(pattern(int(a[1]), int(a[2]) << 20)).hexdigest())
  elif len(a) == 4 and a[0] == "compute-digest":
    print(compute_digest(int(a[1]), int(a[2]), int(a[3])))
  else:
    sys.exit(__doc__)


if __name__ == "__main__":
  main()
