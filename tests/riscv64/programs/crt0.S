# Bare-metal C start: hart 0 zeroes .bss, calls main, and reports its
# return value through the finisher (0 = pass, else fail with that code).
  .section .text.init
  .globl _start
_start:
  csrr t0, mhartid
  bnez t0, park
  la sp, __stack_top
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sb zero, 0(t0)
  addi t0, t0, 1
  j 1b
2:
  call main
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
