#include "accel/kvm/kvm_vcpu.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <mutex>
#include <utility>

#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"

namespace vmm {
namespace {

void NoOpSignalHandler(int) {}

// Installs the kick signal handler once per process. SA_RESTART keeps other
// syscalls on vCPU threads (console writes) from failing with EINTR; KVM_RUN
// itself returns -EINTR regardless, which is what we want.
void InstallKickHandlerOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = NoOpSignalHandler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(KvmVcpu::KickSignal(), &sa, nullptr);
  });
}

// Makes sure the kick signal is not blocked on the calling thread (once per
// thread: this runs before every KVM_RUN).
void UnblockKickSignal() {
  static thread_local bool unblocked = false;
  if (unblocked) return;
  unblocked = true;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, KvmVcpu::KickSignal());
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

// KVM_INTERNAL_ERROR_* (linux/kvm.h).
const char* InternalErrorName(uint32_t suberror) {
  switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION:
      return "emulation failure, e.g. code fetched from outside RAM";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
      return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
      return "exception during event delivery";
    default:
      return "unknown";
  }
}

}  // namespace

int KvmVcpu::KickSignal() { return SIGRTMIN + 2; }

absl::StatusOr<KvmRunMapping> KvmRunMapping::Map(int vcpu_fd, size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
  if (p == MAP_FAILED) return ErrnoStatus(absl::StrFormat("mmap kvm_run (%d bytes)", size));
  KvmRunMapping m;
  m.run_ = static_cast<kvm_run*>(p);
  m.size_ = size;
  return m;
}

KvmRunMapping::~KvmRunMapping() {
  if (run_ != nullptr) ::munmap(run_, size_);
}

KvmRunMapping::KvmRunMapping(KvmRunMapping&& other) noexcept
    : run_(std::exchange(other.run_, nullptr)), size_(std::exchange(other.size_, 0)) {}

