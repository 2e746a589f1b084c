# Zicsr and machine-mode traps: CSR read/modify/write forms, read-only and
# unknown CSRs, ECALL/EBREAK/illegal causes, mepc/mtval, MRET and mstatus.
#include "riscv_test.h"
TEST_BEGIN
  li gp, 2
  li a1, 0x1234
  csrw mscratch, a1
  csrr a4, mscratch
  bne a4, a1, fail
  li gp, 3
  li a2, 0xf0000
  csrrs a4, mscratch, a2          # returns old, sets bits
  bne a4, a1, fail
  csrr a4, mscratch
  li t2, 0xf1234
  bne a4, t2, fail
  li gp, 4
  li a2, 0x10004
  csrrc a4, mscratch, a2
  csrr a4, mscratch
  li t2, 0xe1230
  bne a4, t2, fail
  li gp, 5
  csrrwi a4, mscratch, 31
  li t2, 0xe1230
  bne a4, t2, fail
  csrrsi a4, mscratch, 0x0        # no write
  li t2, 31
  bne a4, t2, fail
  csrrci a4, mscratch, 0x3
  csrr a4, mscratch
  li t2, 28
  bne a4, t2, fail

  li gp, 6                        # misa: RV64 with I, M, A, C
  csrr a4, misa
  srli a5, a4, 62
  li t2, 2
  bne a5, t2, fail
  li t2, (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12)
  and a5, a4, t2
  bne a5, t2, fail
  li gp, 7
  csrr a4, mhartid
  bnez a4, fail
  li gp, 8                        # counters advance
  csrr a4, instret
  nop
  nop
  csrr a5, instret
  bleu a5, a4, fail
  csrr a4, cycle

  # Unknown CSR: illegal instruction, mtval = the instruction.
  la a5, 7f
  EXPECT_TRAP(10, 2, 7: csrr a4, 0x7c0)
  bne s4, a5, fail
  li t2, 0x7c002773
  bne s3, t2, fail
  # Writing a read-only CSR is illegal; reading it (csrrs x0) is not.
  EXPECT_TRAP(11, 2, .word 0xc0059073)      # csrrw x0, cycle, a1
  li gp, 12
  csrrs a4, cycle, x0

  # ECALL from M-mode: cause 11, mepc = the ecall.
  la a5, 2f
  EXPECT_TRAP(13, 11, 2: ecall)
  bne s4, a5, fail
  EXPECT_TRAP(14, 3, ebreak)
  EXPECT_TRAP(15, 2, .word 0xffffffff)
  li t2, 0xffffffff
  bne s3, t2, fail
  EXPECT_TRAP(16, 2, .word 0x0000007f)  # >32-bit length encoding: unsupported

  # Trap entry stacks MIE into MPIE and clears MIE; MRET restores it.
  li gp, 20
  la t0, handler
  csrw mtvec, t0
  csrsi mstatus, 8                # MIE = 1
  ecall
  csrr a4, mstatus
  andi a4, a4, 8
  beqz a4, fail                   # MIE restored by mret
  li t2, 0x1880                   # in handler: MPP = M, MPIE = 1, MIE = 0
  bne s5, t2, fail
  csrci mstatus, 8
  la t0, unexpected_trap
  csrw mtvec, t0

  # mtvec WARL: mode 2/3 are not legal, base keeps 4-byte alignment.
  li gp, 21
  csrr s6, mtvec
  li t0, 0x80001003
  csrw mtvec, t0
  csrr a4, mtvec
  li t2, 0x80001000
  bne a4, t2, fail
  csrw mtvec, s6
  # mepc bit 0 always reads zero (IALIGN = 16).
  li gp, 22
  li t0, 0x80000123
  csrw mepc, t0
  csrr a4, mepc
  li t2, 0x80000122
  bne a4, t2, fail
  j pass

.balign 4
handler:
  csrr s5, mstatus
  li t0, 0x1888
  and s5, s5, t0
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  mret
TEST_END
