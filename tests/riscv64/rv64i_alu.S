# RV64I register/immediate ALU ops, LUI/AUIPC, x0 semantics.
#include "riscv_test.h"
TEST_BEGIN
  TEST_RR(2, add, 3, 1, 2)
  TEST_RR(3, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
  TEST_RR(4, add, 0, -1, 1)
  TEST_RR(5, sub, -1, 0, 1)
  TEST_RR(6, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
  TEST_RR(7, sll, 0x8000000000000000, 1, 63)
  TEST_RR(8, sll, 1, 1, 64)                  # count taken mod 64
  TEST_RR(9, sll, 2, 1, 65)
  TEST_RR(10, srl, 1, 0x8000000000000000, 63)
  TEST_RR(11, srl, 0x4000000000000000, 0x8000000000000000, 0xffffffffffffffc1)
  TEST_RR(12, sra, -1, 0x8000000000000000, 63)
  TEST_RR(13, sra, 0x8000000000000000, 0x8000000000000000, 64)
  TEST_RR(14, sra, 0xc000000000000000, 0x8000000000000000, 1)
  TEST_RR(15, slt, 1, -1, 1)
  TEST_RR(16, slt, 0, 1, -1)
  TEST_RR(17, sltu, 0, -1, 1)
  TEST_RR(18, sltu, 1, 1, -1)
  TEST_RR(19, slt, 0, 5, 5)
  TEST_RR(20, xor, 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0)
  TEST_RR(21, or, 0xfff0fff0fff0fff0, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0)
  TEST_RR(22, and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0)

  TEST_RI(30, addi, -2048, 0, -2048)
  TEST_RI(31, addi, 2047, 0, 2047)
  TEST_RI(32, addi, 0x8000000000000000, 0x7fffffffffffffff, 1)
  TEST_RI(33, slti, 1, -1, 0)
  TEST_RI(34, slti, 0, 0, -1)
  TEST_RI(35, sltiu, 1, 5, -1)                # imm sign-extends, then compares unsigned
  TEST_RI(36, sltiu, 1, 0, 1)                 # seqz
  TEST_RI(37, sltiu, 0, 7, 1)
  TEST_RI(38, xori, 0xffffffffff00ff00, 0x00ff00ff, -1)
  TEST_RI(39, ori, 0xfffffffffffff812, 0x12, -2048)
  TEST_RI(40, andi, 0x123456789abcdef0, 0x123456789abcdef0, -16)
  TEST_RI(41, andi, 0x6f0, 0x123456789abcdef0, 0x7ff)
  TEST_RI(42, slli, 0x8000000000000000, 0x8000000000000001, 63)
  TEST_RI(43, srli, 1, 0x8000000000000001, 63)
  TEST_RI(44, srai, -1, 0x8000000000000001, 63)
  TEST_RI(45, srai, 0xc000000000000000, 0x8000000000000001, 1)
  TEST_RI(46, slli, 0x100000000, 1, 32)
  TEST_RI(47, srli, 0xffffffff, 0xffffffff00000000, 32)

  li gp, 50
  lui a4, 0x80000
  li t2, 0xffffffff80000000                   # LUI sign-extends on RV64
  bne a4, t2, fail
  li gp, 51
  lui a4, 0x7ffff
  li t2, 0x7ffff000
  bne a4, t2, fail

  li gp, 52
3: auipc a4, 0x1
  la a5, 3b
  li t0, 0x1000
  add a5, a5, t0
  bne a4, a5, fail
  li gp, 53
4: auipc a4, 0x80000                          # negative offset
  la a5, 4b
  li t0, 0xffffffff80000000
  add a5, a5, t0
  bne a4, a5, fail

  li gp, 54                                   # x0 ignores writes
  addi x0, x0, 5
  add x0, gp, gp
  bnez x0, fail
  li gp, 55                                   # rd == rs1 == rs2
  li a1, 21
  add a1, a1, a1
  li t2, 42
  bne a1, t2, fail
  li gp, 56
  li a1, 7
  sub a1, a1, a1
  bnez a1, fail
  j pass
TEST_END
