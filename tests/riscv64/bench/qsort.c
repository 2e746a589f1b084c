/* Quicksort (median of three, insertion sort below 16) of 200k 64-bit keys,
 * several rounds over fresh pseudo-random data. */
#include <stdint.h>

#include "bare.h"

#define COUNT 200000
#define ROUNDS 15

static uint64_t a[COUNT];

static void insertion(uint64_t* v, int n) {
  for (int i = 1; i < n; ++i) {
    const uint64_t x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      --j;
    }
    v[j + 1] = x;
  }
}

static void quicksort(uint64_t* v, int n) {
  while (n > 16) {
    uint64_t x = v[0], y = v[n / 2], z = v[n - 1];
    const uint64_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    int i = 0, j = n - 1;
    for (;;) {
      while (v[i] < pivot) ++i;
      while (v[j] > pivot) --j;
      if (i >= j) break;
      const uint64_t t = v[i];
      v[i] = v[j];
      v[j] = t;
      ++i;
      --j;
    }
    if (j + 1 < n - j - 1) {
      quicksort(v, j + 1);
      v += j + 1;
      n -= j + 1;
    } else {
      quicksort(v + j + 1, n - j - 1);
      n = j + 1;
    }
  }
  insertion(v, n);
}

int main(void) {
  uint64_t seed = 0x1234567;
  uint64_t check = 0;
  for (int r = 0; r < ROUNDS; ++r) {
    for (int i = 0; i < COUNT; ++i) {
      seed ^= seed << 13;
      seed ^= seed >> 7;
      seed ^= seed << 17;
      a[i] = seed % 1000000007u;
    }
    quicksort(a, COUNT);
    for (int i = 1; i < COUNT; ++i) {
      if (a[i - 1] > a[i]) return 1;
    }
    check = check * 31 + a[COUNT / 2] + a[COUNT / 7];
  }
  out_fmt("qsort %016lx\n", check);
  return 0;
}
