/* Linux user-mode build (run under qemu-riscv64): output to stdout. */
#include <stdio.h>

void out_char(int c) { putchar(c); }
