/* reboot: prints "rebooting" and pulses the CPU reset line through the
   i8042 (command 0xFE to port 0x64), as Linux does with reboot=k. */
#include "tests/guests/payload.h"

	.text
	.globl _start
.code16
_start:
#include "tests/guests/real_mode_entry.inc"
	mov $R(msg), %si
	call rm_puts
	mov $0xfe, %al
	out %al, $0x64
1:	cli
	hlt
	jmp 1b

#include "tests/guests/rm_lib.inc"

msg:	.asciz "rebooting\n"
