/* Host build: the reference output goes to stdout. */
#include <stdio.h>

#include "bare.h"

void out_char(int c) { putchar(c); }
