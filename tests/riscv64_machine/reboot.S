# Asks the sifive,test0 finisher for a reset (0x7777): the machine must end
# with MachineExit::kReboot.
.section .text.init
.globl _start
_start:
  li t0, 0x100000
  li t1, 0x7777
  sw t1, 0(t0)
1: j 1b
