// SHA-256 (FIPS 180-4), small and portable: the disk and compute modes hash
// what they write, the host recomputes it with hashlib.
#ifndef VMM_RISCV_FIXTURE_INIT_SHA256_H_
#define VMM_RISCV_FIXTURE_INIT_SHA256_H_

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t h[8];
  uint64_t bytes;
  uint8_t buf[64];
  size_t used;
} sha256_t;

void sha256_init(sha256_t* c);
void sha256_update(sha256_t* c, const void* data, size_t len);
void sha256_final(sha256_t* c, uint8_t digest[32]);

#endif  // VMM_RISCV_FIXTURE_INIT_SHA256_H_
