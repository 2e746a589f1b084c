/* Recursion: Fibonacci, Ackermann, Towers of Hanoi, N-queens and a
 * recursive-descent expression evaluator. */
#include <stdint.h>

#include "bare.h"

static uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint64_t ack(uint64_t m, uint64_t n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

static uint64_t hanoi_moves;
static void hanoi(int n, int from, int to, int via) {
  if (n == 0) return;
  hanoi(n - 1, from, via, to);
  ++hanoi_moves;
  hanoi(n - 1, via, to, from);
}

static int queens(int row, int n, uint32_t cols, uint32_t d1, uint32_t d2) {
  if (row == n) return 1;
  int count = 0;
  for (int c = 0; c < n; ++c) {
    uint32_t a = 1u << c, b = 1u << (row + c), d = 1u << (row - c + n);
    if ((cols & a) || (d1 & b) || (d2 & d)) continue;
    count += queens(row + 1, n, cols | a, d1 | b, d2 | d);
  }
  return count;
}

/* expr := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
 * factor := number | '(' expr ')' | '-' factor */
static const char* p;
static int64_t expr(void);
static int64_t factor(void) {
  if (*p == '(') {
    ++p;
    int64_t v = expr();
    ++p;
    return v;
  }
  if (*p == '-') {
    ++p;
    return -factor();
  }
  int64_t v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
  return v;
}
static int64_t term(void) {
  int64_t v = factor();
  while (*p == '*' || *p == '/') {
    char op = *p++;
    int64_t r = factor();
    v = op == '*' ? v * r : v / r;
  }
  return v;
}
static int64_t expr(void) {
  int64_t v = term();
  while (*p == '+' || *p == '-') {
    char op = *p++;
    int64_t r = term();
    v = op == '+' ? v + r : v - r;
  }
  return v;
}

int main(void) {
  uint64_t f = fib(24);
  if (f != 46368) return 1;
  uint64_t a = ack(2, 300);
  hanoi(16, 0, 2, 1);
  int q8 = queens(0, 8, 0, 0, 0);
  if (q8 != 92) return 2;
  p = "2*(3+4)*-5-(100/7)+((1+2)*(3+4))/3";
  int64_t e = expr();
  out_fmt("fib(24)=%lu ack(2,300)=%lu hanoi(16)=%lu\n", f, a, hanoi_moves);
  out_fmt("queens(8)=%d queens(9)=%d expr=%ld\n", q8, queens(0, 9, 0, 0, 0), e);
  return 0;
}
