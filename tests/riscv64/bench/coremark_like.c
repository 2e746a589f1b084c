/* CoreMark-like integer kernel: linked-list search and reversal, matrix
 * multiply-accumulate, a byte-driven state machine and CRC16 over the
 * results (the four parts of EEMBC CoreMark, reimplemented small). */
#include <stdint.h>

#include "bare.h"

#define ITERATIONS 20000
#define LIST 256
#define N 16

typedef struct Node {
  struct Node* next;
  int32_t value;
  int32_t index;
} Node;

static Node nodes[LIST];
static int32_t ma[N * N], mb[N * N], mc[N * N];
static uint8_t text[512];

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

static int32_t find(Node* head, int32_t value) {
  int32_t steps = 0;
  for (; head; head = head->next, ++steps) {
    if (head->value == value) return steps;
  }
  return -1;
}

static int32_t matrix(int32_t k) {
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j) {
      int32_t acc = 0;
      for (int x = 0; x < N; ++x) acc += ma[i * N + x] * mb[x * N + j];
      mc[i * N + j] = acc + k;
    }
  }
  int32_t sum = 0;
  for (int i = 0; i < N * N; ++i) sum ^= mc[i] >> (i & 7);
  return sum;
}

/* Classifies numbers in text: states start, int, frac, exp, invalid. */
static uint32_t state_machine(void) {
  uint32_t counts[5] = {0};
  int state = 0;
  for (unsigned i = 0; i < sizeof(text); ++i) {
    const uint8_t c = text[i];
    if (c == ',') {
      counts[state]++;
      state = 0;
      continue;
    }
    const int digit = c >= '0' && c <= '9';
    switch (state) {
      case 0: state = digit ? 1 : (c == '.' ? 2 : 4); break;
      case 1: state = digit ? 1 : (c == '.' ? 2 : (c == 'e' ? 3 : 4)); break;
      case 2: state = digit ? 2 : (c == 'e' ? 3 : 4); break;
      case 3: state = digit ? 3 : 4; break;
      default: break;
    }
  }
  return counts[0] + 3 * counts[1] + 5 * counts[2] + 7 * counts[3] + 11 * counts[4];
}

int main(void) {
  uint32_t seed = 1;
  for (int i = 0; i < LIST; ++i) {
    seed = seed * 1103515245u + 12345u;
    nodes[i].value = (int32_t)(seed >> 16) & 1023;
    nodes[i].index = i;
    nodes[i].next = i + 1 < LIST ? &nodes[i + 1] : 0;
  }
  for (int i = 0; i < N * N; ++i) {
    seed = seed * 1103515245u + 12345u;
    ma[i] = (int32_t)(seed >> 20) - 2048;
    mb[i] = (int32_t)(seed >> 8) & 255;
  }
  static const char alphabet[] = "0123456789.e,x";
  for (unsigned i = 0; i < sizeof(text); ++i) {
    seed = seed * 1103515245u + 12345u;
    text[i] = (uint8_t)alphabet[(seed >> 16) % 14];
  }
  Node* head = &nodes[0];
  uint16_t crc = 0;
  for (int it = 0; it < ITERATIONS; ++it) {
    crc = crc16(crc, (uint32_t)find(head, it & 1023));
    head = reverse(head);
    crc = crc16(crc, (uint32_t)matrix(it));
    crc = crc16(crc, state_machine());
    text[it % sizeof(text)] = (uint8_t)alphabet[crc % 14];
  }
  out_fmt("coremark_like crc %04x\n", crc);
  return 0;
}
