/* Shared constants and macros for the x86 test payloads (see README.md). */
#ifndef TESTS_GUESTS_PAYLOAD_H_
#define TESTS_GUESTS_PAYLOAD_H_

#define LOAD_ADDR 0x10000 /* Payloads are linked and loaded here. */
#define LOAD_SEG 0x1000   /* Real-mode CS at entry. */

/* Offset of a symbol from the payload start: the real-mode address of a
   symbol relative to DS = CS = LOAD_SEG. */
#define R(sym) ((sym) - _start)

#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_DR 0x01
#define LSR_THRE 0x20

#define POWER_PORT 0x600
#define POWER_OFF 1
#define POWER_REBOOT 2
#define POWER_STATUS_REQUESTED 1

#define TESTDEV 0xd0000000
#define TESTDEV_MAGIC 0x0
#define TESTDEV_VCPUS 0x4
#define TESTDEV_SCRATCH 0x8
#define TESTDEV_ACCESSES 0xc

#define LAPIC 0xfee00000
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300

/* GDT selectors built by GDT_TABLE. */
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_CODE32 0x18

/* Real-mode stacks live below the payload, in the first 64 KiB. */
#define RM_STACK_TOP 0x9000

#endif
