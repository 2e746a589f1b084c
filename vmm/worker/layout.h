#ifndef VMM_WORKER_LAYOUT_H_
#define VMM_WORKER_LAYOUT_H_

// The contract between vmmd and vmm-worker that is not a gRPC message: the
// files in a VM's state directory and the worker's exit codes. Free of gRPC
// so that the manager can use it too.

namespace vmm::worker {

// Files inside <state dir>/vms/<id>/.
inline constexpr char kSpecFile[] = "spec.txtpb";         // vmm.v1.VmSpec, text.
inline constexpr char kControlSocket[] = "control.sock";  // WorkerControl.
inline constexpr char kPidFile[] = "worker.pid";          // Decimal pid + '\n'.
inline constexpr char kExitFile[] = "exit.txtpb";         // vmm.worker.ExitRecord.
inline constexpr char kConsoleLog[] = "console.log";      // Guest serial output.
inline constexpr char kWorkerLog[] = "worker.log";        // The worker's stderr.

// Exit codes of vmm-worker. Anything else (or a signal) means it died.
inline constexpr int kExitPowerOff = 0;
inline constexpr int kExitStopped = 64;
inline constexpr int kExitGuestCrash = 65;
inline constexpr int kExitStartFailed = 66;
inline constexpr int kExitUsage = 67;

}  // namespace vmm::worker

#endif  // VMM_WORKER_LAYOUT_H_
