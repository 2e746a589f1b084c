# S and U modes: ECALL from U/S/M, delegation (medeleg), MRET/SRET,
# privileged CSRs and instructions illegal from lower modes, TSR/TVM,
# counter enables, WARL fields of satp/medeleg/mideleg/PMP.
# m_handler records mcause/mtval/mepc/mstatus in s2/s3/s4/s5 and continues
# at s10 in M-mode; s_handler records scause/sepc/sstatus in s6/s7/s8 and
# ECALLs to M.
#include "riscv_test.h"
#define MPP_MASK (3 << 11)
#define ENTER(mode_bits, target) \
  li t0, MPP_MASK; csrc mstatus, t0; li t0, mode_bits; csrs mstatus, t0; \
  la t0, target; csrw mepc, t0; mret
#define ENTER_U(target) ENTER(0, target)
#define ENTER_S(target) ENTER(1 << 11, target)
#define MPP_OF(reg) srli t1, reg, 11; andi t1, t1, 3

TEST_BEGIN
  li gp, 1                        # misa reports S and U
  csrr t0, misa
  li t1, (1 << 18) | (1 << 20)
  and t2, t0, t1
  bne t2, t1, fail
  li gp, 2                        # UXL = SXL = 2 (read-only)
  csrr t0, mstatus
  srli t0, t0, 32
  andi t0, t0, 0xf
  li t1, 0xa
  bne t0, t1, fail

  la t0, m_handler
  csrw mtvec, t0
  la t0, s_handler
  csrw stvec, t0

  # 3: ECALL from U (not delegated): cause 8 in M, mepc, MPP = U.
  li gp, 3
  la s10, 1f
  ENTER_U(u_ecall)
1:CHECK(3, s2, 8)
  la t0, u_ecall
  bne s4, t0, fail
  MPP_OF(s5)
  bnez t1, fail

  # 4: U reading mstatus: illegal instruction, mtval = the encoding.
  li gp, 4
  la s10, 1f
  ENTER_U(u_csr_m)
1:CHECK(4, s2, 2)
  li t0, 0x300022f3               # csrr t0, mstatus
  bne s3, t0, fail

  # 5: U reading cycle needs mcounteren and scounteren.
  li gp, 5
  csrw mcounteren, zero
  csrw scounteren, zero
  la s10, 1f
  ENTER_U(u_cycle)
1:CHECK(5, s2, 2)
  li t0, 7
  csrw mcounteren, t0
  la s10, 1f
  ENTER_U(u_cycle)                # still off in scounteren
1:CHECK(6, s2, 2)
  li t0, 7
  csrw scounteren, t0
  la s10, 1f
  ENTER_U(u_cycle)                # now readable; then ECALL
1:CHECK(7, s2, 8)

  # 8: ECALL from U delegated to S; the S handler ECALLs (cause 9) to M.
  li gp, 8
  li t0, 1 << 8
  csrw medeleg, t0
  la s10, 1f
  ENTER_U(u_ecall)
1:CHECK(8, s6, 8)
  la t0, u_ecall
  bne s7, t0, fail
  andi t0, s8, 0x100              # SPP = U
  bnez t0, fail
  CHECK(9, s2, 9)
  MPP_OF(s5)
  li t2, 1
  bne t1, t2, fail                # MPP = S

  # 10: M -> S (MRET) -> U (SRET) -> ECALL delegated to S.
  li gp, 10
  li s6, -1
  la s10, 1f
  ENTER_S(s_to_u)
1:CHECK(10, s6, 8)
  la t0, u_ecall
  bne s7, t0, fail
  CHECK(11, s2, 9)
  # ECALL from S with SPP=S recorded when S traps to S.
  li gp, 12
  li t0, 1 << 2                   # delegate illegal instruction too
  csrs medeleg, t0
  li s6, -1
  la s10, 1f
  ENTER_S(s_illegal)
1:CHECK(12, s6, 2)
  andi t0, s8, 0x100              # SPP = S
  beqz t0, fail
  li t0, 1 << 2
  csrc medeleg, t0

  # 13: SRET from U and MRET from S are illegal (to M: not delegated).
  li gp, 13
  la s10, 1f
  ENTER_U(u_sret)
1:CHECK(13, s2, 2)
  la s10, 1f
  ENTER_S(s_mret)
