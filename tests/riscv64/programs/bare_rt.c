/* Bare-metal runtime for the riscv64 build: UART output and the memory
 * functions the compiler may call. */
#include <stddef.h>
#include <stdint.h>

#include "bare.h"

#define UART_THR ((volatile uint8_t*)0x10000000)
#define UART_LSR ((volatile uint8_t*)0x10000005)

void out_char(int c) {
  while ((*UART_LSR & 0x20) == 0) {
  }
  *UART_THR = (uint8_t)c;
}

void* memset(void* d, int c, size_t n) {
  uint8_t* p = d;
  while (n--) *p++ = (uint8_t)c;
  return d;
}

void* memcpy(void* d, const void* s, size_t n) {
  uint8_t* p = d;
  const uint8_t* q = s;
  while (n--) *p++ = *q++;
  return d;
}

void* memmove(void* d, const void* s, size_t n) {
  uint8_t* p = d;
  const uint8_t* q = s;
  if (p < q) {
    while (n--) *p++ = *q++;
  } else {
    while (n--) p[n] = q[n];
  }
  return d;
}

int memcmp(const void* a, const void* b, size_t n) {
  const uint8_t* p = a;
  const uint8_t* q = b;
  for (; n; --n, ++p, ++q) {
    if (*p != *q) return *p - *q;
  }
  return 0;
}
