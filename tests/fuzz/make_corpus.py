#!/usr/bin/env python3
"""Writes the crafted seed corpus for blk_fuzzer (see blk_fuzz_entry.h for
the input layout). Run from anywhere: python3 tests/fuzz/make_corpus.py"""
import os
import struct

BASE = 0x1000
DESC, AVAIL, USED, DATA = 0x1000, 0x1100, 0x1200, 0x1300
NEXT, WRITE, INDIRECT = 1, 2, 4
IN, OUT, FLUSH, GET_ID, DISCARD, WZ = 0, 1, 4, 8, 11, 13


def image(ctl, descs, heads, extra, avail_idx=None):
    ram = bytearray(0x2000)
    for i, (addr, ln, flags, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", ram, DESC - BASE + 16 * i, addr, ln, flags, nxt)
    idx = len(heads) if avail_idx is None else avail_idx
    struct.pack_into("<HH", ram, AVAIL - BASE, 0, idx)
    for i, h in enumerate(heads):
        struct.pack_into("<H", ram, AVAIL - BASE + 4 + 2 * i, h)
    for addr, blob in extra:
        ram[addr - BASE:addr - BASE + len(blob)] = blob
    return bytes([ctl]) + bytes(ram)


def hdr(t, sector):
    return struct.pack("<IIQ", t, 0, sector)


CTL = (4 << 2) | 1 | 2  # 16 entries, EVENT_IDX, INDIRECT_DESC
seeds = {
    "read": image(CTL, [(DATA, 16, NEXT, 1), (0x1400, 512, WRITE | NEXT, 2), (0x1600, 1, WRITE, 0)],
                  [0], [(DATA, hdr(IN, 3))]),
    "write": image(CTL, [(DATA, 16, NEXT, 1), (0x1400, 1024, NEXT, 2), (0x1800, 1, WRITE, 0)],
                   [0], [(DATA, hdr(OUT, 5)), (0x1400, b"\xab" * 1024)]),
    "flush_getid": image(CTL, [(DATA, 16, NEXT, 1), (0x1700, 1, WRITE, 0),
                               (0x1320, 16, NEXT, 3), (0x1400, 20, WRITE | NEXT, 4), (0x1701, 1, WRITE, 0)],
                         [0, 2], [(DATA, hdr(FLUSH, 0)), (0x1320, hdr(GET_ID, 0))]),
    "discard_wz": image(CTL, [(DATA, 32, NEXT, 1), (0x1700, 1, WRITE, 0),
                              (0x1340, 32, NEXT, 3), (0x1701, 1, WRITE, 0)],
                        [0, 2], [(DATA, hdr(DISCARD, 0) + struct.pack("<QII", 8, 8, 0)),
                                 (0x1340, hdr(WZ, 0) + struct.pack("<QII", 16, 8, 1))]),
    "indirect": image(CTL, [(0x1500, 48, INDIRECT, 0)], [0],
                      [(DATA, hdr(IN, 0)),
                       (0x1500, struct.pack("<QIHH", DATA, 16, NEXT, 1) +
                        struct.pack("<QIHH", 0x1400, 512, WRITE | NEXT, 2) +
                        struct.pack("<QIHH", 0x1600, 1, WRITE, 0))]),
    "loop": image(CTL, [(DATA, 16, NEXT, 1), (0x1400, 16, NEXT, 0)], [0], [(DATA, hdr(IN, 0))]),
    "nested_indirect": image(CTL, [(0x1500, 16, INDIRECT, 0)], [0],
                             [(0x1500, struct.pack("<QIHH", 0x1500, 16, INDIRECT, 0))]),
    "avail_jump": image(CTL, [(DATA, 16, 0, 0)], [0], [], avail_idx=200),
    "out_of_ram": image(CTL, [(DATA, 16, NEXT, 1), (0xFFFFFFFFFFFFFF00, 512, WRITE, 0)], [0],
                        [(DATA, hdr(IN, 0))]),
    "past_end": image(CTL | 32, [(DATA, 16, NEXT, 1), (0x1400, 512, WRITE | NEXT, 2), (0x1600, 1, WRITE, 0)],
                      [0], [(DATA, hdr(IN, 127))]),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
for name, blob in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)
print(f"wrote {len(seeds)} seeds to {out}")
