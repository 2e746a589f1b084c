// Shared helpers of the riscv64 fixture's test init (see main.c).
#ifndef VMM_RISCV_FIXTURE_INIT_COMMON_H_
#define VMM_RISCV_FIXTURE_INIT_COMMON_H_

#include <stddef.h>
#include <stdint.h>

// The value of `key=value` on the kernel command line (/proc/cmdline), or
// `def` when absent. The returned string lives until the next call.
const char* opt_str(const char* key, const char* def);
// The same, parsed as a decimal number; exits the mode with a message
// naming the key when the value is not a number in [min, max].
long opt_long(const char* key, long def, long min, long max);

// Milliseconds of CLOCK_MONOTONIC (the guest's own clock: the timer CSR).
double now_ms(void);

// The deterministic data every mode and the host-side checks agree on:
// xorshift64* (Vigna 2016) words, little-endian. A zero seed is mapped to 1
// (xorshift has no zero state).
typedef struct {
  uint64_t s;
} pattern_t;
void pattern_init(pattern_t* p, uint64_t seed);
void pattern_fill(pattern_t* p, void* buf, size_t len);  // len % 8 == 0

// Hex of a SHA-256 digest into out[65].
void hex32(const uint8_t digest[32], char out[65]);

// The modes; each returns 0 on success. Results are console lines starting
// with VMM- that the host tests parse.
int run_disk(void);
int run_litmus(void);
int run_compute(void);

#endif  // VMM_RISCV_FIXTURE_INIT_COMMON_H_
