/* Hashing: CRC-32 (table built at run time), FNV-1a 64 and a xorshift
 * mixer over generated data; prints the digests. */
#include <stdint.h>

#include "bare.h"

static uint32_t crc_table[256];
static uint8_t data[65536];

static void crc32_init(void) {
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32(const uint8_t* p, uint64_t n) {
  uint32_t c = 0xffffffffu;
  for (uint64_t i = 0; i < n; ++i) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static uint64_t fnv1a(const uint8_t* p, uint64_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

int main(void) {
  crc32_init();
  if (crc32((const uint8_t*)"123456789", 9) != 0xcbf43926u) return 1;  /* standard check value */
  if (fnv1a((const uint8_t*)"a", 1) != 0xaf63dc4c8601ec8cull) return 2;
  uint64_t s = 1;
  for (uint64_t i = 0; i < sizeof(data); ++i) {
    s = mix(s + i);
    data[i] = (uint8_t)(s >> 56);
  }
  uint32_t c = crc32(data, sizeof(data));
  uint64_t f = fnv1a(data, sizeof(data));
  uint64_t m = 0;
  for (uint64_t i = 0; i < sizeof(data); i += 8) {
    uint64_t w = 0;
    for (int k = 0; k < 8; ++k) w |= (uint64_t)data[i + k] << (8 * k);
    m = mix(m ^ w);
  }
  out_fmt("crc32=%08x fnv1a=%016lx mix=%016lx\n", c, f, m);
  /* 32-bit arithmetic corner cases through the compiler. */
  int32_t x = INT32_MIN;
  volatile int32_t minus_one = -1;
  out_fmt("div=%d rem=%d shift=%x\n", x / 7, x % 7, (uint32_t)x >> (minus_one & 31));
  return 0;
}
