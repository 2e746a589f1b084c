// Test init for the riscv64 fixture. Always prints the marker the tests and
// the boot benchmark wait for, with the number of online CPUs, then runs the
// mode named by `vmmtest=` on the kernel command line and powers off
// (reboot(2) RB_POWER_OFF -> SBI SRST or the syscon poweroff node ->
// sifive,test0 finisher 0x5555):
//   marker (default)  nothing more
//   disk              disk.c: write a data set to /dev/vda and reboot, or
//                     verify the one a previous boot wrote
//   litmus            litmus.c: memory-model litmus tests as pinned threads
//   compute           compute.c: timed sha256 + sort over N threads
// (`vmmtest=compute,litmus` runs several in order).
// Every result line starts with VMM-; a mode that fails prints
// VMM-INIT-ERROR and the init still powers off, so a test never hangs on it.
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "common.h"

int main(void) {
  // Only as PID 1 (the guest's init) does it mount and power off: run as a
  // normal process (init_test.sh, under qemu-riscv64) it just exits.
  const int is_init = getpid() == 1;
  if (is_init) {
    // /proc for the command line; devtmpfs for /dev/vda (the kernel mounts
    // it itself only for a disk root, not for an initramfs).
    mount("proc", "/proc", "proc", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  printf("VMM-RISCV-INIT-MARKER nproc=%ld\n", n);
  fflush(stdout);
  // A comma-separated list runs the modes in order (disk reboots on its
  // first boot, so it goes last); rc is the first failure's.
  char modes[128];
  snprintf(modes, sizeof(modes), "%s", opt_str("vmmtest", "marker"));
  int rc = 0;
  char* save = NULL;
  for (char* name = strtok_r(modes, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
    int r;
    if (strcmp(name, "marker") == 0) {
      continue;
    } else if (strcmp(name, "disk") == 0) {
      r = run_disk();
    } else if (strcmp(name, "litmus") == 0) {
      r = run_litmus();
    } else if (strcmp(name, "compute") == 0) {
      r = run_compute();
    } else {
      printf("VMM-INIT-ERROR vmmtest=%s: unknown mode (marker, disk, litmus, compute)\n", name);
      r = 2;
    }
    printf("VMM-INIT-DONE mode=%s rc=%d\n", name, r);
    fflush(stdout);
    if (rc == 0) rc = r;
  }
  if (!is_init) return rc;
  sync();
  reboot(RB_POWER_OFF);
  for (;;) pause();
}
