/* Litmus tests on 2-4 harts (RVWMO, unprivileged spec ch. 17 and
 * Appendix A): MP, SB, LB and 2+2W with the fences that forbid their relaxed
 * outcome (two independent pairs at once, so all four harts run), IRIW on 4
 * harts, WRC on 3, and LR/SC and AMO counters on 4. SB without fences is
 * allowed to show its relaxed outcome, and its count shows that the harts
 * really ran concurrently. Iterations go in chunks of fresh locations
 * between barriers; hart 0 tallies each chunk. Inside a chunk every
 * iteration starts with its own arrival counter (a generation barrier, as
 * litmus7's user mode): each hart adds 1 and spins until all NHARTS have
 * arrived, so the harts' accesses of one iteration really overlap instead of
 * one hart running ahead through the chunk. Any forbidden outcome makes
 * main return the test's number (the finisher's fail code).
 * ITERS per test: a few thousand in the test suite, millions for the
 * stress run (tools/tcg_bench/README.md). */
#include <stdint.h>

#include "bare.h"

#ifndef ITERS
#define ITERS 4096
#endif
#ifndef NHARTS
#define NHARTS 4 /* 2: only the pair tests, on harts 0 and 1 */
#endif
#define PAIR2 (NHARTS == 4) /* the second pair (harts 2 and 3) runs */
#ifndef CHUNK
#define CHUNK 512
#endif

/* Locations, one per 64-byte line so neighbouring iterations do not share. */
typedef struct {
  volatile uint64_t v;
  uint64_t pad[7];
} Loc;
static Loc A[CHUNK], B[CHUNK], C[CHUNK], D[CHUNK];
static uint64_t R[4][CHUNK][2]; /* per hart, per iteration: two observed values */
static volatile uint64_t counter_lrsc, counter_amo;
static volatile uint64_t bar_count, bar_sense;
static volatile uint64_t go[CHUNK]; /* per-iteration arrival counters */

#ifndef SPINS
#define SPINS 2000
#endif
#define PAUSE() __asm__ volatile(".4byte 0x0100000f") /* pause (Zihintpause) */

#define FENCE(p, s) __asm__ volatile("fence " #p ", " #s ::: "memory")

static void barrier(uint64_t* sense) {
  *sense = !*sense;
  if (__atomic_fetch_add(&bar_count, 1, __ATOMIC_ACQ_REL) == NHARTS - 1) {
    bar_count = 0;
    __atomic_store_n(&bar_sense, *sense, __ATOMIC_RELEASE);
  } else {
    while (__atomic_load_n(&bar_sense, __ATOMIC_ACQUIRE) != *sense) PAUSE();
  }
}

/* Start of iteration i: all harts arrive, then all leave at once. go[i] is
 * fresh (zeroed by hart 0 before the chunk's barrier), so no reset race.
 * The last hart to arrive leaves first (the others still have to see its
 * increment), so each hart then waits a pseudo-random 0..15 steps: which
 * hart runs ahead varies from one iteration to the next (litmus7 does the
 * same with its random delays). */
static void sync_iter(int i, uint64_t* rng) {
  __atomic_fetch_add(&go[i], 1, __ATOMIC_ACQ_REL);
  /* Spin without yielding first: a hart that yields its host thread wakes
   * microseconds after the release, long after a partner's few accesses.
   * PAUSE (a host yield) only when a peer seems descheduled. */
  for (unsigned spins = 0; __atomic_load_n(&go[i], __ATOMIC_ACQUIRE) < NHARTS; ++spins) {
    if (spins >= SPINS) PAUSE();
  }
  *rng ^= *rng << 13;
  *rng ^= *rng >> 7;
  *rng ^= *rng << 17;
  for (uint64_t d = *rng & 15; d != 0; --d) __asm__ volatile("" ::: "memory");
}

static uint64_t ld(Loc* l) { return l->v; }
static void st(Loc* l, uint64_t v) { l->v = v; }

/* One role per hart per test; `i` selects this iteration's locations. */
typedef void (*Role)(int i, uint64_t* out);

/* MP+fences: x = data, y = flag. Forbidden: flag 1, data 0. */
static void mp_w(Loc* x, Loc* y) { st(x, 1); FENCE(w, w); st(y, 1); }
static void mp_r(Loc* x, Loc* y, uint64_t* o) { o[0] = ld(y); FENCE(r, r); o[1] = ld(x); }
static void mp0(int i, uint64_t* o) { (void)o; mp_w(&A[i], &B[i]); }
static void mp1(int i, uint64_t* o) { mp_r(&A[i], &B[i], o); }
static void mp2(int i, uint64_t* o) { (void)o; mp_w(&C[i], &D[i]); }
static void mp3(int i, uint64_t* o) { mp_r(&C[i], &D[i], o); }

