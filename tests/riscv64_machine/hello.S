# Run on 2 harts. Each prints "hart N\n" through the 16550 at 0x10000000 in
# hartid order (a ticket in RAM), then hart 1 (`last`) powers off with
# failure code 3 through sifive,test0 ((3 << 16) | 0x3333).
# a0 = hartid, a1 = FDT (checked: the FDT magic 0xd00dfeed, big-endian).
.section .text.init
.globl _start
_start:
  lwu t0, 0(a1)
  li t1, 0xedfe0dd0           # 0xd00dfeed read little-endian
  bne t0, t1, bad
  la t2, ticket
wait:
  lw t3, 0(t2)
  bne t3, a0, wait
  li t4, 0x10000000
  li t5, 'h'
  sb t5, 0(t4)
  li t5, 'a'
  sb t5, 0(t4)
  li t5, 'r'
  sb t5, 0(t4)
  li t5, 't'
  sb t5, 0(t4)
  li t5, ' '
  sb t5, 0(t4)
  addi t5, a0, '0'
  sb t5, 0(t4)
  li t5, '\n'
  sb t5, 0(t4)
  addi t3, a0, 1
  fence rw, rw
  sw t3, 0(t2)
  li t0, 0x100000
  li t1, (3 << 16) | 0x3333
  lw t3, 4(t2)
  bne t3, a0, 1f
  sw t1, 0(t0)
1: j 1b
bad:
  li t0, 0x100000
  li t1, (9 << 16) | 0x3333
  sw t1, 0(t0)
  j bad
.data
.align 3
ticket: .word 0
last: .word 1                 # the last hartid
