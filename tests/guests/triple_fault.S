/* triple_fault: prints "faulting", enters protected mode with an empty IDT
   and executes UD2: #UD cannot be delivered (#GP), nor can #GP (#DF), nor
   #DF: the CPU shuts down (SDM vol. 3, §7.15, interrupt 8), which KVM
   reports as KVM_EXIT_SHUTDOWN. */
#include "tests/guests/payload.h"

	.text
	.globl _start
.code16
_start:
#include "tests/guests/real_mode_entry.inc"
	mov $R(msg), %si
	call rm_puts
	lgdtl R(gdt_ptr)
	lidtl R(null_idt)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $SEL_CODE32, $pm

.code32
pm:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %ss
	ud2
1:	hlt
	jmp 1b

#include "tests/guests/rm_lib.inc"
#include "tests/guests/gdt.inc"

null_idt:
	.word 0
	.long 0
msg:	.asciz "faulting\n"
