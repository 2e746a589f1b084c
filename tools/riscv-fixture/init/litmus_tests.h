// The litmus tests run by litmus.c: the classic two-thread shapes on two
// locations x and y (both 0 before each iteration), plain and with the
// orderings RVWMO (RISC-V unprivileged spec, ch. 17 and appendix A) says
// forbid the relaxed outcome: FENCE, AMO .aq/.rl and LR/SC .aq/.rl.
#ifndef VMM_RISCV_FIXTURE_INIT_LITMUS_TESTS_H_
#define VMM_RISCV_FIXTURE_INIT_LITMUS_TESTS_H_

#include <stdint.h>

// One thread of a test: may store to *x, *y and leaves what it loaded in
// r[0], r[1] (-1 when it loads nothing).
typedef void (*litmus_thread_fn)(int64_t* x, int64_t* y, int64_t* r);

enum litmus_shape {
  kMP,    // T0: x=1; y=1          T1: a=y; b=x         relaxed a=1,b=0
  kSB,    // T0: x=1; a=y          T1: y=1; b=x         relaxed a=0,b=0
  kLB,    // T0: a=x; y=1          T1: b=y; x=1         relaxed a=1,b=1
  k2p2W,  // T0: x=1; y=2          T1: y=1; x=2         relaxed final x=1,y=1
};

typedef struct {
  const char* name;
  enum litmus_shape shape;
  litmus_thread_fn t0;
  // Thread 1; NULL for the symmetric shapes (SB, LB, 2+2W), where thread 1
  // runs t0 with x and y swapped.
  litmus_thread_fn t1;
  // 1: RVWMO forbids the relaxed outcome (must never be seen); 0: allowed.
  int ordered;
} litmus_test;

extern const litmus_test kLitmusTests[];
extern const int kNumLitmusTests;

#endif  // VMM_RISCV_FIXTURE_INIT_LITMUS_TESTS_H_
