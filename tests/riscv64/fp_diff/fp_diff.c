/* F/D differential program: every F/D computational instruction over
 * random operands (biased towards zeros, subnormals, infinities, NaNs,
 * unboxed singles, near-overflow and cancelling pairs) in all five
 * rounding modes (set through frm, so the dynamic-rm path runs). Prints a
 * hash of every (result bits, fflags) per instruction and mode. Built
 * bare-metal for our TCG and as a static Linux binary for qemu-riscv64:
 * the outputs must be identical. */
#include <stdint.h>

#include "bare.h"

#ifndef ITERATIONS
#define ITERATIONS 3000
#endif

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

/* A float of the format (exp_bits, frac_bits) biased to the edges. */
static uint64_t rand_float(int eb, int fb, uint64_t near) {
  const uint64_t emax = (1ull << eb) - 1;
  uint64_t frac = next() & ((1ull << fb) - 1);
  uint64_t exp;
  switch (next() % 8) {
    case 0: frac = 0; break;
    case 1: frac = ((1ull << fb) - 1) - (next() & 3); break;
    case 2: frac &= 0xff; break;
    default: break;
  }
  switch (next() % 11) {
    case 0: exp = 0; break;
    case 1: exp = emax; break;
    case 2: exp = emax - 1 - next() % 3; break;
    case 3: exp = 1 + next() % 3; break;
    case 4: return near ^ (next() & 0xf);
    case 5: return near ^ (1ull << (eb + fb));
    case 6: exp = (emax >> 1) + fb + next() % 12 - 2; break; /* integer range */
    default: exp = (emax >> 1) + next() % 64 - 32; break;
  }
  return ((next() & 1) << (eb + fb)) | (exp << fb) | frac;
}

static uint64_t rand_single(uint64_t near) {
  uint64_t v = rand_float(8, 23, near) & 0xffffffffull;
  /* Mostly NaN-boxed; sometimes not, which must read as the canonical NaN. */
  return (next() % 16 == 0) ? v | ((next() & 0xfffffffe) << 32) : v | 0xffffffff00000000ull;
}
static uint64_t rand_double(uint64_t near) { return rand_float(11, 52, near); }
static uint64_t rand_int(void) {
  switch (next() % 6) {
    case 0: return next() >> (next() % 64);
    case 1: return -(next() >> (next() % 64));
    case 2: return next() & 0xffffffff;
    case 3: return (uint64_t)(int64_t)(int32_t)next();
    default: return next();
  }
}

typedef uint64_t (*OpFn)(uint64_t a, uint64_t b, uint64_t c, uint64_t* flags);

#define PRE "fmv.d.x ft0, %[a]\n fmv.d.x ft1, %[b]\n fmv.d.x ft2, %[c]\n fsflags zero\n"
#define IO [r] "=r"(r), [f] "=r"(*fl) : [a] "r"(a), [b] "r"(b), [c] "r"(c) : "ft0", "ft1", "ft2", "ft3"
/* f <- f op f */
#define OPF(name, insn)                                                            \
  static uint64_t name(uint64_t a, uint64_t b, uint64_t c, uint64_t* fl) {         \
    uint64_t r;                                                                    \
    __asm__ volatile(PRE insn " ft3, ft0, ft1\n fmv.x.d %[r], ft3\n frflags %[f]" : IO); \
    return r;                                                                      \
  }
/* f <- f (unary) */
#define OPU(name, insn)                                                            \
  static uint64_t name(uint64_t a, uint64_t b, uint64_t c, uint64_t* fl) {         \
    uint64_t r;                                                                    \
    __asm__ volatile(PRE insn " ft3, ft0\n fmv.x.d %[r], ft3\n frflags %[f]" : IO); \
    return r;                                                                      \
  }
/* f <- f * f + f */
#define OP4(name, insn)                                                                 \
  static uint64_t name(uint64_t a, uint64_t b, uint64_t c, uint64_t* fl) {              \
    uint64_t r;                                                                         \
    __asm__ volatile(PRE insn " ft3, ft0, ft1, ft2\n fmv.x.d %[r], ft3\n frflags %[f]" : IO); \
    return r;                                                                           \
  }
/* x <- f op f */
#define OPX2(name, insn)                                                           \
  static uint64_t name(uint64_t a, uint64_t b, uint64_t c, uint64_t* fl) {         \
    uint64_t r;                                                                    \
    __asm__ volatile(PRE insn " %[r], ft0, ft1\n frflags %[f]" : IO);              \
    return r;                                                                      \
  }
/* x <- f */
#define OPX1(name, insn)                                                           \
  static uint64_t name(uint64_t a, uint64_t b, uint64_t c, uint64_t* fl) {         \
    uint64_t r;                                                                    \
    __asm__ volatile(PRE insn " %[r], ft0\n frflags %[f]" : IO);                   \
    return r;                                                                      \
  }
