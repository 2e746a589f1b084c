/* Multi-hart scaling benchmark: every hart runs the same independent
 * integer work (linked list walk and reversal, matrix multiply, CRC, and
 * SHA-256-style mixing over a buffer) on its own state, so the harts share
 * nothing but the code. HARTS harts run it at once on run_elf --harts=HARTS;
 * the Linux build runs it once per process (tools/tcg_bench/scale_bench.sh
 * starts HARTS qemu-riscv64 processes). Each hart's result must be equal. */
#include <stdint.h>

#include "bare.h"

#ifndef HARTS
#define HARTS 1
#endif
#define ROUNDS 60000
#define LIST 256
#define N 16
#define BUF 4096

typedef struct Node {
  struct Node* next;
  int32_t value;
  int32_t index;
} Node;

/* One hart's state, on its own 4 KiB pages. */
typedef struct {
  Node nodes[LIST];
  int32_t ma[N * N], mb[N * N], mc[N * N];
  uint32_t buf[BUF / 4];
} __attribute__((aligned(4096))) State;

static State states[HARTS];
static volatile uint64_t results[HARTS];
static volatile uint64_t done;

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static uint16_t crc16(uint16_t crc, uint32_t data) {
  for (int i = 0; i < 32; ++i) {
    const uint32_t bit = ((crc >> 15) ^ (data >> 31)) & 1;
    crc = (uint16_t)((crc << 1) ^ (bit ? 0x1021 : 0));
    data <<= 1;
  }
  return crc;
}

static Node* reverse(Node* head) {
  Node* prev = 0;
  while (head) {
    Node* next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  return prev;
}

static uint64_t work(State* s) {
  uint32_t x = 0x12345678;
  for (int i = 0; i < LIST; ++i) {
    s->nodes[i].next = i + 1 < LIST ? &s->nodes[i + 1] : 0;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    s->nodes[i].value = (int32_t)(x % 1000);
    s->nodes[i].index = i;
  }
  for (int i = 0; i < N * N; ++i) {
    s->ma[i] = i * 7 - 50;
    s->mb[i] = 3 - i;
  }
  for (int i = 0; i < BUF / 4; ++i) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    s->buf[i] = x;
  }
  Node* head = &s->nodes[0];
  uint16_t crc = 0;
  uint32_t h = 0x6a09e667;
  for (int r = 0; r < ROUNDS; ++r) {
    int32_t steps = 0;
    for (Node* n = head; n; n = n->next, ++steps) {
      if (n->value == r % 1000) break;
    }
    head = reverse(head);
    for (int i = 0; i < N; i += 4) {
      for (int j = 0; j < N; ++j) {
        int32_t acc = 0;
        for (int k = 0; k < N; ++k) acc += s->ma[i * N + k] * s->mb[k * N + j];
        s->mc[i * N + j] = acc + r;
      }
    }
    for (int i = 0; i < BUF / 4; i += 8) {
      const uint32_t w = s->buf[i] + h;
      h = rotr(h, 6) ^ rotr(w, 11) ^ (w >> 3);
      h += (h & w) ^ (~h & 0x5be0cd19);
      s->buf[i] = w ^ h;
    }
    crc = crc16(crc, (uint32_t)steps ^ (uint32_t)s->mc[r % (N * N)] ^ h);
  }
  return (uint64_t)crc << 32 | h;
}

#ifdef BARE_METAL
int main(uint64_t hart) {
  if (hart >= HARTS) return 0; /* not started by run_elf --harts=HARTS */
  results[hart] = work(&states[hart]);
  __atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
  if (hart != 0) return 0;
  while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != HARTS) {
    __asm__ volatile(".4byte 0x0100000f"); /* pause (Zihintpause) */
  }
  for (int i = 1; i < HARTS; ++i) {
    if (results[i] != results[0]) return 1;
  }
  out_fmt("scale %016lx\n", results[0]);
  return 0;
}
#else
int main(void) {
  results[0] = work(&states[0]);
  out_fmt("scale %016lx\n", results[0]);
  return 0;
}
#endif