1:CHECK(14, s2, 2)
  MPP_OF(s5)
  li t2, 1
  bne t1, t2, fail

  # 15: TSR makes SRET in S illegal; TVM makes satp and SFENCE.VMA illegal.
  li gp, 15
  li t0, 1 << 22
  csrs mstatus, t0
  la s10, 1f
  ENTER_S(s_sret_plain)
1:CHECK(15, s2, 2)
  li t0, 1 << 22
  csrc mstatus, t0
  li t0, 1 << 20
  csrs mstatus, t0
  la s10, 1f
  ENTER_S(s_satp)
1:CHECK(16, s2, 2)
  la s10, 1f
  ENTER_S(s_sfence)
1:CHECK(17, s2, 2)
  li t0, 1 << 20
  csrc mstatus, t0
  la s10, 1f
  ENTER_S(s_satp)                 # without TVM: reads satp, then ECALL
1:CHECK(18, s2, 9)
  # S reading an M CSR is illegal.
  la s10, 1f
  ENTER_S(s_csr_m)
1:CHECK(19, s2, 2)
  # WFI in U is illegal.
  la s10, 1f
  ENTER_U(u_wfi)
1:CHECK(20, s2, 2)

  # 21: WARL fields.
  li t0, 1 << 60                  # Sv32 mode on RV64: write ignored
  csrw satp, t0
  csrr t1, satp
  CHECK(21, t1, 0)
  li t0, (8 << 60) | (0xffff << 44) | 0x12345  # Sv39; ASID bits read back 0 (ASIDLEN=0)
  csrw satp, t0
  csrr t1, satp
  CHECK(22, t1, (8 << 60) | 0x12345)
  csrw satp, zero
  li t0, -1
  csrw medeleg, t0
  csrr t1, medeleg
  CHECK(23, t1, 0xb3ff)
  csrw mideleg, t0
  csrr t1, mideleg
  CHECK(24, t1, 0x222)
  csrw medeleg, zero
  csrw mideleg, zero
  csrw pmpaddr0, t0
  csrr t1, pmpaddr0
  CHECK(25, t1, 0x3fffffffffffff)
  li t0, 0x1f
  csrw pmpcfg0, t0
  csrr t1, pmpcfg0
  CHECK(26, t1, 0x1f)
  csrw pmpaddr63, t0
  csrr t1, pmpaddr63
  CHECK(27, t1, 0x1f)
  li t0, 3 << 11                  # MPP = 2 is reserved: reads back U
  csrc mstatus, t0
  li t0, 2 << 11
  csrs mstatus, t0
  csrr t1, mstatus
  MPP_OF(t1)
  CHECK(28, t1, 0)
  # sstatus shows SIE/SPP but not MIE/MPP.
  li t0, (1 << 3) | (1 << 8) | (1 << 1)
  csrs mstatus, t0
  csrr t1, sstatus
  andi t1, t1, 0x10a
  CHECK(29, t1, 0x102)
  li t0, (1 << 3) | (1 << 8) | (1 << 1)
  csrc mstatus, t0
  # 30: an odd pmpcfg does not exist on RV64.
  la t0, unexpected_trap
  EXPECT_TRAP(30, 2, csrr t1, pmpcfg1)
  la t0, m_handler
  csrw mtvec, t0
  # 31: ECALL from M is cause 11.
  la s10, 1f
  ecall
1:CHECK(31, s2, 11)
  j pass

.balign 4
m_handler:
  csrr s2, mcause
  csrr s3, mtval
  csrr s4, mepc
  csrr s5, mstatus
  jr s10
.balign 4
s_handler:
  csrr s6, scause
  csrr s7, sepc
  csrr s8, sstatus
  ecall

u_ecall: ecall
  j fail
u_csr_m: csrr t0, mstatus
  j fail
u_cycle: csrr t0, cycle
  ecall
  j fail
u_sret: sret
  j fail
u_wfi: wfi
  j fail
s_to_u:
  la t0, u_ecall
  csrw sepc, t0
  li t0, 0x100
  csrc sstatus, t0                # SPP = U
  sret
  j fail
s_illegal: csrr t0, mscratch
  j fail
s_mret: mret
  j fail
s_sret_plain: sret
  j fail
s_satp: csrr t0, satp
  ecall
  j fail
s_sfence: sfence.vma
  j fail
s_csr_m: csrr t0, mepc
  j fail
TEST_END