/* f <- x (operand a as an integer) */
#define OPI(name, insn)                                                            \
  static uint64_t name(uint64_t a, uint64_t b, uint64_t c, uint64_t* fl) {         \
    uint64_t r;                                                                    \
    __asm__ volatile(PRE insn " ft3, %[a]\n fmv.x.d %[r], ft3\n frflags %[f]" : IO); \
    return r;                                                                      \
  }

#define FOR_FMT(X, s)                                                              \
  X##F(fadd_##s, "fadd." #s) X##F(fsub_##s, "fsub." #s) X##F(fmul_##s, "fmul." #s) \
  X##F(fdiv_##s, "fdiv." #s) X##U(fsqrt_##s, "fsqrt." #s)                          \
  X##4(fmadd_##s, "fmadd." #s) X##4(fmsub_##s, "fmsub." #s)                        \
  X##4(fnmsub_##s, "fnmsub." #s) X##4(fnmadd_##s, "fnmadd." #s)                    \
  X##F(fmin_##s, "fmin." #s) X##F(fmax_##s, "fmax." #s)                            \
  X##F(fsgnj_##s, "fsgnj." #s) X##F(fsgnjn_##s, "fsgnjn." #s)                      \
  X##F(fsgnjx_##s, "fsgnjx." #s)                                                   \
  X##X2(feq_##s, "feq." #s) X##X2(flt_##s, "flt." #s) X##X2(fle_##s, "fle." #s)    \
  X##X1(fclass_##s, "fclass." #s) X##X1(fcvt_w_##s, "fcvt.w." #s)                  \
  X##X1(fcvt_wu_##s, "fcvt.wu." #s) X##X1(fcvt_l_##s, "fcvt.l." #s)                \
  X##X1(fcvt_lu_##s, "fcvt.lu." #s) X##I(fcvt_##s##_w, "fcvt." #s ".w")            \
  X##I(fcvt_##s##_wu, "fcvt." #s ".wu") X##I(fcvt_##s##_l, "fcvt." #s ".l")        \
  X##I(fcvt_##s##_lu, "fcvt." #s ".lu")

FOR_FMT(OP, s)
FOR_FMT(OP, d)
OPU(fcvt_s_d, "fcvt.s.d")
OPU(fcvt_d_s, "fcvt.d.s")
OPX1(fmv_x_w, "fmv.x.w")

enum Kind { F, U, FMA, X2, X1, I };
struct Op {
  const char* name;
  OpFn fn;
  int kind;
  int dbl; /* operand format */
};

#define ENTRY_F(n, i) {#n, n, F, DBL},
#define ENTRY_U(n, i) {#n, n, U, DBL},
#define ENTRY_4(n, i) {#n, n, FMA, DBL},
#define ENTRY_X2(n, i) {#n, n, X2, DBL},
#define ENTRY_X1(n, i) {#n, n, X1, DBL},
#define ENTRY_I(n, i) {#n, n, I, DBL},

static const struct Op kOps[] = {
#define DBL 0
    FOR_FMT(ENTRY_, s)
#undef DBL
#define DBL 1
    FOR_FMT(ENTRY_, d)
#undef DBL
    {"fcvt_s_d", fcvt_s_d, U, 1},
    {"fcvt_d_s", fcvt_d_s, U, 0},
    {"fmv_x_w", fmv_x_w, X1, 0},
};

int main(void) {
#ifdef BARE_METAL
  __asm__ volatile("li t0, 0x2000\n csrs mstatus, t0" ::: "t0"); /* FS = Initial */
#endif
  uint64_t total = 0;
  for (unsigned o = 0; o < sizeof(kOps) / sizeof(kOps[0]); ++o) {
    const struct Op* op = &kOps[o];
    for (int rm = 0; rm < 5; ++rm) {
      __asm__ volatile("fsrm %0" ::"r"(rm));
      uint64_t h = 0xcbf29ce484222325ull;
      for (int n = 0; n < ITERATIONS; ++n) {
        uint64_t a, b, c;
        if (op->kind == I) {
          a = rand_int();
          b = c = 0;
        } else if (op->dbl) {
          a = rand_double(0);
          b = rand_double(a);
          c = rand_double(next() & 1 ? a : b);
        } else {
          a = rand_single(0);
          b = rand_single(a);
          c = rand_single(next() & 1 ? a : b);
        }
        uint64_t fl = 0;
        const uint64_t r = op->fn(a, b, c, &fl);
        h = (h ^ r) * 0x100000001b3ull;
        h = (h ^ fl) * 0x100000001b3ull;
      }
      total ^= h + rm;
      out_fmt("%s rm=%d %016lx\n", op->name, rm, h);
    }
  }
  out_fmt("total %016lx\n", total);
  return 0;
}
