# Access faults with precise mepc/mtval: loads, stores and fetches outside
# RAM and devices, and that a faulting instruction leaves rd untouched.
#include "riscv_test.h"
TEST_BEGIN
  li a4, 0x77
  li a6, 0x10
  la a5, 7f
  EXPECT_TRAP(2, 5, 7: ld a4, 0(a6))
  bne s3, a6, fail                # mtval = address
  bne s4, a5, fail                # mepc = the load
  li t2, 0x77
  bne a4, t2, fail                # rd not written
  li a6, 0x2000
  EXPECT_TRAP(3, 7, sw a4, 0(a6))
  bne s3, a6, fail
  li a6, 0xfffffffffffffffc       # top of the address space
  EXPECT_TRAP(4, 5, lw a4, 0(a6))
  bne s3, a6, fail
  li a6, -1                       # wraps: never a host pointer
  EXPECT_TRAP(5, 5, ld a4, 0(a6))
  # Fetch from nowhere: instruction access fault, mepc = mtval = target.
  li a6, 0x3000
  EXPECT_TRAP(6, 1, jalr ra, 0(a6))
  bne s3, a6, fail
  bne s4, a6, fail
  # A store that straddles the end of RAM writes nothing.
  li gp, 7
  la a6, ram_end_minus_4
  ld a6, 0(a6)
  li a3, 0x55
  sw a3, 0(a6)
  li a3, -1
  EXPECT_TRAP(8, 7, sd a3, 0(a6))
  lw a4, 0(a6)
  li t2, 0x55
  bne a4, t2, fail
  # UART device reads work (LSR reports transmitter empty).
  li gp, 9
  li a6, UART
  lbu a4, 5(a6)
  andi a4, a4, 0x20
  beqz a4, fail
  j pass
TEST_END

.data
.balign 8
ram_end_minus_4: .dword 0x80000000 + (16 << 20) - 4
