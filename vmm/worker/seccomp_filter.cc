#include "vmm/worker/seccomp_filter.h"

#include <errno.h>
#include <seccomp.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "vmm/base/errno_status.h"

namespace vmm::worker {
namespace {

constexpr const char* kDenied[] = {
    // Running other programs or reaching into other processes.
    "execve",
    "execveat",
#ifndef __SANITIZE_ADDRESS__
    // LeakSanitizer stops the threads with ptrace at exit: ASan builds (the
    // test suite's --config=asan) keep it so that leaks are still reported.
    "ptrace",
#endif
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "kcmp",
    // Namespaces, mounts and the filesystem root.
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fspick",
    "mount_setattr",
    "open_by_handle_at",
    "name_to_handle_at",
    "quotactl",
    // The kernel itself.
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "fanotify_init",
    "syslog",
    "iopl",
    "ioperm",
    // Keyrings.
    "keyctl",
    "add_key",
    "request_key",
    // Host-wide settings.
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "sethostname",
    "setdomainname",
};

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

}  // namespace

absl::Status InstallWorkerSeccompFilter() {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  // Apply to every thread of the process, should one already exist.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1);
  if (rc != 0) return ErrnoStatus(-rc, "seccomp_attr_set(TSYNC)");
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // Not on this architecture.
    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0);
    if (rc != 0) return ErrnoStatus(-rc, absl::StrCat("seccomp_rule_add(", name, ")"));
  }
  rc = seccomp_load(ctx.get());
  if (rc != 0) return ErrnoStatus(-rc, "seccomp_load");
  return absl::OkStatus();
}

}  // namespace vmm::worker
