# Zifencei and self-modifying code: patch an already-executed (so already
# translated) function, FENCE.I, and run the new code.
#include "riscv_test.h"
TEST_BEGIN
  li gp, 2
  call patchme
  li t2, 1
  bne a0, t2, fail

  li gp, 3
  la a1, patchme
  li a2, 0x02a00513               # addi a0, zero, 42
  sw a2, 0(a1)
  fence.i
  call patchme
  li t2, 42
  bne a0, t2, fail

  # Patch again from a loop that runs the function each iteration.
  li gp, 4
  li s1, 0
  li s2, 5
1: call patchme
  add s1, s1, a0
  la a1, patchme
  li a2, 0x00050513               # addi a0, a0, 0 (returns the argument)
  addi a0, zero, 0
  sw a2, 0(a1)
  fence.i
  addi s2, s2, -1
  bnez s2, 1b
  li t2, 42                       # 42 once, then 0 four times
  bne s1, t2, fail

  # Code written in the same page as running code, then executed.
  li gp, 5
  la a1, scratch_code
  li a2, 0x00700513               # addi a0, zero, 7
  sw a2, 0(a1)
  li a2, 0x00008067               # ret
  sw a2, 4(a1)
  fence.i
  jalr ra, 0(a1)
  li t2, 7
  bne a0, t2, fail
  j pass

.option push
.option norvc
.balign 4
patchme:
  addi a0, zero, 1
  ret
.balign 4
scratch_code:
  .word 0, 0
.option pop
TEST_END
