# F and D through the whole pipeline (decode, IR, helpers, both backends):
# mstatus.FS gating and Dirty/SD, fcsr/frm/fflags, static and dynamic
# rounding, reserved rm, NaN-boxing, moves, loads/stores including the
# compressed forms, conversions, compares, fclass. Arithmetic corner cases
# in bulk are in tcg/riscv64/ieee754_test and fp_diff_test (vs QEMU).
#include "riscv_test.h"

#define MSTATUS_FS 0x6000

/* fd = bits (via an integer register). */
#define FLI_D(fd, bits) li t0, bits; fmv.d.x fd, t0;
#define FLI_S(fd, bits) li t0, bits; fmv.w.x fd, t0;
/* Checks the raw 64-bit register contents of fs. */
#define CHECK_F(n, fs, bits) li gp, n; fmv.x.d t1, fs; li t2, bits; bne t1, t2, fail;
/* Checks fflags, then clears them. */
#define CHECK_FLAGS(n, bits) li gp, n; csrrw t1, fflags, zero; li t2, bits; bne t1, t2, fail;

TEST_BEGIN
  # FS = Off at reset: FP instructions and FP CSRs are illegal.
  EXPECT_TRAP(2, 2, fadd.d f0, f0, f0)
  EXPECT_TRAP(3, 2, csrr t1, fcsr)
  EXPECT_TRAP(4, 2, fld f0, 0(sp))
  # FS = Initial: legal, and the first write makes it Dirty with SD set.
  li t0, 0x2000
  csrs mstatus, t0
  csrr t1, mstatus
  li gp, 5
  bltz t1, fail
  fmv.d.x f1, zero
  csrr t1, mstatus
  li gp, 6
  bgez t1, fail                     # SD
  srli t1, t1, 13
  andi t1, t1, 3
  li t2, 3
  bne t1, t2, fail                  # FS = Dirty
  # A CSR write to fcsr alone also dirties FS.
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, 0x2000
  csrs mstatus, t0
  csrw fcsr, zero
  csrr t1, mstatus
  li gp, 7
  bgez t1, fail

  # fcsr layout: frm in 7:5, fflags in 4:0.
  li t0, 0xff
  csrw fcsr, t0
  csrr t1, frm
  CHECK(8, t1, 7)
  csrr t1, fflags
  CHECK(9, t1, 0x1f)
  csrwi frm, 1
  csrr t1, fcsr
  CHECK(10, t1, 0x3f)
  csrw fcsr, zero

  # Rounding: 1 + 2^-24 (binary64) to single. Tie -> RNE down, RMM up.
  FLI_D(f2, 0x3ff0000010000000)
  fcvt.s.d f3, f2, rne
  CHECK_F(11, f3, 0xffffffff3f800000)
  fcvt.s.d f3, f2, rmm
  CHECK_F(12, f3, 0xffffffff3f800001)
  CHECK_FLAGS(13, 1)                # NX
  # Dynamic: frm = RUP, then RDN on a negative value.
  csrwi frm, 3
  fcvt.s.d f3, f2
  CHECK_F(14, f3, 0xffffffff3f800001)
  fneg.d f4, f2
  csrwi frm, 2
  fcvt.s.d f3, f4
  CHECK_F(15, f3, 0xffffffffbf800001)
  # A reserved frm makes dynamic-rm instructions illegal, not static ones.
  csrwi frm, 5
  fcvt.s.d f3, f2, rtz
  EXPECT_TRAP(16, 2, fcvt.s.d f3, f2)
  EXPECT_TRAP(17, 2, fmadd.d f3, f2, f2, f2)
  csrwi frm, 0
  # rm = 5 in the encoding is reserved (fadd.d f3, f2, f2, rm=5).
  EXPECT_TRAP(18, 2, .word 0x022151d3)
  CHECK_FLAGS(19, 1)

  # NaN-boxing: a double's bits read as a single are the canonical NaN.
  FLI_D(f5, 0x000000003f800000)     # "1.0f" without the box
  fadd.s f6, f5, f5
  CHECK_F(20, f6, 0xffffffff7fc00000)
  CHECK_FLAGS(21, 0)                # quiet NaN: no flags
  fsgnj.s f6, f5, f5                # sign injection also unboxes
  CHECK_F(22, f6, 0xffffffff7fc00000)
  FLI_S(f7, 0xbf800000)             # -1.0f
  fsgnjx.s f6, f7, f7
  CHECK_F(23, f6, 0xffffffff3f800000)
  fsgnjn.d f6, f2, f2
  CHECK_F(24, f6, 0xbff0000010000000)
  # fmv.x.w sign-extends bits 31:0 even of an unboxed value.
  fmv.x.w t1, f5
  CHECK(25, t1, 0x3f800000)
  fmv.x.w t1, f7
  CHECK(26, t1, 0xffffffffbf800000)
  # Canonical NaN results and sNaN raising NV.
  FLI_S(f8, 0x7f800001)             # sNaN
  fmul.s f6, f8, f7
  CHECK_F(27, f6, 0xffffffff7fc00000)
  CHECK_FLAGS(28, 0x10)
  # fmin/fmax: one NaN returns the other operand; -0 < +0.
  fmax.s f6, f8, f7
  CHECK_F(29, f6, 0xffffffffbf800000)
  CHECK_FLAGS(30, 0x10)
  fmv.d.x f9, zero
  fneg.d f10, f9
  fmin.d f6, f9, f10
  CHECK_F(31, f6, 0x8000000000000000)
  fmax.d f6, f10, f9
  CHECK_F(32, f6, 0)

  # Division by zero, overflow, compares.
  FLI_D(f11, 0x3ff0000000000000)    # 1.0
  fdiv.d f6, f11, f10
  CHECK_F(33, f6, 0xfff0000000000000)
  CHECK_FLAGS(34, 0x08)
  FLI_D(f12, 0x7fefffffffffffff)
  fadd.d f6, f12, f12, rtz
  CHECK_F(35, f6, 0x7fefffffffffffff)
  CHECK_FLAGS(36, 0x05)
  feq.d t1, f9, f10
  CHECK(37, t1, 1)
  FLI_D(f13, 0x7ff8000000000000)
  flt.d t1, f13, f11
  CHECK(38, t1, 0)
  CHECK_FLAGS(39, 0x10)
  feq.d t1, f13, f13
  CHECK_FLAGS(40, 0)

  # FMA rounds once: (1 + 2^-52)^2 - (1 + 2^-51) = 2^-104.
  FLI_D(f14, 0x3ff0000000000001)
  FLI_D(f15, 0x3ff0000000000002)
  fmsub.d f6, f14, f14, f15
  CHECK_F(41, f6, 0x3970000000000000)
  fnmadd.d f6, f11, f11, f11        # -(1*1) - 1
  CHECK_F(42, f6, 0xc000000000000000)
  fnmsub.s f6, f7, f7, f7           # -(-1*-1) + -1
  CHECK_F(43, f6, 0xffffffffc0000000)

  # Conversions: saturation and flags (Table 11.4), W results sign-extended.
  fcvt.w.d t1, f13
  CHECK(44, t1, 0x7fffffff)
  fcvt.wu.d t1, f13
  CHECK(45, t1, -1)
  fcvt.l.d t1, f10                  # -0 -> 0
  CHECK(46, t1, 0)
  CHECK_FLAGS(47, 0x10)
  FLI_D(f16, 0xbfe0000000000000)    # -0.5
  fcvt.lu.d t1, f16, rtz
  CHECK(48, t1, 0)
  CHECK_FLAGS(49, 0x01)
  fcvt.lu.d t1, f16, rdn
  CHECK(50, t1, 0)
  CHECK_FLAGS(51, 0x10)
  li t0, -7
  fcvt.s.w f6, t0
  CHECK_F(52, f6, 0xffffffffc0e00000)
  fcvt.d.wu f6, t0                  # 0xfffffff9 unsigned
  CHECK_F(53, f6, 0x41efffffff200000)
  fcvt.d.s f6, f7
  CHECK_F(54, f6, 0xbff0000000000000)
  fsqrt.d f6, f10
  CHECK_F(55, f6, 0x8000000000000000)
  fclass.d t1, f10
  CHECK(56, t1, 0x8)
  fclass.s t1, f5                   # unboxed -> canonical NaN: quiet NaN
  CHECK(57, t1, 0x200)
  CHECK_FLAGS(58, 0)

  # Loads and stores: flw boxes, fsw stores bits 31:0 (boxed or not).
  la a0, data
  flw f17, 0(a0)
  CHECK_F(59, f17, 0xffffffff40490fdb)
  fsw f2, 8(a0)                     # low half of a double
  lw t1, 8(a0)
  CHECK(60, t1, 0x10000000)
  fld f18, 16(a0)
  CHECK_F(61, f18, 0x400921fb54442d18)
  fsd f18, 24(a0)
  ld t1, 24(a0)
  CHECK(62, t1, 0x400921fb54442d18)
  # Compressed forms.
  c.fld f8, 16(a0)
  CHECK_F(63, f8, 0x400921fb54442d18)
  c.fsd f8, 32(a0)
  ld t1, 32(a0)
  CHECK(64, t1, 0x400921fb54442d18)
  addi sp, sp, -64
  c.fsdsp f18, 8(sp)
  c.fldsp f19, 8(sp)
  addi sp, sp, 64
  CHECK_F(65, f19, 0x400921fb54442d18)
  # Misaligned FP access is performed like integer ones (EEI choice).
  fld f20, 1(a0)
  fmv.x.d t1, f20
  ld t2, 1(a0)
  li gp, 66
  bne t1, t2, fail
  j pass
TEST_END

.data
.balign 8
data:
  .word 0x40490fdb, 0
  .dword 0
  .dword 0x400921fb54442d18
  .dword 0
  .dword 0
