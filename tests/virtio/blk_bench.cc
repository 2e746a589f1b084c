// virtio-blk throughput through the whole device path (virtio-mmio
// registers, split queue, request parsing, io_uring, used ring), with the
// host-side driver playing the guest; fio with io_uring on the same file at
// the same depths, when fio is installed, gives the host's figure.
//
//   bazel run -c opt //tests/virtio:blk_bench -- [--seconds=3] [--size_mb=1024]
//       [--cache=none|writeback] [--dir=/var/tmp] [--no_fio] [--poll]
//
// Prints figures; it is not a test and asserts nothing about speed.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "devices/virtio/core/virtio_spec.h"
#include "tests/virtio/blk_fixture.h"
#include "vmm/base/log.h"

namespace vmm {
namespace virtio {
namespace testing {
namespace {

struct Options {
  double seconds = 3;
  uint64_t size_mb = 1024;
  std::string cache = "none";
  std::string dir = "/var/tmp";
  bool fio = true;
  bool poll = false;
};

struct Job {
  const char* name;
  bool write;
  bool random;
  uint32_t block;
  int depth;
};

struct Result {
  double iops = 0;
  double mbps = 0;
};

bool NeedEvent(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

// Drives the device at a fixed queue depth: slot i owns descriptors 3i..3i+2
// and its own header, data and status buffers; completed slots are re-filled
// at once. Kicks are suppressed through avail_event (EVENT_IDX) exactly as
// Linux's virtqueue_kick_prepare does.
Result RunDevice(BlkRig& rig, const Job& job, uint64_t sectors, double seconds, bool poll) {
  GuestDriver& d = rig.driver();
  GuestMemory& mem = rig.memory();
  d.set_heap(0x100000);
  struct Slot {
    GuestAddress hdr, data, status;
  };
  std::vector<Slot> slots(job.depth);
  for (Slot& s : slots) {
    s.hdr = d.Alloc(16);
    s.data = d.Alloc(job.block, 4096);
    s.status = d.Alloc(1);
  }
  std::mt19937_64 rng(42);
  const uint64_t blocks = sectors * 512 / job.block;
  uint64_t seq = 0;
  uint16_t avail_idx = d.UsedIdx(0);  // Rings are in step after Reinit.
  uint16_t kicked_idx = avail_idx;
  uint16_t last_used = avail_idx;
  d.SetAvailIdx(0, avail_idx);
  auto submit = [&](int i) {
    const uint64_t block = job.random ? rng() % blocks : (seq++ % blocks);
    BlkReqHeader h{job.write ? kBlkTOut : kBlkTIn, 0, block * job.block / 512};
    (void)mem.WriteObj(slots[i].hdr, h);
    const uint16_t base = static_cast<uint16_t>(3 * i);
    d.WriteDesc(
        0, base,
        VirtqDesc{slots[i].hdr.value(), 16, kVirtqDescFNext, static_cast<uint16_t>(base + 1)});
    d.WriteDesc(
        0, base + 1,
        VirtqDesc{slots[i].data.value(), job.block,
                  static_cast<uint16_t>(kVirtqDescFNext | (job.write ? 0 : kVirtqDescFWrite)),
                  static_cast<uint16_t>(base + 2)});
    d.WriteDesc(0, base + 2, VirtqDesc{slots[i].status.value(), 1, kVirtqDescFWrite, 0});
    d.PushAvail(0, base);
    ++avail_idx;
  };
  auto kick = [&]() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (NeedEvent(d.AvailEvent(0), avail_idx, kicked_idx)) d.Kick(0);
    kicked_idx = avail_idx;
  };
  for (int i = 0; i < job.depth; ++i) submit(i);
  kick();
  uint64_t done = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  bool draining = false;
  int outstanding = job.depth;
  while (outstanding > 0) {
    const int seen = rig.irq().raised();
    const uint16_t used = d.UsedIdx(0);
    if (used == last_used) {
      if (poll) continue;  // Spin like a polling guest...
      // ...or sleep until the interrupt, like a guest in HLT: leaves the
      // CPU to the device and io_uring workers (2 cores here). As Linux's
      // virtqueue_enable_cb: ask for an interrupt at the next used entry,
      // then re-check before sleeping.
      d.SetUsedEvent(0, last_used);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (d.UsedIdx(0) != last_used) continue;
      rig.irq().WaitRaised(seen + 1, std::chrono::milliseconds(100));
      continue;
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    std::vector<int> free_slots;
    while (last_used != used) {
      const VirtqUsedElem e = d.UsedElemAt(0, last_used);
      ++last_used;
      ++done;
      --outstanding;
      free_slots.push_back(static_cast<int>(e.id / 3));
    }
    if (!draining && std::chrono::steady_clock::now() > end) draining = true;
    if (!draining) {
      for (int slot : free_slots) {
        if (slot < 0 || slot >= job.depth) continue;
        submit(slot);
        ++outstanding;
      }
      kick();
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Result r;
  r.iops = done / secs;
  r.mbps = r.iops * job.block / 1e6;
  return r;
}

Result RunFio(const std::string& path, const Job& job, double seconds, bool direct) {
  std::string rw =
      job.random ? (job.write ? "randwrite" : "randread") : (job.write ? "write" : "read");
  std::string cmd = absl::StrFormat(
      "fio --name=h --filename=%s --ioengine=io_uring --rw=%s --bs=%d --iodepth=%d "
      "--direct=%d --time_based --runtime=%ds --ramp_time=0 --norandommap --randrepeat=1 "
      "--output-format=terse --terse-version=3 2>/dev/null",
      path, rw, job.block, job.depth, direct ? 1 : 0, static_cast<int>(seconds + 0.5));
  FILE* p = popen(cmd.c_str(), "r");
  Result r;
  if (p == nullptr) return r;
  char line[8192];
  std::string out;
  while (fgets(line, sizeof(line), p) != nullptr) out += line;
  pclose(p);
  // Terse v3: field 7/8 read bw(KiB/s)/iops, 48/49 write bw/iops (1-based).
  std::vector<std::string> f;
  size_t start = 0;
  for (size_t i = 0; i <= out.size(); ++i) {
    if (i == out.size() || out[i] == ';') {
      f.push_back(out.substr(start, i - start));
      start = i + 1;
    }
  }
  if (f.size() < 50) return r;
  double bw = 0, iops = 0;
  const size_t bw_i = job.write ? 47 : 6, iops_i = job.write ? 48 : 7;
  (void)absl::SimpleAtod(f[bw_i], &bw);
  (void)absl::SimpleAtod(f[iops_i], &iops);
  r.iops = iops;
  r.mbps = bw * 1024 / 1e6;
  return r;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--seconds="))
      (void)absl::SimpleAtod(a, &o.seconds);
    else if (absl::ConsumePrefix(&a, "--size_mb="))
      (void)absl::SimpleAtoi(a, &o.size_mb);
    else if (absl::ConsumePrefix(&a, "--cache="))
      o.cache = std::string(a);
    else if (absl::ConsumePrefix(&a, "--dir="))
      o.dir = std::string(a);
    else if (a == "--no_fio")
      o.fio = false;
    else if (a == "--poll")
      o.poll = true;
    else {
      fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  SetMinLogLevel(LogLevel::kWarning);
  const std::string path = absl::StrFormat("%s/blk_bench_%d.img", o.dir, getpid());
  {
    int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
    std::vector<uint8_t> chunk(1 << 20, 0x5a);
    for (uint64_t i = 0; i < o.size_mb; ++i) {
      (void)!::write(fd, chunk.data(), chunk.size());
    }
    ::fsync(fd);
    ::close(fd);
  }
  absl::StatusOr<CacheMode> mode = ParseCacheMode(o.cache);
  if (!mode.ok()) {
    fprintf(stderr, "%s\n", std::string(mode.status().message()).c_str());
    return 2;
  }
  const bool have_fio = o.fio && system("command -v fio >/dev/null 2>&1") == 0;
  printf("virtio-blk benchmark: %llu MiB file in %s, cache=%s, driver %s, %.0f s per job%s\n",
         static_cast<unsigned long long>(o.size_mb), o.dir.c_str(), o.cache.c_str(),
         o.poll ? "polls" : "waits for interrupts", o.seconds,
         have_fio ? ", fio io_uring for the host" : " (fio not installed)");
  printf("%-22s %12s %10s   %12s %10s   %6s\n", "job", "device IOPS", "MB/s", "fio IOPS", "MB/s",
         "ratio");
  const Job jobs[] = {
      {"4k randread QD1", false, true, 4096, 1},
      {"4k randread QD32", false, true, 4096, 32},
      {"4k randwrite QD1", true, true, 4096, 1},
      {"4k randwrite QD32", true, true, 4096, 32},
      {"128k seqread QD1", false, false, 131072, 1},
      {"128k seqread QD32", false, false, 131072, 32},
      {"128k seqwrite QD1", true, false, 131072, 1},
      {"128k seqwrite QD32", true, false, 131072, 32},
  };
  for (const Job& job : jobs) {
    Result dev;
    {
      BlockDeviceOptions bo;
      bo.path = path;
      bo.cache_mode = *mode;
      bo.size_max = 1u << 20;
      absl::StatusOr<std::unique_ptr<BlkRig>> rig = BlkRig::Create(bo);
      if (!rig.ok()) {
        fprintf(stderr, "%s\n", std::string(rig.status().message()).c_str());
        return 1;
      }
      dev = RunDevice(**rig, job, (*rig)->device().limits().capacity_sectors, o.seconds, o.poll);
    }  // Closes (and unlocks) the image before fio opens it.
    Result host;
    if (have_fio) host = RunFio(path, job, o.seconds, *mode == CacheMode::kNone);
    printf("%-22s %12.0f %10.1f   %12.0f %10.1f   %5.0f%%\n", job.name, dev.iops, dev.mbps,
           host.iops, host.mbps, host.iops > 0 ? 100.0 * dev.iops / host.iops : 0.0);
    fflush(stdout);
  }
  ::unlink(path.c_str());
  return 0;
}

}  // namespace
}  // namespace testing
}  // namespace virtio
}  // namespace vmm

int main(int argc, char** argv) { return vmm::virtio::testing::Main(argc, argv); }
