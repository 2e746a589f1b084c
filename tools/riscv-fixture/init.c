// Test init for the riscv64 fixture: prints a marker the tests wait for, the
// number of online CPUs, then powers off (reboot(2) RB_POWER_OFF -> SBI SRST
// or the syscon poweroff node -> sifive,test0 finisher 0x5555).
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  printf("VMM-RISCV-INIT-MARKER nproc=%ld\n", n);
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  for (;;) pause();
}
