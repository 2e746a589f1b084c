// The thread bodies of the litmus tests (litmus_tests.h) in RISC-V
// assembly, so the compiler cannot reorder or merge the accesses.
#include "litmus_tests.h"

#include <stddef.h>

#define THREAD(fn, body)                                                           \
  static void fn(int64_t* x, int64_t* y, int64_t* r) {                             \
    int64_t a = -1, b = -1;                                                        \
    __asm__ volatile(body                                                          \
                     : [a] "+&r"(a), [b] "+&r"(b)                                  \
                     : [x] "r"(x), [y] "r"(y)                                      \
                     : "t0", "t1", "memory");                                      \
    r[0] = a;                                                                      \
    r[1] = b;                                                                      \
  }

// MP: message passing. RVWMO forbids a=1,b=0 when T0 orders its stores and
// T1 its loads (fence w,w / fence r,r; a release store and an acquire load
// as AMO or LR/SC).
THREAD(mp_w, "li t0, 1\n sd t0, 0(%[x])\n sd t0, 0(%[y])\n")
THREAD(mp_w_fence, "li t0, 1\n sd t0, 0(%[x])\n fence w, w\n sd t0, 0(%[y])\n")
THREAD(mp_w_amo, "li t0, 1\n sd t0, 0(%[x])\n amoswap.d.rl zero, t0, (%[y])\n")
THREAD(mp_w_lrsc,
       "li t0, 1\n sd t0, 0(%[x])\n"
       "1: lr.d t1, (%[y])\n sc.d.rl t1, t0, (%[y])\n bnez t1, 1b\n")
THREAD(mp_r, "ld %[a], 0(%[y])\n ld %[b], 0(%[x])\n")
THREAD(mp_r_fence, "ld %[a], 0(%[y])\n fence r, r\n ld %[b], 0(%[x])\n")
THREAD(mp_r_amo, "amoor.d.aq %[a], zero, (%[y])\n ld %[b], 0(%[x])\n")
THREAD(mp_r_lrsc, "lr.d.aq %[a], (%[y])\n ld %[b], 0(%[x])\n")

// SB: store buffering, the one relaxation a TSO host shows for plain
// accesses; forbidden with a store->load fence or .aqrl AMO / SC.
THREAD(sb, "li t0, 1\n sd t0, 0(%[x])\n ld %[a], 0(%[y])\n")
THREAD(sb_fence, "li t0, 1\n sd t0, 0(%[x])\n fence rw, rw\n ld %[a], 0(%[y])\n")
THREAD(sb_fence_wr, "li t0, 1\n sd t0, 0(%[x])\n fence w, r\n ld %[a], 0(%[y])\n")
THREAD(sb_amo, "li t0, 1\n amoswap.d.aqrl zero, t0, (%[x])\n ld %[a], 0(%[y])\n")
THREAD(sb_lrsc,
       "li t0, 1\n"
       "1: lr.d t1, (%[x])\n sc.d.aqrl t1, t0, (%[x])\n bnez t1, 1b\n"
       "ld %[a], 0(%[y])\n")

// LB: load buffering; forbidden with fence r,w, a data dependency (RVWMO
// preserved program order rule 10) or a release store.
THREAD(lb, "ld %[a], 0(%[x])\n li t0, 1\n sd t0, 0(%[y])\n")
THREAD(lb_fence, "ld %[a], 0(%[x])\n fence r, w\n li t0, 1\n sd t0, 0(%[y])\n")
THREAD(lb_data, "ld %[a], 0(%[x])\n xor t0, %[a], %[a]\n addi t0, t0, 1\n sd t0, 0(%[y])\n")
THREAD(lb_amo, "ld %[a], 0(%[x])\n li t0, 1\n amoswap.d.rl zero, t0, (%[y])\n")

// 2+2W: two writers; final x=1,y=1 needs both pairs of stores reordered.
THREAD(w2, "li t0, 1\n li t1, 2\n sd t0, 0(%[x])\n sd t1, 0(%[y])\n")
THREAD(w2_fence, "li t0, 1\n li t1, 2\n sd t0, 0(%[x])\n fence w, w\n sd t1, 0(%[y])\n")
THREAD(w2_amo, "li t0, 1\n li t1, 2\n sd t0, 0(%[x])\n amoswap.d.rl zero, t1, (%[y])\n")
THREAD(w2_lrsc,
       "li t1, 2\n li t0, 1\n sd t0, 0(%[x])\n"
       "1: lr.d t0, (%[y])\n sc.d.rl t0, t1, (%[y])\n bnez t0, 1b\n")

const litmus_test kLitmusTests[] = {
    {"MP", kMP, mp_w, mp_r, 0},
    {"MP+fence.w.w+fence.r.r", kMP, mp_w_fence, mp_r_fence, 1},
    {"MP+amoswap.rl+amoor.aq", kMP, mp_w_amo, mp_r_amo, 1},
    {"MP+sc.rl+lr.aq", kMP, mp_w_lrsc, mp_r_lrsc, 1},
    {"SB", kSB, sb, NULL, 0},
    {"SB+fence.rw.rw", kSB, sb_fence, NULL, 1},
    {"SB+fence.w.r", kSB, sb_fence_wr, NULL, 1},
    {"SB+amoswap.aqrl", kSB, sb_amo, NULL, 1},
    {"SB+sc.aqrl", kSB, sb_lrsc, NULL, 1},
    {"LB", kLB, lb, NULL, 0},
    {"LB+fence.r.w", kLB, lb_fence, NULL, 1},
    {"LB+data", kLB, lb_data, NULL, 1},
    {"LB+amoswap.rl", kLB, lb_amo, NULL, 1},
    {"2+2W", k2p2W, w2, NULL, 0},
    {"2+2W+fence.w.w", k2p2W, w2_fence, NULL, 1},
    {"2+2W+amoswap.rl", k2p2W, w2_amo, NULL, 1},
    {"2+2W+sc.rl", k2p2W, w2_lrsc, NULL, 1},
};
const int kNumLitmusTests = sizeof(kLitmusTests) / sizeof(kLitmusTests[0]);
