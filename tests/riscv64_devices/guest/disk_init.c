// /init for tests/riscv64_devices/disk_counters_daemon_test.sh: reads the
// whole of /dev/vda with O_DIRECT (every byte reaches the device, none comes
// from the page cache), prints its size and a checksum the host compares
// with the image, writes 64 KiB of 0x5a at 1 MiB with O_DIRECT, fsync()s
// (VIRTIO_BLK_T_FLUSH), then waits: GetVm reports counters of a running
// VM only, so the host reads them now and stops the VM itself.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

enum { kChunk = 64 << 10 };

static void Finish(int code) {
  printf("DISK-INIT-DONE rc=%d\n", code);
  for (;;) pause();
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0) perror("mount /dev");
  int fd = open("/dev/vda", O_RDWR | O_DIRECT);
  if (fd < 0) {
    perror("open /dev/vda");
    Finish(1);
  }
  uint8_t* buf = NULL;
  if (posix_memalign((void**)&buf, 4096, kChunk) != 0) Finish(1);
  // FNV-1a 64 over the whole device.
  uint64_t h = 1469598103934665603ull, total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, kChunk);
    if (n < 0) {
      perror("read /dev/vda");
      Finish(1);
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) h = (h ^ buf[i]) * 1099511628211ull;
    total += (uint64_t)n;
  }
  printf("DISK-READ bytes=%llu fnv=%016llx\n", (unsigned long long)total,
         (unsigned long long)h);
  memset(buf, 0x5a, kChunk);
  if (pwrite(fd, buf, kChunk, 1 << 20) != kChunk || fsync(fd) != 0) {
    perror("write /dev/vda");
    Finish(1);
  }
  printf("DISK-WRITE bytes=%d\n", kChunk);
  close(fd);
  Finish(0);
}
