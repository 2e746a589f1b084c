/* Macros for bare-metal RV64 instruction tests on the TCG test machine.
 * Each test case loads its number into gp; a mismatch jumps to `fail`, which
 * reports (gp << 16) | 0x3333 through the sifive,test0 finisher at 0x100000.
 * An unexpected trap reports mcause + 0x100 as the code. */
#ifndef TESTS_RISCV64_RISCV_TEST_H_
#define TESTS_RISCV64_RISCV_TEST_H_

#define FINISHER 0x100000
#define UART 0x10000000

#define TEST_BEGIN                      \
  .section .text.init;                  \
  .globl _start;                        \
  _start:                               \
  la t0, unexpected_trap;               \
  csrw mtvec, t0;                       \
  csrr t0, mhartid;                     \
  bnez t0, park;                        \
  la sp, stack_top;                     \
  li gp, 0;

#define TEST_END                        \
  pass:                                 \
  li t0, 0x5555;                        \
  li t1, FINISHER;                      \
  sw t0, 0(t1);                         \
  1: j 1b;                              \
  fail:                                 \
  slli t0, gp, 16;                      \
  li t1, 0x3333;                        \
  or t0, t0, t1;                        \
  li t1, FINISHER;                      \
  sw t0, 0(t1);                         \
  2: j 2b;                              \
  park: wfi; j park;                    \
  .balign 4;                            \
  unexpected_trap:                      \
  csrr gp, mcause;                      \
  addi gp, gp, 0x100;                   \
  j fail;                               \
  .balign 4;                            \
  trap_capture:                         \
  csrr s2, mcause;                      \
  csrr s3, mtval;                       \
  csrr s4, mepc;                        \
  csrw mepc, s10;                       \
  mret;                                 \
  .data;                                \
  .balign 16;                           \
  stack: .space 4096;                   \
  stack_top:

/* reg must equal the 64-bit constant `result`. */
#define CHECK(n, reg, result) \
  li gp, n;                   \
  li t2, result;              \
  bne reg, t2, fail;

#define TEST_RR(n, inst, result, v1, v2) \
  li gp, n;                              \
  li a1, v1;                             \
  li a2, v2;                             \
  inst a4, a1, a2;                       \
  li t2, result;                         \
  bne a4, t2, fail;

#define TEST_RI(n, inst, result, v1, imm) \
  li gp, n;                               \
  li a1, v1;                              \
  inst a4, a1, imm;                       \
  li t2, result;                          \
  bne a4, t2, fail;

#define TEST_BR_TAKEN(n, inst, v1, v2) \
  li gp, n;                            \
  li a1, v1;                           \
  li a2, v2;                           \
  inst a1, a2, 1f;                     \
  j fail;                              \
  1:

#define TEST_BR_NOT_TAKEN(n, inst, v1, v2) \
  li gp, n;                                \
  li a1, v1;                               \
  li a2, v2;                               \
  inst a1, a2, fail;

/* Runs `code`, which must trap with `cause`; execution resumes after it
 * with s2 = mcause, s3 = mtval, s4 = mepc. */
#define EXPECT_TRAP(n, cause, code...) \
  li gp, n;                            \
  la s10, 1f;                          \
  la t0, trap_capture;                 \
  csrw mtvec, t0;                      \
  li s2, -1;                           \
  code;                                \
  j fail;                              \
  1:                                   \
  la t0, unexpected_trap;              \
  csrw mtvec, t0;                      \
  li t2, cause;                        \
  bne s2, t2, fail;

#endif  /* TESTS_RISCV64_RISCV_TEST_H_ */
