# Interrupts: device pins set through the harness pin port, mip/mie/sip/sie,
# global enables, delegation to S (mideleg), priority, vectored mtvec.
# m_handler records mcause/mepc/mstatus in s2/s4/s5, clears all pins and
# mip.SSIP, and continues at s10 in M-mode.
#include "riscv_test.h"
#define PINS 0x2000000
#define SET_PIN(mask) li t0, PINS; li t1, mask; sd t1, 0(t0)
#define INT(n) ((1 << 63) | n)

TEST_BEGIN
  la t0, m_handler
  csrw mtvec, t0
  la t0, s_handler
  csrw stvec, t0

  # 1: a pending pin with MIE clear is visible in mip but not taken.
  li gp, 1
  li t0, 8
  csrw mie, t0
  li s2, -1
  SET_PIN(8)
  csrr t1, mip
  andi t1, t1, 8
  beqz t1, fail
  CHECK(1, s2, -1)
  # 2: setting mstatus.MIE takes it right after the CSR write.
  la s10, 1f
  csrsi mstatus, 8
2:j fail
1:CHECK(2, s2, INT(3))
  la t0, 2b
  bne s4, t0, fail
  andi t0, s5, 8                  # MIE cleared on entry
  bnez t0, fail
  andi t0, s5, 0x80               # MPIE = old MIE
  beqz t0, fail

  # 3: priority: MEI before MSI before MTI.
  li gp, 3
  li t0, (1 << 11) | (1 << 7) | (1 << 3)
  csrw mie, t0
  SET_PIN((1 << 11) | (1 << 7) | (1 << 3))
  la s10, 1f
  csrsi mstatus, 8
  j fail
1:CHECK(3, s2, INT(11))
  SET_PIN((1 << 7) | (1 << 3))
  la s10, 1f
  csrsi mstatus, 8
  j fail
1:CHECK(4, s2, INT(3))

  # 5: vectored mtvec: interrupt n goes to base + 4n.
  li gp, 5
  la t0, vectors
  ori t0, t0, 1
  csrw mtvec, t0
  SET_PIN(1 << 7)
  la s10, 1f
  csrsi mstatus, 8
  j fail
1:CHECK(5, s2, INT(7))
  CHECK(6, s9, 7)
  la t0, m_handler
  csrw mtvec, t0

  # 7: in S-mode, M-level interrupts are taken even with MIE clear.
  li gp, 7
  li t0, 8
  csrw mie, t0
  la s10, 1f
  li t0, 3 << 11
  csrc mstatus, t0
  li t0, 1 << 11
  csrs mstatus, t0                # MPP = S
  la t0, s_raise_msip
  csrw mepc, t0
  mret
1:CHECK(7, s2, INT(3))
  srli t1, s5, 11
  andi t1, t1, 3
  li t2, 1
  bne t1, t2, fail                # taken from S

  # 8: SSIP delegated to S: S sets sip.SSIP with SIE set, trap to S.
  li gp, 8
  li t0, 2
  csrw mideleg, t0
  csrw mie, t0
  li s6, -1
  la s10, 1f
  li t0, 3 << 11
  csrc mstatus, t0
  li t0, 1 << 11
  csrs mstatus, t0
  la t0, s_raise_ssip
  csrw mepc, t0
  mret
1:CHECK(8, s6, INT(1))
  CHECK(9, s2, 9)                 # then the S handler's ECALL
  # 10: a delegated interrupt is not taken in M even with MIE set.
  li gp, 10
  li s6, -1
  csrsi mip, 2
  csrsi mstatus, 8
  csrr t0, sip
  andi t0, t0, 2
  beqz t0, fail
  CHECK(10, s6, -1)
  csrci mstatus, 8
  csrci mip, 2
  csrw mideleg, zero
  csrw mie, zero
  # 11: CSRRS/CSRRC on mip do not latch a device pin (SEIP) into the
  # software-writable SEIP bit (spec 3.1.9): with the pin dropped, mip.SEIP
  # reads 0 again.
  li gp, 11
  SET_PIN(1 << 9)
  csrsi mip, 2
  csrci mip, 2
  li t0, PINS + 0x800
  li t1, -1
  sd t1, 0(t0)                    # clear all pins
  csrr t1, mip
  li t0, 1 << 9
  and t1, t1, t0
  CHECK(11, t1, 0)
  j pass

.balign 4
m_handler:
  csrr s2, mcause
  csrr s4, mepc
  csrr s5, mstatus
  li t0, PINS + 0x800
  li t1, -1
  sd t1, 0(t0)                    # clear all pins
  csrci mip, 2
  jr s10
.balign 4
s_handler:
  csrr s6, scause
  csrci sip, 2
  ecall
.balign 256
.option push
.option norvc                     # 4-byte vector entries
vectors:
  j fail
  j fail
  j fail
  j fail
  j fail
  j fail
  j fail
  li s9, 7
  j m_handler
.option pop

s_raise_msip:
  SET_PIN(8)
1:j 1b                            # taken at a block boundary
s_raise_ssip:
  csrsi sie, 2
  csrsi sstatus, 2
  csrsi sip, 2
  j fail
TEST_END
