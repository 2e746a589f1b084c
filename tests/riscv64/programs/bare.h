/* Output and formatting for test programs that run both bare-metal on the
 * riscv64 TCG (UART) and natively on the host (stdout), so the host run is
 * the reference output. Only fixed-width types: the programs must mean the
 * same thing on both LP64 targets. */
#ifndef TESTS_RISCV64_PROGRAMS_BARE_H_
#define TESTS_RISCV64_PROGRAMS_BARE_H_

#include <stdarg.h>
#include <stdint.h>

void out_char(int c);

static inline void out_str(const char* s) {
  while (*s) out_char((unsigned char)*s++);
}

static inline void out_u64(uint64_t v, unsigned base, int width) {
  char buf[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v != 0);
  while (width-- > n) out_char('0');
  while (n > 0) out_char(buf[--n]);
}

/* %d %u %x (32-bit), %ld %lu %lx (64-bit), %s, %c, %%; optional zero-pad
 * width like %08x. */
static inline void out_fmt(const char* f, ...) {
  va_list ap;
  va_start(ap, f);
  for (; *f; ++f) {
    if (*f != '%') {
      out_char((unsigned char)*f);
      continue;
    }
    ++f;
    int width = 0;
    if (*f == '0') ++f;
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    int is_long = 0;
    if (*f == 'l') {
      is_long = 1;
      ++f;
    }
    switch (*f) {
      case 'd': {
        int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
        if (v < 0) {
          out_char('-');
          out_u64((uint64_t)0 - (uint64_t)v, 10, width);
        } else {
          out_u64((uint64_t)v, 10, width);
        }
        break;
      }
      case 'u': out_u64(is_long ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t), 10, width); break;
      case 'x': out_u64(is_long ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t), 16, width); break;
      case 's': out_str(va_arg(ap, const char*)); break;
      case 'c': out_char(va_arg(ap, int)); break;
      default: out_char('%'); break;
    }
  }
  va_end(ap);
}

#endif /* TESTS_RISCV64_PROGRAMS_BARE_H_ */
