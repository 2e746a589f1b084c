/* hello: real mode -> long mode, touches the test MMIO device, powers off.
   Expected console output:
     hello from real mode
     long mode ok
     mmio magic=0x444d4d56 vcpus=N scratch=0x12345678
     bye
*/
#include "tests/guests/payload.h"

	.text
	.globl _start
.code16
_start:
#include "tests/guests/real_mode_entry.inc"
	mov $R(msg_real), %si
	call rm_puts

#include "tests/guests/enter_long_mode.inc"
	lea msg_long(%rip), %rsi
	call lm_puts

	/* MMIO through the page tables. A 32-bit absolute address would be
	   sign-extended, so go through a register. */
	mov $TESTDEV, %ebx
	lea msg_magic(%rip), %rsi
	call lm_puts
	mov TESTDEV_MAGIC(%rbx), %eax
	call lm_puthex32
	lea msg_vcpus(%rip), %rsi
	call lm_puts
	mov TESTDEV_VCPUS(%rbx), %eax
	call lm_putdec
	movl $0x12345678, TESTDEV_SCRATCH(%rbx)
	lea msg_scratch(%rip), %rsi
	call lm_puts
	mov TESTDEV_SCRATCH(%rbx), %eax
	call lm_puthex32
	mov $'\n', %al
	call lm_putc

	lea msg_bye(%rip), %rsi
	call lm_puts
	mov $POWER_PORT, %dx
	mov $POWER_OFF, %al
	out %al, %dx
1:	cli
	hlt
	jmp 1b

#include "tests/guests/rm_lib.inc"
#include "tests/guests/lm_lib.inc"
#include "tests/guests/gdt.inc"

msg_real:	.asciz "hello from real mode\n"
msg_long:	.asciz "long mode ok\n"
msg_magic:	.asciz "mmio magic="
msg_vcpus:	.asciz " vcpus="
msg_scratch:	.asciz " scratch="
msg_bye:	.asciz "bye\n"

#include "tests/guests/page_tables.inc"
