// `vmmtest=compute`: a CPU-bound workload timed by the guest itself, for
// the benchmark against QEMU and for checking the JIT computes right.
//
// `vmmmib=` MiB (default 4) of pattern_fill(`vmmseed=`) data, split into
// `vmmthreads=` equal chunks (default 1), one thread per chunk pinned to
// vCPU i % nproc. Each thread hashes its chunk (sha256), sorts it as
// uint32 (heap sort: no libc qsort indirection) and hashes the sorted
// chunk. Prints VMM-COMPUTE-START before the threads start and then
// VMM-COMPUTE threads=N mib=M ms=T digest=H sorted_ok=0|1, H = sha256 over
// the per-chunk digests (data digest then sorted digest, chunk order), so
// another machine running the same mode must print the same H.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "sha256.h"

enum { kMaxThreads = 64 };

typedef struct {
  int index;
  uint32_t* data;
  size_t n;  // uint32 elements
  uint8_t digest[2][32];
  int sorted_ok;
  double ms;
} chunk_t;

static void sift_down(uint32_t* a, size_t start, size_t end) {
  size_t root = start;
  while (2 * root + 1 < end) {
    size_t child = 2 * root + 1;
    if (child + 1 < end && a[child] < a[child + 1]) ++child;
    if (a[root] >= a[child]) return;
    uint32_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

static void heap_sort(uint32_t* a, size_t n) {
  if (n < 2) return;
  for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
  for (size_t end = n - 1; end > 0; --end) {
    uint32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, 0, end);
  }
}

static void* chunk_main(void* arg) {
  chunk_t* c = arg;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(c->index % (ncpu > 0 ? ncpu : 1), &set);
  sched_setaffinity(0, sizeof(set), &set);
  double t0 = now_ms();
  sha256_t sha;
  sha256_init(&sha);
  sha256_update(&sha, c->data, c->n * 4);
  sha256_final(&sha, c->digest[0]);
  heap_sort(c->data, c->n);
  c->sorted_ok = 1;
  for (size_t i = 1; i < c->n; ++i) {
    if (c->data[i - 1] > c->data[i]) c->sorted_ok = 0;
  }
  sha256_init(&sha);
  sha256_update(&sha, c->data, c->n * 4);
  sha256_final(&sha, c->digest[1]);
  c->ms = now_ms() - t0;
  return NULL;
}

int run_compute(void) {
  long mib = opt_long("vmmmib", 4, 1, 1024);
  long threads = opt_long("vmmthreads", 1, 1, kMaxThreads);
  uint64_t seed = (uint64_t)opt_long("vmmseed", 1, 0, 0x7fffffffffffffffL);
  size_t bytes = (size_t)mib << 20;
  if (bytes % (threads * 64) != 0) {
    printf("VMM-INIT-ERROR compute: vmmmib=%ld does not split into vmmthreads=%ld chunks\n", mib,
           threads);
    return 2;
  }
  uint32_t* data = malloc(bytes);
  if (data == NULL) {
    printf("VMM-INIT-ERROR compute: malloc(%zu) failed (vmmmib too large for the guest RAM)\n",
           bytes);
    return 1;
  }
  pattern_t pat;
  pattern_init(&pat, seed);
  pattern_fill(&pat, data, bytes);
  static chunk_t chunks[kMaxThreads];
  pthread_t th[kMaxThreads];
  size_t per = bytes / 4 / threads;
  printf("VMM-COMPUTE-START threads=%ld mib=%ld\n", threads, mib);
  fflush(stdout);
  double t0 = now_ms();
  for (long i = 0; i < threads; ++i) {
    chunks[i] = (chunk_t){.index = (int)i, .data = data + i * per, .n = per};
    if (pthread_create(&th[i], NULL, chunk_main, &chunks[i]) != 0) {
      printf("VMM-INIT-ERROR compute: pthread_create failed\n");
      return 1;
    }
  }
  for (long i = 0; i < threads; ++i) pthread_join(th[i], NULL);
  double ms = now_ms() - t0;
  sha256_t sha;
  sha256_init(&sha);
  int sorted_ok = 1;
  double slowest = 0;
  for (long i = 0; i < threads; ++i) {
    sha256_update(&sha, chunks[i].digest, sizeof(chunks[i].digest));
    sorted_ok &= chunks[i].sorted_ok;
    if (chunks[i].ms > slowest) slowest = chunks[i].ms;
  }
  uint8_t d[32];
  char hex[65];
  sha256_final(&sha, d);
  hex32(d, hex);
  printf("VMM-COMPUTE threads=%ld mib=%ld ms=%.0f slowest_thread_ms=%.0f digest=%s sorted_ok=%d\n",
         threads, mib, ms, slowest, hex, sorted_ok);
  free(data);
  return sorted_ok ? 0 : 1;
}
