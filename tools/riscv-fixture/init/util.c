// Command-line options, clock and the shared data pattern (common.h).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

const char* opt_str(const char* key, const char* def) {
  static char line[4096];
  static char value[256];
  // VMM_INIT_CMDLINE stands in for /proc/cmdline when the init runs as a
  // normal process (under qemu-riscv64 user mode in init_test.sh).
  const char* env = getenv("VMM_INIT_CMDLINE");
  if (env != NULL) {
    snprintf(line, sizeof(line), "%s", env);
  } else {
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd < 0) return def;
    ssize_t n = read(fd, line, sizeof(line) - 1);
    close(fd);
    if (n <= 0) return def;
    line[n] = 0;
  }
  size_t klen = strlen(key);
  for (char* p = line; *p;) {
    while (*p == ' ' || *p == '\n') ++p;
    char* end = p + strcspn(p, " \n");
    if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
      size_t vlen = (size_t)(end - p) - klen - 1;
      if (vlen >= sizeof(value)) vlen = sizeof(value) - 1;
      memcpy(value, p + klen + 1, vlen);
      value[vlen] = 0;
      return value;
    }
    p = end;
  }
  return def;
}

long opt_long(const char* key, long def, long min, long max) {
  const char* s = opt_str(key, NULL);
  if (s == NULL) return def;
  char* end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || *s == 0 || *end != 0 || v < min || v > max) {
    printf("VMM-INIT-ERROR %s=%s: must be a number in [%ld, %ld]\n", key, s, min, max);
    fflush(stdout);
    return def;
  }
  return v;
}

double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void pattern_init(pattern_t* p, uint64_t seed) { p->s = seed ? seed : 1; }

void pattern_fill(pattern_t* p, void* buf, size_t len) {
  uint8_t* out = buf;
  uint64_t x = p->s;
  for (size_t i = 0; i + 8 <= len; i += 8) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    uint64_t w = x * 0x2545F4914F6CDD1DULL;
    for (int b = 0; b < 8; ++b) out[i + b] = (uint8_t)(w >> (8 * b));
  }
  p->s = x;
}

void hex32(const uint8_t digest[32], char out[65]) {
  for (int i = 0; i < 32; ++i) snprintf(out + 2 * i, 3, "%02x", digest[i]);
}
