# Loads/stores of every width: extension, misaligned and page-crossing
# accesses (performed, not trapped, by this EEI), x0 as destination.
#include "riscv_test.h"
TEST_BEGIN
  la a1, data
  li gp, 2;  lb a4, 0(a1);  li t2, -1;                 bne a4, t2, fail
  li gp, 3;  lbu a4, 0(a1); li t2, 0xff;               bne a4, t2, fail
  li gp, 4;  lh a4, 0(a1);  li t2, 0xffffffffffffeeff; bne a4, t2, fail
  li gp, 5;  lhu a4, 0(a1); li t2, 0xeeff;             bne a4, t2, fail
  li gp, 6;  lw a4, 0(a1);  li t2, 0xffffffffccddeeff; bne a4, t2, fail
  li gp, 7;  lwu a4, 0(a1); li t2, 0xccddeeff;         bne a4, t2, fail
  li gp, 8;  ld a4, 0(a1);  li t2, 0x8899aabbccddeeff; bne a4, t2, fail
  li gp, 9;  lb a4, 7(a1);  li t2, 0xffffffffffffff88; bne a4, t2, fail
  li gp, 10; lw a4, 4(a1);  li t2, 0xffffffff8899aabb; bne a4, t2, fail
  li gp, 11; lb a4, 8(a1);  li t2, 0x77;               bne a4, t2, fail
  # Misaligned loads.
  li gp, 13; lw a4, 1(a1);  li t2, 0xffffffffbbccddee; bne a4, t2, fail
  li gp, 14; ld a4, 1(a1);  li t2, 0x778899aabbccddee; bne a4, t2, fail
  li gp, 15; lhu a4, 7(a1); li t2, 0x7788;             bne a4, t2, fail

  # Stores of each width, then read back.
  la a1, scratch
  li a2, 0x0123456789abcdef
  li gp, 20; sd a2, 0(a1); ld a4, 0(a1); bne a4, a2, fail
  li gp, 21; sb zero, 0(a1); ld a4, 0(a1); li t2, 0x0123456789abcd00; bne a4, t2, fail
  li gp, 22; li a3, -1; sh a3, 2(a1); ld a4, 0(a1); li t2, 0x01234567ffffcd00; bne a4, t2, fail
  li gp, 23; sw zero, 4(a1); ld a4, 0(a1); li t2, 0xffffcd00; bne a4, t2, fail
  # Misaligned store.
  li gp, 24; li a3, 0x1122334455667788; sd a3, 3(a1)
  lbu a4, 3(a1); li t2, 0x88; bne a4, t2, fail
  ld a4, 3(a1); bne a4, a3, fail
  # x0 destination: load happens, result discarded.
  li gp, 25; lw x0, 0(a1); bnez x0, fail

  # Accesses straddling a 4 KiB page boundary.
  la a1, page_end
  li a3, 0xa1a2a3a4a5a6a7a8
  li gp, 30; sd a3, -3(a1); ld a4, -3(a1); bne a4, a3, fail
  li gp, 31; lw a4, -2(a1); li t2, 0xffffffffa4a5a6a7; bne a4, t2, fail
  li gp, 32; lbu a4, 0(a1); li t2, 0xa5; bne a4, t2, fail
  j pass
TEST_END

.data
.balign 8
data:
  .dword 0x8899aabbccddeeff
  .dword 0x0011223344556677
scratch:
  .dword 0, 0
.balign 4096
  .space 4096
page_end:
  .space 64
