# Branches (signed/unsigned edges), JAL and JALR (link, bit 0 cleared, rd == rs1).
#include "riscv_test.h"
TEST_BEGIN
  TEST_BR_TAKEN(2, beq, 5, 5)
  TEST_BR_NOT_TAKEN(3, beq, 5, 6)
  TEST_BR_TAKEN(4, bne, 0, -1)
  TEST_BR_NOT_TAKEN(5, bne, -1, -1)
  TEST_BR_TAKEN(6, blt, -1, 0)
  TEST_BR_NOT_TAKEN(7, blt, 0, -1)
  TEST_BR_NOT_TAKEN(8, blt, 3, 3)
  TEST_BR_TAKEN(9, bge, 3, 3)
  TEST_BR_TAKEN(10, bge, 0, 0x8000000000000000)
  TEST_BR_NOT_TAKEN(11, bge, 0x8000000000000000, 0)
  TEST_BR_TAKEN(12, bltu, 0, -1)
  TEST_BR_NOT_TAKEN(13, bltu, -1, 0)
  TEST_BR_TAKEN(14, bgeu, -1, 0)
  TEST_BR_NOT_TAKEN(15, bgeu, 0, -1)
  TEST_BR_TAKEN(16, bgeu, 0x8000000000000000, 0x7fffffffffffffff)

  li gp, 20                                 # jal links pc + 4
  jal a4, 1f
3: j fail
1: la a5, 3b
  bne a4, a5, fail

  li gp, 21                                 # jalr clears bit 0 of the target
  la a1, 1f
  addi a1, a1, 1
  jalr a4, 0(a1)
  j fail
1:
  li gp, 22                                 # jalr with rd == rs1 uses the old rs1
  la a1, 1f
  jalr a1, 0(a1)
4: j fail
1: la a5, 4b
  bne a1, a5, fail

  li gp, 23                                 # negative jalr offset
  la a1, 1f + 16
  jalr x0, -16(a1)
  j fail
1:
  li gp, 24                                 # backward loop
  li a1, 0
  li a2, 10
5: addi a1, a1, 1
  blt a1, a2, 5b
  li t2, 10
  bne a1, t2, fail

  li gp, 25                                 # call / return through ra
  call func
  li t2, 77
  bne a0, t2, fail
  j pass
func:
  li a0, 77
  ret
TEST_END
