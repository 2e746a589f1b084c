/* Sorting: quicksort (recursive), merge sort and insertion sort over LCG
 * data; checks order and permutation, prints checksums. */
#include <stdint.h>

#include "bare.h"

#define N 3000

static uint64_t lcg_state = 12345;
static uint64_t next_rand(void) {
  lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
  return lcg_state >> 17;
}

static int64_t a[N], b[N], tmp[N];

static void quicksort(int64_t* v, int lo, int hi) {
  while (lo < hi) {
    int64_t pivot = v[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) ++i;
      while (v[j] > pivot) --j;
      if (i <= j) {
        int64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
        ++i;
        --j;
      }
    }
    if (j - lo < hi - i) {
      quicksort(v, lo, j);
      lo = i;
    } else {
      quicksort(v, i, hi);
      hi = j;
    }
  }
}

static void merge_sort(int64_t* v, int n) {
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      int mid = lo + width < n ? lo + width : n;
      int hi = lo + 2 * width < n ? lo + 2 * width : n;
      int i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
      while (i < mid) tmp[k++] = v[i++];
      while (j < hi) tmp[k++] = v[j++];
    }
    for (int i = 0; i < n; ++i) v[i] = tmp[i];
  }
}

static void insertion_sort(int32_t* v, int n) {
  for (int i = 1; i < n; ++i) {
    int32_t x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      --j;
    }
    v[j + 1] = x;
  }
}

int main(void) {
  uint64_t sum = 0, xsum = 0;
  for (int i = 0; i < N; ++i) {
    a[i] = (int64_t)(next_rand() % 2000001) - 1000000;
    b[i] = a[i];
    sum += (uint64_t)a[i];
    xsum ^= (uint64_t)a[i] * 0x9e3779b97f4a7c15ull;
  }
  quicksort(a, 0, N - 1);
  merge_sort(b, N);
  uint64_t sum2 = 0, xsum2 = 0;
  for (int i = 0; i < N; ++i) {
    if (i > 0 && a[i - 1] > a[i]) return 1;
    if (a[i] != b[i]) return 2;
    sum2 += (uint64_t)a[i];
    xsum2 ^= (uint64_t)a[i] * 0x9e3779b97f4a7c15ull;
  }
  if (sum != sum2 || xsum != xsum2) return 3;
  int32_t small[64];
  for (int i = 0; i < 64; ++i) small[i] = (int32_t)(next_rand() % 1000) - 500;
  insertion_sort(small, 64);
  for (int i = 1; i < 64; ++i) {
    if (small[i - 1] > small[i]) return 4;
  }
  out_fmt("sorted %d values: min=%ld max=%ld median=%ld\n", N, a[0], a[N - 1], a[N / 2]);
  out_fmt("checksum=%016lx small[0]=%d small[63]=%d\n", xsum2, small[0], small[63]);
  return 0;
}