KvmRunMapping& KvmRunMapping::operator=(KvmRunMapping&& other) noexcept {
  if (this != &other) {
    if (run_ != nullptr) ::munmap(run_, size_);
    run_ = std::exchange(other.run_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

absl::StatusOr<std::unique_ptr<KvmVcpu>> KvmVcpu::Create(int vm_fd, uint32_t id, size_t mmap_size) {
  InstallKickHandlerOnce();
  int fd = ::ioctl(vm_fd, KVM_CREATE_VCPU, static_cast<unsigned long>(id));
  if (fd < 0) return ErrnoStatus(absl::StrFormat("KVM_CREATE_VCPU id=%d", id));
  Fd vcpu_fd(fd);
  absl::StatusOr<KvmRunMapping> run = KvmRunMapping::Map(fd, mmap_size);
  if (!run.ok()) return run.status();
  return std::unique_ptr<KvmVcpu>(new KvmVcpu(id, std::move(vcpu_fd), std::move(*run)));
}

absl::StatusOr<VcpuExit> KvmVcpu::Run() {
  {
    absl::MutexLock lock(&mu_);
    if (!in_run_) {
      thread_ = pthread_self();
      in_run_ = true;
    }
  }
  UnblockKickSignal();
  int r = ::ioctl(fd(), KVM_RUN, 0);
  int err = errno;
  {
    absl::MutexLock lock(&mu_);
    in_run_ = false;
  }
  kvm_run* run = run_.run();
  if (r < 0) {
    if (err == EINTR || err == EAGAIN) {
      // A kick: consume it. The caller re-checks its own flags next, which
      // the kicker set before kicking.
      history_[exits_++ % kExitHistory] = ExitRecord{KVM_EXIT_INTR, false, 0};
      __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
      VcpuExit exit;
      exit.kind = VcpuExit::Kind::kInterrupted;
      return exit;
    }
    return ErrnoStatus(err, absl::StrFormat("KVM_RUN vcpu=%d", id_));
  }
  RecordExit();
  return TranslateExit();
}

void KvmVcpu::RecordExit() {
  const kvm_run* run = run_.run();
  ExitRecord& r = history_[exits_++ % kExitHistory];
  r.reason = run->exit_reason;
  r.write = false;
  r.where = 0;
  if (run->exit_reason == KVM_EXIT_IO) {
    r.write = run->io.direction == KVM_EXIT_IO_OUT;
    r.where = run->io.port;
  } else if (run->exit_reason == KVM_EXIT_MMIO) {
    r.write = run->mmio.is_write != 0;
    r.where = run->mmio.phys_addr;
  }
}

std::string KvmVcpu::DescribeExitHistory() const {
  std::string out = absl::StrFormat("exits=%d last=[", exits_);
  uint64_t first = exits_ > kExitHistory ? exits_ - kExitHistory : 0;
  for (uint64_t i = first; i < exits_; ++i) {
    const ExitRecord& r = history_[i % kExitHistory];
    if (i != first) out += ' ';
    switch (r.reason) {
      case KVM_EXIT_IO:
        absl::StrAppendFormat(&out, "%s:0x%x", r.write ? "out" : "in", r.where);
        break;
      case KVM_EXIT_MMIO:
        absl::StrAppendFormat(&out, "%s:0x%x", r.write ? "mmio_w" : "mmio_r", r.where);
        break;
      case KVM_EXIT_INTR:
        out += "intr";
        break;
      case KVM_EXIT_SHUTDOWN:
        out += "shutdown";
        break;
      case KVM_EXIT_HLT:
        out += "hlt";
        break;
      default:
        absl::StrAppendFormat(&out, "reason%d", r.reason);
    }
  }
  out += ']';
  return out;
}

VcpuExit KvmVcpu::TranslateExit() {
  kvm_run* run = run_.run();
  VcpuExit exit;
  switch (run->exit_reason) {
    case KVM_EXIT_IO: {
      exit.kind =
          run->io.direction == KVM_EXIT_IO_OUT ? VcpuExit::Kind::kIoOut : VcpuExit::Kind::kIoIn;
      exit.address = run->io.port;
      exit.size = run->io.size;
      exit.count = run->io.count;
      uint64_t len = uint64_t{run->io.size} * run->io.count;
      uint64_t off = run->io.data_offset;
      // The kernel fills these, but a bad offset must not become a wild
      // pointer.
      if (off > run_.size() || len > run_.size() - off) {
        exit.kind = VcpuExit::Kind::kInternalError;
        exit.detail = absl::StrFormat("KVM_EXIT_IO data_offset=%d len=%d outside kvm_run size=%d",
                                      off, len, run_.size());
        return exit;
      }
      exit.data = absl::MakeSpan(reinterpret_cast<uint8_t*>(run) + off, len);
      return exit;
    }
    case KVM_EXIT_MMIO: {
      exit.kind = run->mmio.is_write ? VcpuExit::Kind::kMmioWrite : VcpuExit::Kind::kMmioRead;
      exit.address = run->mmio.phys_addr;
      uint32_t len = run->mmio.len;
      if (len > sizeof(run->mmio.data)) len = sizeof(run->mmio.data);
      exit.size = len;
      exit.data = absl::MakeSpan(run->mmio.data, len);
      return exit;
    }
    case KVM_EXIT_HLT:
      exit.kind = VcpuExit::Kind::kHalt;
      return exit;
    case KVM_EXIT_SHUTDOWN:
      exit.kind = VcpuExit::Kind::kShutdown;
      exit.detail = "KVM_EXIT_SHUTDOWN (triple fault)";
      return exit;
    case KVM_EXIT_INTR:
      __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
      exit.kind = VcpuExit::Kind::kInterrupted;
      return exit;
    case KVM_EXIT_SYSTEM_EVENT:
      switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
          exit.kind = VcpuExit::Kind::kSystemOff;
          break;
        case KVM_SYSTEM_EVENT_RESET:
          exit.kind = VcpuExit::Kind::kSystemReset;
          break;
        default:
          exit.kind = VcpuExit::Kind::kShutdown;
          break;
      }
      exit.detail = absl::StrFormat("KVM_EXIT_SYSTEM_EVENT type=%d", run->system_event.type);
      return exit;
    case KVM_EXIT_FAIL_ENTRY:
      exit.kind = VcpuExit::Kind::kInternalError;
      exit.detail = absl::StrFormat("KVM_EXIT_FAIL_ENTRY hardware_entry_failure_reason=0x%x",
                                    run->fail_entry.hardware_entry_failure_reason);
      return exit;
    case KVM_EXIT_INTERNAL_ERROR:
      exit.kind = VcpuExit::Kind::kInternalError;
      exit.detail =
          absl::StrFormat("KVM_EXIT_INTERNAL_ERROR suberror=%d (%s)", run->internal.suberror,
                          InternalErrorName(run->internal.suberror));
      return exit;
    default:
      exit.kind = VcpuExit::Kind::kUnknown;
      exit.detail = absl::StrFormat("KVM exit_reason=%d", run->exit_reason);
      return exit;
  }
}

void KvmVcpu::Kick() {
  // Order matters: immediate_exit first, so a vCPU thread about to enter
  // KVM_RUN returns at once; the signal covers one already inside.
  __atomic_store_n(&run_.run()->immediate_exit, 1, __ATOMIC_SEQ_CST);
  absl::MutexLock lock(&mu_);
  if (in_run_) pthread_kill(thread_, KickSignal());
}

std::string KvmVcpu::DescribeState() {
  kvm_regs regs{};
  kvm_sregs sregs{};
  if (::ioctl(fd(), KVM_GET_REGS, &regs) < 0 || ::ioctl(fd(), KVM_GET_SREGS, &sregs) < 0) {
    return absl::StrFormat("vcpu=%d (registers unavailable: %s) %s", id_,
                           ErrnoStatus("KVM_GET_REGS").message(), DescribeExitHistory());
  }
  std::string out = absl::StrFormat(
      "vcpu=%d rip=0x%x cs=0x%x cs_base=0x%x rsp=0x%x rflags=0x%x cr0=0x%x cr3=0x%x cr4=0x%x "
      "efer=0x%x cr2=0x%x ss=0x%x cpl=%d gdtr=0x%x/0x%x idtr=0x%x/0x%x tr=0x%x",
      id_, regs.rip, sregs.cs.selector, sregs.cs.base, regs.rsp, regs.rflags, sregs.cr0, sregs.cr3,
      sregs.cr4, sregs.efer, sregs.cr2, sregs.ss.selector, sregs.cs.dpl, sregs.gdt.base,
      sregs.gdt.limit, sregs.idt.base, sregs.idt.limit, sregs.tr.selector);
  // What KVM still holds for delivery: an exception being delivered when
  // the CPU gave up is the usual first step of a triple fault.
  kvm_vcpu_events ev{};
  if (::ioctl(fd(), KVM_GET_VCPU_EVENTS, &ev) == 0) {
    absl::StrAppendFormat(
        &out,
        " exception=%s%d/err=0x%x interrupt=%s%d nmi_pending=%d nmi_masked=%d "
        "shadow=%d",
        ev.exception.injected ? "injected:" : (ev.exception.pending ? "pending:" : "none:"),
        ev.exception.nr, ev.exception.error_code,
        ev.interrupt.injected ? "injected:" : "none:", ev.interrupt.nr, ev.nmi.pending,
        ev.nmi.masked, ev.interrupt.shadow);
  }
  absl::StrAppend(&out, " ", DescribeExitHistory());
  return out;
}

}  // namespace vmm