/* SB: x = 1; r = y || y = 1; r = x. With fence rw,rw both 0 is forbidden. */
static void sbf(Loc* x, Loc* y, uint64_t* o) { st(x, 1); FENCE(rw, rw); o[0] = ld(y); }
static void sbf0(int i, uint64_t* o) { sbf(&A[i], &B[i], o); }
static void sbf1(int i, uint64_t* o) { sbf(&B[i], &A[i], o); }
static void sbf2(int i, uint64_t* o) { sbf(&C[i], &D[i], o); }
static void sbf3(int i, uint64_t* o) { sbf(&D[i], &C[i], o); }
static void sb(Loc* x, Loc* y, uint64_t* o) { st(x, 1); o[0] = ld(y); }
static void sb0(int i, uint64_t* o) { sb(&A[i], &B[i], o); }
static void sb1(int i, uint64_t* o) { sb(&B[i], &A[i], o); }
static void sb2(int i, uint64_t* o) { sb(&C[i], &D[i], o); }
static void sb3(int i, uint64_t* o) { sb(&D[i], &C[i], o); }

/* LB+fences: r = x; fence r,w; y = 1 (both ways). Forbidden: both read 1. */
static void lb(Loc* x, Loc* y, uint64_t* o) { o[0] = ld(x); FENCE(r, w); st(y, 1); }
static void lb0(int i, uint64_t* o) { lb(&A[i], &B[i], o); }
static void lb1(int i, uint64_t* o) { lb(&B[i], &A[i], o); }
static void lb2(int i, uint64_t* o) { lb(&C[i], &D[i], o); }
static void lb3(int i, uint64_t* o) { lb(&D[i], &C[i], o); }

/* 2+2W+fences: x = 1; y = 2 || y = 1; x = 2. Forbidden final x == y == 1. */
static void w22(Loc* x, Loc* y) { st(x, 1); FENCE(w, w); st(y, 2); }
static void w220(int i, uint64_t* o) { (void)o; w22(&A[i], &B[i]); }
static void w221(int i, uint64_t* o) { (void)o; w22(&B[i], &A[i]); }
static void w222(int i, uint64_t* o) { (void)o; w22(&C[i], &D[i]); }
static void w223(int i, uint64_t* o) { (void)o; w22(&D[i], &C[i]); }

#if NHARTS == 4
/* IRIW+fences: two writers, two readers reading in opposite orders.
 * Forbidden (multi-copy atomicity): the readers disagree on the order. */
static void iriw0(int i, uint64_t* o) { (void)o; st(&A[i], 1); }
static void iriw1(int i, uint64_t* o) { (void)o; st(&B[i], 1); }
static void iriw2(int i, uint64_t* o) { o[0] = ld(&A[i]); FENCE(r, r); o[1] = ld(&B[i]); }
static void iriw3(int i, uint64_t* o) { o[0] = ld(&B[i]); FENCE(r, r); o[1] = ld(&A[i]); }

/* WRC+fences: x = 1 || r0 = x; fence; y = 1 || r1 = y; fence; r2 = x.
 * Forbidden: r0 = 1, r1 = 1, r2 = 0 (cumulativity). Hart 3 idles. */
static void wrc0(int i, uint64_t* o) { (void)o; st(&A[i], 1); }
static void wrc1(int i, uint64_t* o) { o[0] = ld(&A[i]); FENCE(rw, rw); st(&B[i], 1); }
static void wrc2(int i, uint64_t* o) { o[0] = ld(&B[i]); FENCE(r, r); o[1] = ld(&A[i]); }
static void idle(int i, uint64_t* o) { (void)i; (void)o; }

#endif

/* Counters: every hart increments both, once per iteration. */
static void count(int i, uint64_t* o) {
  (void)i;
  (void)o;
  uint64_t tmp, fail;
  __asm__ volatile(
      "1: lr.d %0, (%2)\n"
      "   addi %0, %0, 1\n"
      "   sc.d %1, %0, (%2)\n"
      "   bnez %1, 1b\n"
      : "=&r"(tmp), "=&r"(fail)
      : "r"(&counter_lrsc)
      : "memory");
  __atomic_fetch_add(&counter_amo, 1, __ATOMIC_RELAXED);
}

/* Per-chunk check by hart 0: returns (forbidden, interesting) counts. */
typedef void (*Check)(int i, uint64_t* forbidden, uint64_t* relaxed);

