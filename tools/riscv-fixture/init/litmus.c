// `vmmtest=litmus`: runs every test of litmus_tests.c as two threads pinned
// (sched_setaffinity) to two different vCPUs (`vmmcpus=A,B`, default 0,1),
// `vmmiters=` iterations each (default 100000). Each iteration uses a fresh
// pair of locations and starts with a shared sense-reversing barrier, then a
// per-iteration random delay of 0..`vmmdelay=`-1 (default 32) empty loops
// per thread, so the two threads' accesses really overlap at varying
// offsets. Every `kBatch` iterations thread 0 tallies the
// outcomes and clears the locations between two more barriers. With
// `vmmbudget_ms=` each test also stops after its share of that time (whole
// batches), and the lines report the iterations actually run.
//
// Prints per test: VMM-LITMUS test=NAME ordered=0|1 iters=N 00=.. 01=..
// 10=.. 11=.. relaxed=K forbidden=F, where forbidden counts the relaxed
// outcome of an ordered test and any outcome no interleaving can give. Then
// VMM-LITMUS-DONE tests=T iters=N forbidden=F relaxed_seen=R ms=..; rc 0
// iff forbidden is 0.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "litmus_tests.h"

enum {
  kBatch = 512,
  kSpinBeforePause = 4000,
};

typedef struct {
  int64_t x;
  char pad0[56];
  int64_t y;
  char pad1[56];
} slot_t;

typedef struct {
  _Atomic int count;
  char pad0[60];
  _Atomic int sense;
  char pad1[60];
} barrier_t;

static slot_t slots[kBatch] __attribute__((aligned(64)));
static int64_t results[2][kBatch][2];
static barrier_t bar __attribute__((aligned(64)));
static long iters;
static long delay_range;
static double budget_ms;  // 0: no limit. Else every test stops at its share.
static double start_ms;
static _Atomic int stop_test;  // Set by thread 0 between two barriers.
static long ran[64];  // Iterations done per test.  // Random 0..delay_range-1 loops after each barrier.
static int cpus[2];
static int ran_on[2];  // sched_getcpu() of each thread once pinned.
static uint64_t outcome[64][5];  // [test][00, 01, 10, 11, impossible]

static inline void cpu_relax(void) {
  __asm__ volatile(".4byte 0x0100000f" ::: "memory");  // PAUSE (Zihintpause).
}

static void barrier_wait(int* local_sense) {
  int s = !*local_sense;
  *local_sense = s;
  if (atomic_fetch_add(&bar.count, 1) == 1) {
    atomic_store_explicit(&bar.count, 0, memory_order_relaxed);
    atomic_store_explicit(&bar.sense, s, memory_order_release);
  } else {
    // Spin on plain loads first: a PAUSE may give up the host thread (our
    // JIT yields on it), and the waiter would then always start its test
    // long after the releaser, so the two never overlap. PAUSE only after
    // that, for when the other vCPU is not running at all.
    for (int i = 0; i < kSpinBeforePause; ++i) {
      if (atomic_load_explicit(&bar.sense, memory_order_acquire) == s) return;
    }
    while (atomic_load_explicit(&bar.sense, memory_order_acquire) != s) cpu_relax();
  }
}

// Maps one iteration's values to outcome 0..3 (a*2+b), or 4 if impossible.
static int classify(enum litmus_shape shape, const int64_t* r0, const int64_t* r1,
                    const slot_t* s) {
  int64_t a, b;
  switch (shape) {
    case kMP: a = r1[0]; b = r1[1]; break;
    case kSB:
    case kLB: a = r0[0]; b = r1[0]; break;
    default: a = s->x - 1; b = s->y - 1; break;
  }
  if ((a != 0 && a != 1) || (b != 0 && b != 1)) return 4;
  return (int)(a * 2 + b);
}

static int relaxed_outcome(enum litmus_shape shape) {
  switch (shape) {
    case kMP: return 2;   // a=1 b=0
    case kSB: return 0;   // a=0 b=0
    case kLB: return 3;   // a=1 b=1
    default: return 0;    // x=1 y=1
  }
}

