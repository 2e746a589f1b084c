# Four harts increment shared counters with AMOADD and with LR/SC loops;
# hart 0 waits for all and checks no increment was lost.
#include "riscv_test.h"
#define ITERS 2000
#define HARTS 4
  .section .text.init
  .globl _start
_start:
  la t0, unexpected_trap
  csrw mtvec, t0
  csrr s0, mhartid
  la s1, amo_counter
  la s2, lrsc_counter
  la s3, done
  li s4, ITERS
1: li t0, 1
  amoadd.d zero, t0, (s1)
2: lr.d t1, (s2)
  addi t1, t1, 1
  sc.d t2, t1, (s2)
  bnez t2, 2b
  addi s4, s4, -1
  bnez s4, 1b
  li t0, 1
  amoadd.w.rl zero, t0, (s3)
  bnez s0, park
  li t1, HARTS
3: lw t0, 0(s3)
  fence r, rw
  bne t0, t1, 3b
  li gp, 2
  ld a4, 0(s1)
  li t2, ITERS * HARTS
  bne a4, t2, fail
  li gp, 3
  ld a4, 0(s2)
  bne a4, t2, fail
  j pass
TEST_END

.data
.balign 64
amo_counter: .dword 0
.balign 64
lrsc_counter: .dword 0
.balign 64
done: .word 0
