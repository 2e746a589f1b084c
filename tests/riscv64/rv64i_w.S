# RV64I *W ops: 32-bit results, always sign-extended; upper input bits ignored.
#include "riscv_test.h"
TEST_BEGIN
  TEST_RR(2, addw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RR(3, addw, 2, 0xffffffff00000001, 0x0000000100000001)
  TEST_RR(4, subw, 0x7fffffff, 0x80000000, 1)
  TEST_RR(5, subw, -1, 0, 1)
  TEST_RR(6, sllw, 0xffffffff80000000, 1, 31)
  TEST_RR(7, sllw, 1, 1, 32)                    # count mod 32
  TEST_RR(8, sllw, 0x10, 0x1234567800000001, 4)
  TEST_RR(9, srlw, 1, 0xffffffff80000000, 31)
  TEST_RR(10, srlw, 0xffffffff80000000, 0x80000000, 0)
  TEST_RR(11, srlw, 0x7fffffff, 0xffffffffffffffff, 33)
  TEST_RR(12, sraw, -1, 0x80000000, 31)
  TEST_RR(13, sraw, 0xfffffffff8000000, 0x80000000, 4)
  TEST_RR(14, sraw, 0x40000000, 0xabcdef0040000000, 0)
  TEST_RI(20, addiw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RI(21, addiw, -1, 0x00000000ffffffff, 0)      # sext.w
  TEST_RI(22, addiw, 0x7ffff7ff, 0xabcdef007fffffff, -2048)
  TEST_RI(23, slliw, 0xffffffff80000000, 1, 31)
  TEST_RI(24, srliw, 0x7fffffff, 0xffffffff, 1)
  TEST_RI(25, sraiw, -1, 0x00000000ffffffff, 1)
  TEST_RI(26, srliw, 0xffffffff80000000, 0xffffffff80000000, 0)
  TEST_RI(27, sraiw, 0xffffffffff000000, 0x1234567880000000, 7)
  TEST_RI(28, slliw, 0x7ffffffe, 0xbfffffff, 1)
  j pass
TEST_END
