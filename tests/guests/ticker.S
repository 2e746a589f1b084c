/* ticker (and stubborn, built with -DSTUBBORN): stays in real mode, idles
   with HLT between PIT interrupts (IRQ0, ~20 Hz, through the 8259 and the
   IVT), prints "tick N" every 4th interrupt (~5 lines/s), echoes console
   input as "rx: <c>" (woken by the UART's IRQ4), and polls the power-control
   port: ticker prints "poweroff requested" and powers off; stubborn prints
   "ignoring poweroff request" once and keeps ticking. */
#include "tests/guests/payload.h"

#define PIT_HZ 1193182
#define TICK_HZ 20
#define IRQS_PER_LINE 4

	.text
	.globl _start
.code16
_start:
#include "tests/guests/real_mode_entry.inc"
#ifdef STUBBORN
	mov $R(msg_start_stubborn), %si
#else
	mov $R(msg_start), %si
#endif
	call rm_puts

	/* IVT (ES = 0): IRQ0 -> vector 8, IRQ4 -> vector 12, as the BIOS maps
	   the master 8259. */
	xor %ax, %ax
	mov %ax, %es
	movw $R(timer_isr), %es:(8 * 4)
	movw $LOAD_SEG, %es:(8 * 4 + 2)
	movw $R(uart_isr), %es:(12 * 4)
	movw $LOAD_SEG, %es:(12 * 4 + 2)

	/* 8259 master: ICW1 edge/cascade/ICW4, ICW2 base 8, ICW3 slave on 2,
	   ICW4 8086 mode; unmask IRQ0 and IRQ4 only. Slave: base 0x70, all
	   masked. */
	mov $0x11, %al
	out %al, $0x20
	mov $0x08, %al
	out %al, $0x21
	mov $0x04, %al
	out %al, $0x21
	mov $0x01, %al
	out %al, $0x21
	mov $0xee, %al
	out %al, $0x21
	mov $0x11, %al
	out %al, $0xa0
	mov $0x70, %al
	out %al, $0xa1
	mov $0x02, %al
	out %al, $0xa1
	mov $0x01, %al
	out %al, $0xa1
	mov $0xff, %al
	out %al, $0xa1

	/* PIT channel 0, lo/hi byte, mode 2 (rate generator). */
	mov $0x34, %al
	out %al, $0x43
	mov $(PIT_HZ / TICK_HZ) & 0xff, %al
	out %al, $0x40
	mov $(PIT_HZ / TICK_HZ) >> 8, %al
	out %al, $0x40

	/* UART: interrupt on received data. */
	mov $COM1 + 1, %dx
	mov $0x01, %al
	out %al, %dx

	sti
main_loop:
	hlt

	/* Echo every byte waiting in the UART. */
rx_loop:
	mov $COM1_LSR, %dx
	in %dx, %al
	test $LSR_DR, %al
	jz rx_done
	mov $COM1, %dx
	in %dx, %al
	mov $R(msg_rx), %si
	call rm_puts
	call rm_putc
	mov $'\n', %al
	call rm_putc
	jmp rx_loop
rx_done:

	mov $POWER_PORT, %dx
	in %dx, %al
	test $POWER_STATUS_REQUESTED, %al
	jz no_power
#ifdef STUBBORN
	cmpb $0, R(warned)
	jne no_power
	movb $1, R(warned)
	mov $R(msg_ignore), %si
	call rm_puts
#else
	mov $R(msg_power), %si
	call rm_puts
	mov $POWER_PORT, %dx
	mov $POWER_OFF, %al
	out %al, %dx
1:	cli
	hlt
	jmp 1b
#endif
no_power:

	cli
	mov R(irqs), %ax
	cmp $IRQS_PER_LINE, %ax
	jb 2f
	movw $0, R(irqs)
	sti
	mov $R(msg_tick), %si
	call rm_puts
	mov R(ticks), %ax
	call rm_putdec
	mov $'\n', %al
	call rm_putc
	incw R(ticks)
2:	sti
	jmp main_loop

timer_isr:
	push %ax
	incw %cs:R(irqs)
	mov $0x20, %al /* non-specific EOI */
	out %al, $0x20
	pop %ax
	iret

uart_isr:
	/* Only wakes the HLT; main_loop drains the UART, which lowers IRQ4. */
	push %ax
	mov $0x20, %al
	out %al, $0x20
	pop %ax
	iret

#include "tests/guests/rm_lib.inc"

irqs:	.word 0
ticks:	.word 0
warned:	.byte 0
msg_start:	.asciz "ticker: started\n"
msg_start_stubborn:	.asciz "stubborn: started\n"
msg_tick:	.asciz "tick "
msg_rx:	.asciz "rx: "
msg_power:	.asciz "poweroff requested\n"
msg_ignore:	.asciz "ignoring poweroff request\n"
