# WFI idles the host thread until a pin wakes it: hart 1 waits (MSIE set,
# MIE clear, so no trap: WFI just returns), hart 0 spins a while, raises
# hart 1's MSIP pin and waits for hart 1's flag.
#include "riscv_test.h"
#define PINS 0x2000000

  .section .text.init
  .globl _start
_start:
  la t0, unexpected_trap
  csrw mtvec, t0
  csrr t0, mhartid
  bnez t0, hart1
  la sp, stack_top
  li gp, 1
  li t0, 20000                    # let hart 1 reach WFI and sleep
1:addi t0, t0, -1
  bnez t0, 1b
  la t1, flag
  lw t2, 0(t1)
  bnez t2, fail                   # hart 1 must still be asleep
  li gp, 2
  li t0, PINS + 8                 # hart 1
  li t1, 8
  sd t1, 0(t0)
  la t1, flag
  li t3, 50000000
2:lw t2, 0(t1)
  bnez t2, 3f
  addi t3, t3, -1
  bnez t3, 2b
  j fail
3:j pass

hart1:
  li t0, 8
  csrw mie, t0
1:wfi
  csrr t0, mip
  andi t0, t0, 8
  beqz t0, 1b
  la t1, flag
  li t2, 1
  sw t2, 0(t1)
  csrw mie, zero
  j park

TEST_END
.data
.balign 8
flag: .dword 0