static void* thread_main(void* arg) {
  int id = (int)(intptr_t)arg;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpus[id], &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    printf("VMM-INIT-ERROR litmus: sched_setaffinity(cpu %d): %m\n", cpus[id]);
    fflush(stdout);
  }
  int sense = 0;
  uint64_t rnd = 0x9E3779B97F4A7C15ULL * (uint64_t)(id + 1);
  barrier_wait(&sense);
  ran_on[id] = sched_getcpu();
  for (int t = 0; t < kNumLitmusTests; ++t) {
    const litmus_test* lt = &kLitmusTests[t];
    litmus_thread_fn fn = id == 0 || lt->t1 == NULL ? lt->t0 : lt->t1;
    int swap = id == 1 && lt->t1 == NULL;
    // Test t gets the budget's share up to (t+1)/T of it, so a slow start
    // does not starve the later tests.
    const double deadline = start_ms + budget_ms * (t + 1) / kNumLitmusTests;
    for (long done = 0; done < iters && !atomic_load(&stop_test); done += kBatch) {
      int n = iters - done < kBatch ? (int)(iters - done) : kBatch;
      for (int k = 0; k < n; ++k) {
        barrier_wait(&sense);
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        for (volatile int d = (int)(rnd % delay_range); d > 0; --d) {
        }
        slot_t* s = &slots[k];
        if (swap) {
          fn(&s->y, &s->x, results[id][k]);
        } else {
          fn(&s->x, &s->y, results[id][k]);
        }
      }
      barrier_wait(&sense);
      if (id == 0) {
        for (int k = 0; k < n; ++k) {
          ++outcome[t][classify(lt->shape, results[0][k], results[1][k], &slots[k])];
          slots[k].x = 0;
          slots[k].y = 0;
        }
        ran[t] += n;
        if (budget_ms > 0 && now_ms() > deadline) atomic_store(&stop_test, 1);
      }
      barrier_wait(&sense);
    }
    // Both threads have read stop_test for this test before either clears
    // it for the next one.
    barrier_wait(&sense);
    if (id == 0) atomic_store(&stop_test, 0);
    barrier_wait(&sense);
  }
  return NULL;
}

int run_litmus(void) {
  iters = opt_long("vmmiters", 100000, 1, 1000000000L);
  delay_range = opt_long("vmmdelay", 32, 1, 100000);
  budget_ms = (double)opt_long("vmmbudget_ms", 0, 0, 100000000L);
  const char* c = opt_str("vmmcpus", "0,1");
  if (sscanf(c, "%d,%d", &cpus[0], &cpus[1]) != 2 || cpus[0] == cpus[1] || cpus[0] < 0 ||
      cpus[1] < 0) {
    printf("VMM-INIT-ERROR vmmcpus=%s: must be two different CPU numbers A,B\n", c);
    return 2;
  }
  if (kNumLitmusTests > 64) return 2;
  double t0 = now_ms();
  start_ms = t0;
  pthread_t th[2];
  for (int i = 0; i < 2; ++i) {
    if (pthread_create(&th[i], NULL, thread_main, (void*)(intptr_t)i) != 0) {
      printf("VMM-INIT-ERROR litmus: pthread_create failed\n");
      return 1;
    }
  }
  for (int i = 0; i < 2; ++i) pthread_join(th[i], NULL);
  double ms = now_ms() - t0;
  printf("VMM-LITMUS-THREADS cpu0=%d cpu1=%d\n", ran_on[0], ran_on[1]);
  if (ran_on[0] != cpus[0] || ran_on[1] != cpus[1]) {
    printf("VMM-INIT-ERROR litmus: threads ran on CPUs %d,%d, not the pinned %d,%d\n", ran_on[0],
           ran_on[1], cpus[0], cpus[1]);
    return 1;
  }
  uint64_t forbidden_total = 0, relaxed_seen = 0, total = 0;
  for (int t = 0; t < kNumLitmusTests; ++t) {
    const litmus_test* lt = &kLitmusTests[t];
    const uint64_t* o = outcome[t];
    uint64_t relaxed = o[relaxed_outcome(lt->shape)];
    uint64_t forbidden = o[4] + (lt->ordered ? relaxed : 0);
    forbidden_total += forbidden;
    if (!lt->ordered) relaxed_seen += relaxed;
    total += ran[t];
    printf("VMM-LITMUS test=%s ordered=%d iters=%ld 00=%llu 01=%llu 10=%llu 11=%llu "
           "impossible=%llu relaxed=%llu forbidden=%llu\n",
           lt->name, lt->ordered, ran[t], (unsigned long long)o[0], (unsigned long long)o[1],
           (unsigned long long)o[2], (unsigned long long)o[3], (unsigned long long)o[4],
           (unsigned long long)relaxed, (unsigned long long)forbidden);
  }
  printf("VMM-LITMUS-DONE tests=%d iters=%llu forbidden=%llu relaxed_seen=%llu ms=%.0f\n",
         kNumLitmusTests, (unsigned long long)total, (unsigned long long)forbidden_total,
         (unsigned long long)relaxed_seen, ms);
  return forbidden_total == 0 ? 0 : 1;
}