static void check_mp(int i, uint64_t* f, uint64_t* r) {
  if (R[1][i][0] == 1 && R[1][i][1] == 0) ++*f;
  if (PAIR2 && R[3][i][0] == 1 && R[3][i][1] == 0) ++*f;
  *r += (R[1][i][0] == 1) + (PAIR2 && R[3][i][0] == 1); /* reader saw the flag */
}
static void check_sb_fenced(int i, uint64_t* f, uint64_t* r) {
  if (R[0][i][0] == 0 && R[1][i][0] == 0) ++*f;
  if (PAIR2 && R[2][i][0] == 0 && R[3][i][0] == 0) ++*f;
  (void)r;
}
static void check_sb(int i, uint64_t* f, uint64_t* r) {
  (void)f; /* allowed by RVWMO (and seen on x86-TSO hosts) */
  if (R[0][i][0] == 0 && R[1][i][0] == 0) ++*r;
  if (PAIR2 && R[2][i][0] == 0 && R[3][i][0] == 0) ++*r;
}
static void check_lb(int i, uint64_t* f, uint64_t* r) {
  if (R[0][i][0] == 1 && R[1][i][0] == 1) ++*f;
  if (PAIR2 && R[2][i][0] == 1 && R[3][i][0] == 1) ++*f;
  *r += (R[0][i][0] == 1) + (R[1][i][0] == 1) + (PAIR2 && R[2][i][0] == 1) + (PAIR2 && R[3][i][0] == 1);
}
static void check_w22(int i, uint64_t* f, uint64_t* r) {
  if (A[i].v == 1 && B[i].v == 1) ++*f;
  if (PAIR2 && C[i].v == 1 && D[i].v == 1) ++*f;
  *r += (A[i].v == 2 && B[i].v == 2) + (PAIR2 && C[i].v == 2 && D[i].v == 2);
}
#if NHARTS == 4
static void check_iriw(int i, uint64_t* f, uint64_t* r) {
  if (R[2][i][0] == 1 && R[2][i][1] == 0 && R[3][i][0] == 1 && R[3][i][1] == 0) ++*f;
  *r += (R[2][i][0] != R[2][i][1]) + (R[3][i][0] != R[3][i][1]);
}
static void check_wrc(int i, uint64_t* f, uint64_t* r) {
  if (R[1][i][0] == 1 && R[2][i][0] == 1 && R[2][i][1] == 0) ++*f;
  *r += R[1][i][0] == 1 && R[2][i][0] == 1;
}
#endif
static void check_none(int i, uint64_t* f, uint64_t* r) { (void)i; (void)f; (void)r; }

struct Test {
  const char* name;
  Role roles[4]; /* harts >= NHARTS do not run */
  Check check;
};

static const struct Test kTests[] = {
    {"MP+fences x2", {mp0, mp1, mp2, mp3}, check_mp},
    {"SB+fences x2", {sbf0, sbf1, sbf2, sbf3}, check_sb_fenced},
    {"SB (allowed) x2", {sb0, sb1, sb2, sb3}, check_sb},
    {"LB+fences x2", {lb0, lb1, lb2, lb3}, check_lb},
    {"2+2W+fences x2", {w220, w221, w222, w223}, check_w22},
#if NHARTS == 4
    {"IRIW+fences", {iriw0, iriw1, iriw2, iriw3}, check_iriw},
    {"WRC+fences", {wrc0, wrc1, wrc2, idle}, check_wrc},
#endif
    {"LR/SC+AMO counters", {count, count, count, count}, check_none},
};

int main(uint64_t hart) {
  uint64_t sense = 0, rng = 0x9e3779b97f4a7c15ull * (hart + 1);
  int failed = 0;
  for (unsigned t = 0; t < sizeof(kTests) / sizeof(kTests[0]); ++t) {
    const struct Test* test = &kTests[t];
    uint64_t forbidden = 0, relaxed = 0;
    if (hart == 0) counter_lrsc = counter_amo = 0;
    for (int base = 0; base < ITERS; base += CHUNK) {
      if (hart == 0) {
        for (int i = 0; i < CHUNK; ++i) A[i].v = B[i].v = C[i].v = D[i].v = go[i] = 0;
      }
      barrier(&sense);
      for (int i = 0; i < CHUNK; ++i) {
        sync_iter(i, &rng);
        test->roles[hart](i, R[hart][i]);
      }
      barrier(&sense);
      if (hart == 0) {
        for (int i = 0; i < CHUNK; ++i) test->check(i, &forbidden, &relaxed);
      }
    }
    barrier(&sense);
    if (hart != 0) continue;
    const uint64_t runs = (uint64_t)((ITERS + CHUNK - 1) / CHUNK) * CHUNK;
    if (test->roles[0] == count) {
      const uint64_t want = runs * NHARTS;
      if (counter_lrsc != want || counter_amo != want) forbidden = 1;
      out_fmt("%s: lr/sc %lu amo %lu of %lu\n", test->name, counter_lrsc, counter_amo, want);
    } else {
      out_fmt("%s: forbidden %lu, relaxed/interleaved %lu, of %lu\n", test->name, forbidden,
              relaxed, runs);
    }
    if (forbidden != 0 && failed == 0) failed = (int)t + 1;
  }
  return failed;
}
