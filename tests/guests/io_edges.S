/* io_edges: I/O corner cases from long mode, each result printed so the
   host test can compare exact text:
     rep outsb to COM1 (one exit with count > 1), unclaimed port and MMIO
     reads (all-ones), an 8-byte MMIO read of a 32-bit register, a write to a
     read-only register, an MMIO access straddling the end of the test
     device window (KVM splits it at the page boundary), rep insb from the power port into RAM, and the test
     device's access counter. Then powers off. */
#include "tests/guests/payload.h"

	.text
	.globl _start
.code16
_start:
#include "tests/guests/real_mode_entry.inc"
#include "tests/guests/enter_long_mode.inc"

	/* String output: KVM reports it as one exit with count = 8. */
	lea msg_rep(%rip), %rsi
	mov $COM1, %dx
	mov $8, %ecx
	cld
	rep outsb

	lea msg_pio(%rip), %rsi
	call lm_puts
	mov $0x1234, %dx
	xor %eax, %eax
	in %dx, %ax
	call lm_puthex32

	lea msg_mmio(%rip), %rsi
	call lm_puts
	mov $0xe0000000, %ebx
	mov (%rbx), %eax
	call lm_puthex32

	mov $TESTDEV, %ebx
	lea msg_wide(%rip), %rsi
	call lm_puts
	mov (%rbx), %rax /* 8 bytes at a 4-byte register */
	call lm_puthex32
	lea msg_hi(%rip), %rsi
	call lm_puts
	shr $32, %rax
	call lm_puthex32

	movl $0xdeadbeef, TESTDEV_MAGIC(%rbx)
	lea msg_ro(%rip), %rsi
	call lm_puts
	mov TESTDEV_MAGIC(%rbx), %eax
	call lm_puthex32

	lea msg_straddle(%rip), %rsi
	call lm_puts
	mov 0xffe(%rbx), %eax
	call lm_puthex32

	/* String input into RAM: 4 reads of the power status (0). */
	lea insb_buf(%rip), %rdi
	mov $POWER_PORT, %dx
	mov $4, %ecx
	rep insb
	lea msg_insb(%rip), %rsi
	call lm_puts
	mov insb_buf(%rip), %eax
	call lm_puthex32

	lea msg_acc(%rip), %rsi
	call lm_puts
	mov TESTDEV_ACCESSES(%rbx), %eax
	call lm_puthex32
	mov $'\n', %al
	call lm_putc

	mov $POWER_PORT, %dx
	mov $POWER_OFF, %al
	out %al, %dx
1:	cli
	hlt
	jmp 1b

#include "tests/guests/rm_lib.inc"
#include "tests/guests/lm_lib.inc"
#include "tests/guests/gdt.inc"

insb_buf:	.long 0xaaaaaaaa
msg_rep:	.ascii "rep-out\n"
msg_pio:	.asciz "unclaimed pio="
msg_mmio:	.asciz "\nunclaimed mmio="
msg_wide:	.asciz "\nwide mmio lo="
msg_hi:	.asciz " hi="
msg_ro:	.asciz "\nmagic after write="
msg_straddle:	.asciz "\nstraddle="
msg_insb:	.asciz "\ninsb="
msg_acc:	.asciz "\naccesses="

#include "tests/guests/page_tables.inc"
