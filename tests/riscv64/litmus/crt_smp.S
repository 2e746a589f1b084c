# Multi-hart bare-metal C start: every hart gets a 16 KiB stack; hart 0
# zeroes .bss and releases the others, then all call main(hartid). Hart 0's
# return value goes to the finisher (0 = pass); the others park.
  .section .text.init
  .globl _start
_start:
  csrr a0, mhartid
  la sp, __stack_top
  slli t0, a0, 14
  sub sp, sp, t0
  bnez a0, wait
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  fence rw, rw
  la t0, released
  li t1, 1
  sd t1, 0(t0)
  j run
wait:
  la t0, released
3:
  ld t1, 0(t0)
  beqz t1, 3b
  fence r, rw
run:
  call main
  csrr t0, mhartid
  bnez t0, park
  li t1, 0x100000
  bnez a0, fail
  li t0, 0x5555
  sw t0, 0(t1)
  j park
fail:
  slli a0, a0, 16
  li t0, 0x3333
  or a0, a0, t0
  sw a0, 0(t1)
park:
  wfi
  j park

  .data
  .balign 8
released: .dword 0
