# Litmus tests on 2 harts (RVWMO, unprivileged spec ch. 17 / Appendix A):
# message passing (MP), store buffering (SB), load buffering (LB) and 2+2W,
# each with the fences that make the relaxed outcome forbidden, plus MP
# built from AMO release/acquire. Every iteration uses fresh locations and
# starts both harts together (AMO barrier). Hart 0 then checks that no
# forbidden outcome appeared; the failing test's number is reported.
#include "riscv_test.h"

#define ITERS 3000

# s0 = hartid, s4 = iteration, a0/a1 = this iteration's x/y, t6 = result.
#define LITMUS(n, fn0, fn1)                                   \
  li s4, 0;                                                       \
  la s1, xs; la s2, ys; la s3, rs;                                \
  /* clear locations for this test */                             \
  call barrier;                                                   \
  bnez s0, 8f;                                                    \
  li t0, 0;                                                       \
  li t1, ITERS * 8;                                               \
7: add t2, s1, t0; sd zero, 0(t2); add t2, s2, t0; sd zero, 0(t2); \
  addi t0, t0, 8; blt t0, t1, 7b;                                 \
8: call barrier;                                                  \
9: call barrier;                                                  \
  slli t4, s4, 3; add a0, s1, t4; add a1, s2, t4;                 \
  li t6, 0;                                                       \
  bnez s0, 5f;                                                    \
  call fn0;                                                       \
  j 6f;                                                           \
5: call fn1;                                                      \
6: slli t4, s4, 4; add t4, t4, s3; slli t5, s0, 3; add t4, t4, t5; \
  sd t6, 0(t4);                                                   \
  addi s4, s4, 1; li t0, ITERS; blt s4, t0, 9b;                   \
  call barrier;                                                   \
  li gp, n


  .section .text.init
  .globl _start
_start:
  la t0, unexpected_trap
  csrw mtvec, t0
  la sp, stack_top
  csrr s0, mhartid
  slli t0, s0, 10
  sub sp, sp, t0
  li t0, 2
  bgeu s0, t0, park

  # MP: x = data, y = flag. Forbidden: flag == 1 && data == 0.
  LITMUS(2, mp_writer, mp_reader)
  bnez s0, 1f
  li a2, 2                        # result of hart 1 == flag<<1 | data == 2 is forbidden
  call check_hart1_not
1:
  # SB: forbidden r0 == 0 && r1 == 0.
  LITMUS(3, sb_0, sb_1)
  bnez s0, 1f
  call check_not_both_zero
1:
  # LB: forbidden r0 == 1 && r1 == 1.
  LITMUS(4, lb_0, lb_1)
  bnez s0, 1f
  call check_not_both_one
1:
  # 2+2W: x = 1; y = 2 || y = 1; x = 2. Forbidden final x == 1 && y == 1.
  LITMUS(5, w22_0, w22_1)
  bnez s0, 1f
  call check_2_2w
1:
  # MP with AMO release (writer) and acquire (reader).
  LITMUS(6, mp_amo_writer, mp_amo_reader)
  bnez s0, 1f
  li a2, 2
  call check_hart1_not
1:
  # MP with LR/SC publishing the flag.
  LITMUS(7, mp_sc_writer, mp_reader)
  bnez s0, park
  li a2, 2
  call check_hart1_not
  j pass

# Litmus bodies: a0 = x, a1 = y; result in t6.
mp_writer:
  li t5, 1
  sd t5, 0(a0)
  fence w, w
  sd t5, 0(a1)
  ret
mp_reader:                        # t6 = flag << 1 | data
  ld t6, 0(a1)
  fence r, r
  ld t3, 0(a0)
  slli t6, t6, 1
  or t6, t6, t3
  ret
sb_0:
  li t5, 1
  sd t5, 0(a0)
  fence rw, rw
  ld t6, 0(a1)
  ret
sb_1:
  li t5, 1
  sd t5, 0(a1)
  fence rw, rw
  ld t6, 0(a0)
  ret
lb_0:
  ld t6, 0(a0)
  fence r, w
  li t5, 1
  sd t5, 0(a1)
  ret
lb_1:
  ld t6, 0(a1)
  fence r, w
  li t5, 1
  sd t5, 0(a0)
  ret
w22_0:
  li t5, 1
  sd t5, 0(a0)
  fence w, w
  li t5, 2
  sd t5, 0(a1)
  ret
w22_1:
  li t5, 1
  sd t5, 0(a1)
  fence w, w
  li t5, 2
  sd t5, 0(a0)
  ret
mp_amo_writer:
  li t5, 1
  sd t5, 0(a0)
  amoswap.d.rl zero, t5, (a1)
  ret
mp_amo_reader:
  amoor.d.aq t6, zero, (a1)
  ld t3, 0(a0)
  slli t6, t6, 1
  or t6, t6, t3
  ret
mp_sc_writer:
  li t5, 1
  sd t5, 0(a0)
  fence rw, w
4: lr.d t3, (a1)
  sc.d t3, t5, (a1)
  bnez t3, 4b
  ret

# Sense-free counting barrier for 2 harts: each call adds 1; wait for the
# count to reach the next multiple of 2.
barrier:
  la t0, bar_count
  li t1, 1
  amoadd.w.aqrl t2, t1, (t0)
  addi t2, t2, 2
  andi t2, t2, -2
2: lw t3, 0(t0)
  blt t3, t2, 2b
  fence r, rw
  ret

# rs[i] = {hart0 result, hart1 result}.
check_hart1_not:                  # fail if any hart1 result == a2
  la t0, rs
  li t1, ITERS
3: ld t2, 8(t0)
  beq t2, a2, fail
  addi t0, t0, 16
  addi t1, t1, -1
  bnez t1, 3b
  ret
check_not_both_zero:
  la t0, rs
  li t1, ITERS
3: ld t2, 0(t0)
  ld t3, 8(t0)
  or t2, t2, t3
  beqz t2, fail
  addi t0, t0, 16
  addi t1, t1, -1
  bnez t1, 3b
  ret
check_not_both_one:
  la t0, rs
  li t1, ITERS
3: ld t2, 0(t0)
  ld t3, 8(t0)
  and t2, t2, t3
  bnez t2, fail
  addi t0, t0, 16
  addi t1, t1, -1
  bnez t1, 3b
  ret
check_2_2w:
  la t0, xs
  la t4, ys
  li t1, ITERS
  li t5, 1
3: ld t2, 0(t0)
  ld t3, 0(t4)
  bne t2, t5, 4f
  beq t3, t5, fail
4: addi t0, t0, 8
  addi t4, t4, 8
  addi t1, t1, -1
  bnez t1, 3b
  ret
TEST_END

.data
.balign 64
bar_count: .word 0
.balign 64
xs: .space ITERS * 8
.balign 64
ys: .space ITERS * 8
.balign 64
rs: .space ITERS * 16
