# A extension: AMOs (old value returned, sign-extended for .W), LR/SC
# success and failure, and alignment traps.
#include "riscv_test.h"
#define AMO(n, inst, init, operand, want_old, want_mem) \
  li gp, n;                                                 \
  la a1, word;                                              \
  li a2, init;                                              \
  sd a2, 0(a1);                                             \
  li a3, operand;                                           \
  inst a4, a3, (a1);                                        \
  li t2, want_old;                                          \
  bne a4, t2, fail;                                         \
  ld a5, 0(a1);                                             \
  li t2, want_mem;                                          \
  bne a5, t2, fail;
TEST_BEGIN
  AMO(2, amoswap.w, 0x80000000, 5, 0xffffffff80000000, 5)
  AMO(3, amoadd.w, 0xffffffff, 1, -1, 0)               # upper word untouched:
  AMO(4, amoadd.d, 0xffffffff, 1, 0xffffffff, 0x100000000)
  AMO(5, amoxor.w, 0x0f0f0f0f, 0xffffffff, 0x0f0f0f0f, 0xf0f0f0f0)
  AMO(6, amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00)
  AMO(7, amoor.w, 0x1, 0x80000000, 1, 0x80000001)
  AMO(8, amomin.w, 1, 0xffffffff, 1, 0xffffffff)      # -1 < 1 signed
  AMO(9, amominu.w, 1, 0xffffffff, 1, 1)
  AMO(10, amomax.d, -5, 3, -5, 3)
  AMO(11, amomaxu.d, 3, -5, 3, -5)
  AMO(12, amomin.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000000)
  AMO(13, amomax.w, 0x7fffffff, 0x80000000, 0x7fffffff, 0x7fffffff)
  AMO(14, amoswap.d.aqrl, 7, 9, 7, 9)
  AMO(15, amoadd.w.aq, 0x7fffffff, 1, 0x7fffffff, 0x80000000)

  # LR/SC success.
  li gp, 20
  la a1, word
  li a2, 41
  sd a2, 0(a1)
  lr.d a4, (a1)
  addi a4, a4, 1
  sc.d a5, a4, (a1)
  bnez a5, fail
  ld a4, 0(a1)
  li t2, 42
  bne a4, t2, fail

  # SC without a reservation fails and does not write (the previous SC
  # consumed the reservation).
  li gp, 21
  li a4, 99
  sc.d a5, a4, (a1)
  beqz a5, fail
  ld a4, 0(a1)
  li t2, 42
  bne a4, t2, fail

  # SC to another address than the reserved one fails.
  li gp, 22
  lr.w a4, (a1)
  addi a6, a1, 8
  sc.w a5, a4, (a6)
  beqz a5, fail

  # A store to the reserved word between LR and SC that changes its value
  # makes SC fail here (the spec lets a same-hart store go either way; this
  # implementation compares values, see ScHelper).
  li gp, 23
  lr.w a4, (a1)
  li a3, 1000
  sw a3, 0(a1)
  sc.w a5, a4, (a1)
  beqz a5, fail
  lw a4, 0(a1)
  li t2, 1000
  bne a4, t2, fail

  # LR.W sign-extends.
  li gp, 24
  li a3, 0x80000000
  sw a3, 0(a1)
  lr.w.aq a4, (a1)
  li t2, 0xffffffff80000000
  bne a4, t2, fail
  sc.w.rl a5, a4, (a1)
  bnez a5, fail

  # LR/SC increment loop.
  li gp, 25
  sd zero, 0(a1)
  li a2, 100
1: lr.d a4, (a1)
  addi a4, a4, 1
  sc.d a5, a4, (a1)
  bnez a5, 1b
  addi a2, a2, -1
  bnez a2, 1b
  ld a4, 0(a1)
  li t2, 100
  bne a4, t2, fail

  # Misaligned AMO / SC: store/AMO address misaligned (cause 6), LR: load
  # address misaligned (cause 4); mtval = the address.
  la a1, word
  addi a6, a1, 2
  EXPECT_TRAP(30, 6, amoadd.w a4, a3, (a6))
  bne s3, a6, fail
  EXPECT_TRAP(31, 4, lr.d a4, (a6))
  bne s3, a6, fail
  EXPECT_TRAP(32, 6, sc.w a4, a3, (a6))
  # AMO to an unmapped address: store/AMO access fault (cause 7).
  li a6, 0x2000
  EXPECT_TRAP(33, 7, amoor.d a4, a3, (a6))
  bne s3, a6, fail
  # AMO to a device: access fault too.
  li a6, UART
  EXPECT_TRAP(34, 7, amoswap.w a4, a3, (a6))
  j pass
TEST_END

.data
.balign 16
word: .dword 0, 0
