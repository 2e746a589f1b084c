#ifndef VMM_MACHINE_RUN_CONTROL_H_
#define VMM_MACHINE_RUN_CONTROL_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accel/accelerator.h"
#include "vmm/machine/machine.h"

namespace vmm {

// Pause / resume / exit bookkeeping shared by a machine's vCPU threads and
// the threads that control the machine. Accelerator-neutral: it only needs
// Vcpu::Kick().
//
// vCPU thread protocol:
//   while (control.WaitUntilRunnable()) { exit = vcpu.Run(); ...dispatch... }
//   control.ThreadExited();
class RunControl {
 public:
  // `vcpus` must outlive this object.
  explicit RunControl(std::vector<Vcpu*> vcpus) : vcpus_(std::move(vcpus)) {}

  // vCPU thread: blocks while paused; false once the machine is exiting.
  bool WaitUntilRunnable();
  // vCPU thread: called once, as the thread ends.
  void ThreadExited();

  // Ends the machine with `exit` unless an exit was already recorded (the
  // first reason wins), and kicks every vCPU out of guest code.
  void RequestExit(MachineExit exit);

  // Returns once every vCPU thread is parked or gone.
  absl::Status Pause();
  absl::Status Resume();

  // Blocks until an exit has been recorded.
  MachineExit WaitForExitReason();

  // After an exit: waits up to `timeout` until `count` vCPU threads have
  // called ThreadExited(), kicking every vCPU again each `rekick_every`
  // (a kick is a signal; should one be lost, e.g. in a nested KVM, the
  // next one still gets the thread out). Adds the re-kicks to *rekicks and
  // returns whether all threads ended.
  bool WaitForThreadsExited(size_t count, absl::Duration timeout, absl::Duration rekick_every,
                            int* rekicks);
  std::optional<MachineExit> exit_reason() const;

 private:
  void KickAll();

  const std::vector<Vcpu*> vcpus_;
  mutable absl::Mutex mu_;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  size_t parked_ ABSL_GUARDED_BY(mu_) = 0;
  size_t exited_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<MachineExit> exit_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vmm

#endif  // VMM_MACHINE_RUN_CONTROL_H_
