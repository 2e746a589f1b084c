// `vmmtest=disk`: a data set written on one boot, verified on the next.
//
// Disk layout (`vmmdisk=`, default /dev/vda): a 4 KiB header at offset 0,
// then `vmmmib=` MiB (default 8) of pattern_fill(seed = `vmmseed=`) data.
// Boot 1 finds no header: writes the data, fsync, writes the header
// "VMMDISK1 seed=S bytes=N sha256=H", fsync, prints VMM-DISK-WRITTEN and
// reboots (RB_AUTOBOOT -> SBI SRST / syscon reboot -> the VMM restarts the
// machine). Boot 2 finds the header: reads the data back with O_DIRECT (from
// the device, not a cache), checks its sha256 against the header and the
// bytes against the regenerated pattern, prints VMM-DISK-VERIFIED ok=0|1.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "common.h"
#include "sha256.h"

enum { kHeader = 4096, kChunk = 1 << 20 };

static int fail(const char* what, const char* dev) {
  printf("VMM-INIT-ERROR disk %s %s: %m\n", what, dev);
  return 1;
}

static int write_phase(int fd, const char* dev, uint64_t seed, uint64_t bytes, uint8_t* buf) {
  double t0 = now_ms();
  pattern_t pat;
  pattern_init(&pat, seed);
  sha256_t sha;
  sha256_init(&sha);
  for (uint64_t off = 0; off < bytes; off += kChunk) {
    pattern_fill(&pat, buf, kChunk);
    sha256_update(&sha, buf, kChunk);
    if (pwrite(fd, buf, kChunk, kHeader + off) != kChunk) return fail("write", dev);
  }
  if (fsync(fd) != 0) return fail("fsync", dev);
  uint8_t d[32];
  char hex[65];
  sha256_final(&sha, d);
  hex32(d, hex);
  memset(buf, 0, kHeader);
  snprintf((char*)buf, kHeader, "VMMDISK1 seed=%" PRIu64 " bytes=%" PRIu64 " sha256=%s\n", seed,
           bytes, hex);
  if (pwrite(fd, buf, kHeader, 0) != kHeader) return fail("header write", dev);
  if (fsync(fd) != 0) return fail("header fsync", dev);
  printf("VMM-DISK-WRITTEN seed=%" PRIu64 " bytes=%" PRIu64 " sha256=%s ms=%.0f\n", seed, bytes,
         hex, now_ms() - t0);
  fflush(stdout);
  close(fd);
  if (getpid() != 1) return 0;  // Not the guest's init: leave the host alone.
  sync();
  reboot(RB_AUTOBOOT);
  return fail("reboot", dev);
}

static int verify_phase(const char* dev, const char* header, uint64_t seed, uint8_t* buf) {
  uint64_t hseed, bytes;
  char want[65];
  if (sscanf(header, "VMMDISK1 seed=%" SCNu64 " bytes=%" SCNu64 " sha256=%64s", &hseed, &bytes,
             want) != 3 ||
      bytes % kChunk != 0) {
    printf("VMM-INIT-ERROR disk %s: malformed header '%.120s'\n", dev, header);
    return 1;
  }
  if (hseed != seed) {
    printf("VMM-INIT-ERROR disk %s: header seed %" PRIu64 " is not vmmseed=%" PRIu64
           " (a stale image: give the test a zeroed disk)\n",
           dev, hseed, seed);
    return 1;
  }
  double t0 = now_ms();
  int fd = open(dev, O_RDONLY | O_DIRECT);
  // A host file system without O_DIRECT (init_test.sh's tmpfs); the guest's
  // virtio-blk disk always has it.
  if (fd < 0 && errno == EINVAL && getpid() != 1) fd = open(dev, O_RDONLY);
  if (fd < 0) return fail("open O_DIRECT", dev);
  uint8_t* want_buf = malloc(kChunk);
  if (want_buf == NULL) return fail("malloc", dev);
  pattern_t pat;
  pattern_init(&pat, seed);
  sha256_t sha;
  sha256_init(&sha);
  uint64_t mismatched = 0, first_bad = UINT64_MAX;
  for (uint64_t off = 0; off < bytes; off += kChunk) {
    if (pread(fd, buf, kChunk, kHeader + off) != kChunk) return fail("read", dev);
    sha256_update(&sha, buf, kChunk);
    pattern_fill(&pat, want_buf, kChunk);
    for (size_t i = 0; i < kChunk; ++i) {
      if (buf[i] != want_buf[i]) {
        if (first_bad == UINT64_MAX) first_bad = off + i;
        ++mismatched;
      }
    }
  }
  close(fd);
  free(want_buf);
  uint8_t d[32];
  char hex[65];
  sha256_final(&sha, d);
  hex32(d, hex);
  int ok = mismatched == 0 && strcmp(hex, want) == 0;
  printf("VMM-DISK-VERIFIED ok=%d seed=%" PRIu64 " bytes=%" PRIu64
         " sha256=%s header_sha256=%s mismatched_bytes=%" PRIu64 " first_bad=%" PRId64 " ms=%.0f\n",
         ok, seed, bytes, hex, want, mismatched,
         first_bad == UINT64_MAX ? (int64_t)-1 : (int64_t)first_bad, now_ms() - t0);
  return ok ? 0 : 1;
}

int run_disk(void) {
  static char dev[128];
  snprintf(dev, sizeof(dev), "%s", opt_str("vmmdisk", "/dev/vda"));
  uint64_t seed = (uint64_t)opt_long("vmmseed", 1, 0, 0x7fffffffffffffffL);
  uint64_t bytes = (uint64_t)opt_long("vmmmib", 8, 1, 1024) * kChunk;
  // O_DIRECT needs a block-aligned buffer.
  uint8_t* buf = NULL;
  if (posix_memalign((void**)&buf, 4096, kChunk) != 0) return fail("posix_memalign", dev);
  int fd = open(dev, O_RDWR);
  if (fd < 0) return fail("open", dev);
  if (pread(fd, buf, kHeader, 0) != kHeader) return fail("header read", dev);
  buf[kHeader - 1] = 0;
  if (memcmp(buf, "VMMDISK1 ", 9) != 0) return write_phase(fd, dev, seed, bytes, buf);
  close(fd);
  char header[256];
  snprintf(header, sizeof(header), "%s", (char*)buf);
  return verify_phase(dev, header, seed, buf);
}
