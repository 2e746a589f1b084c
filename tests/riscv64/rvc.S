# C extension: every compressed form, executed and checked. Written with
# explicit c.* mnemonics so the assembler cannot choose the 32-bit form.
#include "riscv_test.h"
TEST_BEGIN
  li gp, 2; li s0, 0; c.li s0, -32; li t2, -32; bne s0, t2, fail
  li gp, 3; c.li s0, 31; c.addi s0, -1; li t2, 30; bne s0, t2, fail
  li gp, 4; c.lui s0, 0xfffe1; li t2, 0xfffffffffffe1000; bne s0, t2, fail
  li gp, 5; c.lui s0, 1; li t2, 0x1000; bne s0, t2, fail
  li gp, 6; li s0, 0x7fffffff; c.addiw s0, 1; li t2, 0xffffffff80000000; bne s0, t2, fail
  li gp, 7; li s0, 0xffffffff; c.addiw s0, 0; li t2, -1; bne s0, t2, fail   # sext.w
  li gp, 8; li s0, 0x8000000000000000; c.srli s0, 63; li t2, 1; bne s0, t2, fail
  li gp, 9; li s0, 0x8000000000000000; c.srai s0, 63; li t2, -1; bne s0, t2, fail
  li gp, 10; li s0, 0x123; c.andi s0, -16; li t2, 0x120; bne s0, t2, fail
  li gp, 11; li s0, 0x10; li s1, 0x3; c.sub s0, s1; li t2, 0xd; bne s0, t2, fail
  li gp, 12; li s0, 0x0f; li s1, 0xff; c.xor s0, s1; li t2, 0xf0; bne s0, t2, fail
  li gp, 13; li s0, 0x0f; li s1, 0xf0; c.or s0, s1; li t2, 0xff; bne s0, t2, fail
  li gp, 14; li s0, 0x0f; li s1, 0xfc; c.and s0, s1; li t2, 0x0c; bne s0, t2, fail
  li gp, 15; li s0, 0x80000000; li s1, 1; c.subw s0, s1; li t2, 0x7fffffff; bne s0, t2, fail
  li gp, 16; li s0, 0x7fffffff; li s1, 1; c.addw s0, s1; li t2, 0xffffffff80000000; bne s0, t2, fail
  li gp, 17; li a0, 1; c.slli a0, 63; li t2, 0x8000000000000000; bne a0, t2, fail
  li gp, 18; li a1, 55; c.mv a0, a1; li t2, 55; bne a0, t2, fail
  li gp, 19; li a0, 5; li a1, 6; c.add a0, a1; li t2, 11; bne a0, t2, fail

  # Stack-pointer-relative loads/stores and SP adjustment.
  li gp, 20
  mv s1, sp
  c.addi16sp sp, -64
  addi t0, s1, -64
  bne sp, t0, fail
  li a0, 0x1122334455667788
  c.sdsp a0, 504(sp)
  c.ldsp a1, 504(sp)
  bne a0, a1, fail
  li gp, 21
  li a0, 0x80000001
  c.swsp a0, 60(sp)
  c.lwsp a1, 60(sp)
  li t2, 0xffffffff80000001
  bne a1, t2, fail
  li gp, 22
  c.addi4spn s0, sp, 16
  addi t0, sp, 16
  bne s0, t0, fail
  c.addi16sp sp, 64
  bne sp, s1, fail

  # Register-relative compressed loads/stores (x8-x15 only).
  li gp, 23
  la s0, buf
  li a2, -2
  c.sd a2, 8(s0)
  c.ld a3, 8(s0)
  bne a3, a2, fail
  li a2, 0xfffffffe
  c.sw a2, 4(s0)
  c.lw a3, 4(s0)
  li t2, -2
  bne a3, t2, fail

  # Control flow: c.j, c.beqz/c.bnez, c.jr, c.jalr (links pc + 2).
  li gp, 30
  c.j 1f
  j fail
1: li gp, 31
  li s0, 0
  c.beqz s0, 1f
  j fail
1: li gp, 32
  c.bnez s0, fail
  li s0, 1
  c.bnez s0, 1f
  j fail
1: li gp, 33
  la t0, 1f
  c.jr t0
  j fail
1: li gp, 34
  la t1, 2f
  c.jalr t1
3: j fail
2: la t2, 3b
  bne ra, t2, fail
  # c.nop and a mix of 2- and 4-byte instructions at odd halfword offsets.
  li gp, 35
  c.nop
  .option push
  .option norvc
  addi a0, zero, 3
  .option pop
  c.addi a0, 4
  li t2, 7
  bne a0, t2, fail
  # The all-zero parcel is an illegal instruction (mtval = 0).
  EXPECT_TRAP(40, 2, .2byte 0)
  bnez s3, fail
  # c.ebreak raises a breakpoint with mepc at the parcel.
  la a5, 4f
  EXPECT_TRAP(41, 3, 4: c.ebreak)
  bne s4, a5, fail
  j pass
TEST_END

.data
.balign 16
buf: .space 32
