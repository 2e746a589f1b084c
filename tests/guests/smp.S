/* smp: the BSP reads the vCPU count N from the test device, wakes every AP
   with INIT-SIPI-SIPI (SIPI vector 0x10: APs start at 1000:0000, i.e. this
   same entry point), each AP prints "cpu <apic id> up", the BSP waits for
   all of them, prints "all N cpus up" and powers off.
   The BSP runs first and sets `bsp_done` before waking anyone, which is how
   the shared entry point tells an AP from the BSP. */
#include "tests/guests/payload.h"

	.text
	.globl _start
.code16
_start:
	cli
	mov %cs, %ax
	mov %ax, %ds
	xor %ax, %ax
	mov %ax, %ss
	cmpb $0, R(bsp_done)
	jne ap_main

	movb $1, R(bsp_done)
	mov $RM_STACK_TOP, %sp
	call uart_init16
	mov $R(msg_bsp), %si
	call rm_puts
	/* Protected mode (no paging) to reach the test device and the LAPIC
	   above 1 MiB. */
	lgdtl R(gdt_ptr)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $SEL_CODE32, $bsp_pm

ap_main:
	/* Initial APIC id from CPUID.01H:EBX[31:24]; a stack per AP. */
	mov $1, %eax
	cpuid
	shr $24, %ebx
	mov %bx, %ax
	shl $8, %ax
	mov $RM_STACK_TOP, %sp
	sub %ax, %sp
	/* One AP on the console at a time. */
1:	mov $1, %al
	xchg %al, R(print_lock)
	test %al, %al
	jz 2f
	pause
	jmp 1b
2:	mov $R(msg_cpu), %si
	call rm_puts
	mov %bx, %ax
	call rm_putdec
	mov $R(msg_up), %si
	call rm_puts
	movb $0, R(print_lock)
	lock incl R(aps_up)
3:	cli
	hlt
	jmp 3b

.code32
bsp_pm:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $RM_STACK_TOP, %esp
	mov TESTDEV + TESTDEV_VCPUS, %eax
	mov %eax, ncpus

	/* Software-enable the LAPIC (spurious vector 0xff). */
	movl $0x1ff, LAPIC + LAPIC_SVR
	/* ICR: all-excluding-self, level assert; INIT then SIPI twice
	   (Intel MP spec, appendix B.4). Delivery is immediate on KVM, so the
	   10 ms / 200 us delays of real hardware are not needed. */
	movl $0x000c4500, LAPIC + LAPIC_ICR_LO
	call wait_icr
	movl $0x000c4600 + (LOAD_ADDR >> 12), LAPIC + LAPIC_ICR_LO
	call wait_icr
	movl $0x000c4600 + (LOAD_ADDR >> 12), LAPIC + LAPIC_ICR_LO
	call wait_icr

	mov ncpus, %ecx
	dec %ecx
1:	pause
	cmp %ecx, aps_up
	jb 1b

	mov $msg_all, %esi
	call pm_puts
	mov ncpus, %eax
	call pm_putdec
	mov $msg_all_end, %esi
	call pm_puts
	mov $POWER_PORT, %dx
	mov $POWER_OFF, %al
	out %al, %dx
2:	cli
	hlt
	jmp 2b

wait_icr: /* until the ICR delivery-status bit clears */
	testl $0x1000, LAPIC + LAPIC_ICR_LO
	jz 1f
	pause
	jmp wait_icr
1:	ret

#include "tests/guests/rm_lib.inc"
#include "tests/guests/pm_lib.inc"
#include "tests/guests/gdt.inc"

	.balign 4
aps_up:	.long 0
ncpus:	.long 0
bsp_done:	.byte 0
print_lock:	.byte 0
msg_bsp:	.asciz "smp: bsp up\n"
msg_cpu:	.asciz "cpu "
msg_up:	.asciz " up\n"
msg_all:	.asciz "all "
msg_all_end:	.asciz " cpus up\n"
