/* wild_jump: prints "jumping", enters protected mode and jumps to
   0xe0000000, where there is no RAM: KVM cannot fetch code there and
   reports an emulation failure, which the machine turns into a crash. */
#include "tests/guests/payload.h"
	.text
	.globl _start
.code16
_start:
#include "tests/guests/real_mode_entry.inc"
	mov $R(msg), %si
	call rm_puts
	lgdtl R(gdt_ptr)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $SEL_CODE32, $pm
.code32
pm:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov $0xe0000000, %eax
	jmp *%eax
#include "tests/guests/rm_lib.inc"
#include "tests/guests/gdt.inc"

msg:	.asciz "jumping\n"
