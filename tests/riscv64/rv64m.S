# M extension, including division by zero and signed overflow (spec Table 7.1).
#include "riscv_test.h"
TEST_BEGIN
  TEST_RR(2, mul, -21, 3, -7)
  TEST_RR(3, mul, 0x8000000000000000, 0x8000000000000000, -1)
  TEST_RR(4, mulh, 0, -1, -1)
  TEST_RR(5, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
  TEST_RR(6, mulh, -1, -1, 1)
  TEST_RR(7, mulhu, 0xfffffffffffffffe, -1, -1)
  TEST_RR(8, mulhu, 1, 0x8000000000000000, 2)
  TEST_RR(9, mulhsu, -1, -1, -1)
  TEST_RR(10, mulhsu, 1, 2, -1)
  TEST_RR(11, mulhsu, 0, 1, -1)
  TEST_RR(12, div, -3, 20, -6)
  TEST_RR(13, rem, 2, 20, -6)
  TEST_RR(14, div, -3, -20, 6)
  TEST_RR(15, rem, -2, -20, 6)
  TEST_RR(16, div, -1, 5, 0)                          # x / 0 = -1
  TEST_RR(17, divu, -1, 5, 0)                         # x /u 0 = 2^64-1
  TEST_RR(18, rem, 5, 5, 0)                           # x % 0 = x
  TEST_RR(19, remu, -5, -5, 0)
  TEST_RR(20, div, 0x8000000000000000, 0x8000000000000000, -1)  # overflow
  TEST_RR(21, rem, 0, 0x8000000000000000, -1)
  TEST_RR(22, divu, 0x7fffffffffffffff, -1, 2)
  TEST_RR(23, remu, 1, -1, 2)
  TEST_RR(30, mulw, 0xfffffffffffffffe, 0x7fffffff, 2)
  TEST_RR(31, mulw, 15, 0x100000003, 0x100000005)
  TEST_RR(32, divw, 0xffffffff80000000, 0xffffffff80000000, -1)  # overflow
  TEST_RR(33, remw, 0, 0xffffffff80000000, -1)
  TEST_RR(34, divw, -1, 7, 0)
  TEST_RR(35, remw, 7, 7, 0)
  TEST_RR(36, divuw, -1, 0xffffffff80000000, 0)       # 0xffffffff, sign-extended
  TEST_RR(37, divuw, 0x40000000, 0x80000000, 2)
  TEST_RR(38, remuw, -1, 0xffffffff, 0)
  TEST_RR(39, remw, -1, 0xfffffff9, 2)                # -7 % 2 = -1
  TEST_RR(40, divuw, 8, 0xabcdef0000000010, 0x2)      # upper bits ignored
  TEST_RR(41, divw, -3, 0x12345678fffffff7, 3)        # -9 / 3
  TEST_RR(42, remuw, 0xffffffff80000000, 0x80000000, 0)
  j pass
TEST_END
