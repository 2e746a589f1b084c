# Zba/Zbb/Zbs: every instruction with edge cases (zero inputs of the
# counting ops, rotate by 0/64, W forms' sign extension, index mod 64).
#include "riscv_test.h"
#define TEST_R(n, inst, result, v1) \
  li gp, n;                         \
  li a1, v1;                        \
  inst a4, a1;                      \
  li t2, result;                    \
  bne a4, t2, fail;
TEST_BEGIN
  TEST_RR(2, add.uw, 0x80000001, 0xffffffff80000000, 1)
  TEST_RR(3, sh1add, 11, 3, 5)
  TEST_RR(4, sh2add, 17, 3, 5)
  TEST_RR(5, sh3add, 29, 3, 5)
  TEST_RR(6, sh3add.uw, 29, 0x100000003, 5)
  TEST_RR(7, sh1add.uw, 0x1fffffffe, 0xabcdef00ffffffff, 0)
  TEST_RI(8, slli.uw, 0xffffffff0, -1, 4)
  TEST_RR(10, andn, 0xf000, 0xff00, 0x0f00)
  TEST_RR(11, orn, 0xffffffffffff0000, 0, 0xffff)
  TEST_RR(12, xnor, 0xfffffffffffffff9, 5, 3)
  TEST_R(13, clz, 64, 0)
  TEST_R(14, clz, 63, 1)
  TEST_R(15, clz, 0, 0x8000000000000000)
  TEST_R(16, ctz, 64, 0)
  TEST_R(17, ctz, 8, 0x100)
  TEST_R(18, cpop, 64, -1)
  TEST_R(19, cpop, 8, 0xf0f0)
  TEST_R(20, clzw, 31, 1)
  TEST_R(21, clzw, 32, 0xffffffff00000000)
  TEST_R(22, ctzw, 32, 0xffffffff00000000)
  TEST_R(23, cpopw, 4, 0xffffffff0000000f)
  TEST_RR(24, max, 1, -1, 1)
  TEST_RR(25, maxu, -1, -1, 1)
  TEST_RR(26, min, -1, -1, 1)
  TEST_RR(27, minu, 1, -1, 1)
  TEST_R(28, sext.b, 0xffffffffffffff80, 0x80)
  TEST_R(29, sext.h, 0x7fff, 0x7fff)
  TEST_R(30, sext.h, 0xffffffffffff8000, 0x18000)
  TEST_R(31, zext.h, 0x1234, 0xffffffffffff1234)
  TEST_RR(32, rol, 3, 0x8000000000000001, 1)
  TEST_RR(33, ror, 0x8000000000000001, 3, 1)
  TEST_RR(34, rol, 0x123456789abcdef0, 0x123456789abcdef0, 64)
  TEST_RR(35, ror, 0x123456789abcdef0, 0x123456789abcdef0, 0)
  TEST_RR(36, rolw, 3, 0x80000001, 1)
  TEST_RR(37, rorw, 0xffffffff80000001, 3, 1)
  TEST_RR(38, rorw, 0x12345678, 0xffffffff12345678, 32)
  TEST_RI(39, rori, 0x1000000000000000, 1, 4)
  TEST_RI(40, roriw, 0x10000000, 1, 4)
  TEST_RI(41, rori, 0x123456789abcdef0, 0x123456789abcdef0, 0)
  TEST_R(42, orc.b, 0x00ff000000ff0000, 0x0001000000ff0000)
  TEST_R(43, rev8, 0x0807060504030201, 0x0102030405060708)
  TEST_RR(44, bclr, 0xf7, 0xff, 3)
  TEST_RI(45, bclri, 0x7f, 0xff, 7)
  TEST_RR(46, bext, 1, 0x10, 4)
  TEST_RI(47, bexti, 0, 0x10, 3)
  TEST_RR(48, binv, 0x8000000000000000, 0, 63)
  TEST_RI(49, binvi, 0, 1, 0)
  TEST_RR(50, bset, 2, 0, 65)
  TEST_RI(51, bseti, 0x10000000000, 0, 40)
  j pass
TEST_END
