// VmManager, part two: supervising workers. Each spawned or adopted worker
// has a monitor thread that follows its status stream and, when the process
// ends (pidfd), decides the VM's final state. On daemon start, workers that
// are still alive are re-adopted.

#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "vmm/base/log.h"
#include "vmm/manager/final_status.h"
#include "vmm/manager/vm_manager.h"
#include "vmm/manager/vm_record.h"
#include "vmm/manager/worker_process.h"
#include "vmm/worker/files.h"
#include "vmm/worker/layout.h"

namespace vmm::manager {
namespace {

constexpr absl::Duration kAdoptProbeTimeout = absl::Seconds(3);
constexpr absl::Duration kWatchConnectTimeout = absl::Milliseconds(200);

v1::Accelerator ToProto(AccelKind a) {
  switch (a) {
    case AccelKind::kKvm:
      return v1::KVM;
    case AccelKind::kTcg:
      return v1::TCG;
    default:
      return v1::AUTO;
  }
}

}  // namespace

void VmManager::LoadAndAdopt() {
  VmStore::Loaded loaded = store_.LoadAll();
  for (const std::string& e : loaded.errors) {
    Log(LogLevel::kError, "manager", "vm_load_failed", {{"error", e}});
  }
  std::vector<std::shared_ptr<Record>> records;
  {
    absl::MutexLock lock(&mu_);
    for (v1::Vm& vm : loaded.vms) {
      if (id_by_name_.contains(vm.spec().name())) {
        Log(LogLevel::kError, "manager", "vm_duplicate_name",
            {{"vm", vm.spec().name()}, {"id", vm.id()}});
        continue;
      }
      auto rec = std::make_shared<Record>();
      rec->vm = std::move(vm);
      id_by_name_[rec->vm.spec().name()] = rec->vm.id();
      by_id_[rec->vm.id()] = rec;
      records.push_back(rec);
    }
  }
  for (const std::shared_ptr<Record>& rec : records) {
    std::string dir = store_.VmDir(rec->vm.id());
    bool was_active = IsActive(rec->vm.status().state());
    bool has_pid_file = ::access(absl::StrCat(dir, "/", worker::kPidFile).c_str(), F_OK) == 0;
    if (!was_active && !has_pid_file) continue;
    if (TryAdopt(rec)) continue;
    if (!was_active) continue;
    // The worker ended while no daemon watched: its exit record (if any)
    // still says why.
    absl::StatusOr<worker::WorkerExit> exit = worker::ReadWorkerExit(dir);
    FinalStatus final = DecideFinalStatus(exit, exit.ok() ? exit->pid : 0, false, false, false,
                                          "ended while the daemon was down (no exit record)");
    absl::MutexLock lock(&mu_);
    if (exit.ok()) rec->last_counters = exit->counters;
    rec->vm.mutable_status()->set_worker_pid(0);
    SetStatus(rec.get(), final.state, final.reason, final.message);
  }
}

bool VmManager::TryAdopt(const std::shared_ptr<Record>& rec) {
  std::string dir = store_.VmDir(rec->vm.id());
  absl::StatusOr<std::string> pid_text = ReadFileToString(absl::StrCat(dir, "/", worker::kPidFile));
  int pid = 0;
  if (!pid_text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*pid_text), &pid) ||
      pid <= 1) {
    return false;
  }
  absl::StatusOr<Fd> pidfd = OpenPidfd(pid);
  if (!pidfd.ok() || WaitForExit(pidfd->get(), absl::ZeroDuration())) return false;
  // The pid alone could have been reused by an unrelated process: only a
  // worker answering on this VM's socket with this pid is ours.
  std::shared_ptr<worker::WorkerClient> client =
      worker::WorkerClient::Create(absl::StrCat(dir, "/", worker::kControlSocket));
  absl::StatusOr<worker::WorkerState> st = client->GetStatus(kAdoptProbeTimeout);
  if (!st.ok() || st->pid != pid) {
    Log(LogLevel::kWarning, "manager", "adopt_failed",
        {{"vm", rec->vm.spec().name()},
         {"pid", absl::StrCat(pid)},
         {"error", st.ok() ? "pid mismatch" : std::string(st.status().message())}});
    return false;
  }
  absl::MutexLock lock(&mu_);
  rec->client = client;
  v1::VmStatus* s = rec->vm.mutable_status();
  s->set_boot_count(st->boot_count);
  s->set_accelerator(ToProto(st->accel));
  Supervise(rec, pid, /*is_child=*/false, std::make_shared<Fd>(std::move(pidfd).value()));
  SetStatus(rec.get(), st->phase == worker::WorkerState::Phase::kPaused ? v1::PAUSED : v1::RUNNING,
            v1::ADOPTED, absl::StrCat("worker pid ", pid, " re-adopted"));
  return true;
}

void VmManager::ApplyWorkerState(Record* rec, const worker::WorkerState& st) {
  v1::VmStatus* s = rec->vm.mutable_status();
  if (st.accel != AccelKind::kAuto) s->set_accelerator(ToProto(st.accel));
  uint32_t old_boots = s->boot_count();
  if (st.boot_count > old_boots) s->set_boot_count(st.boot_count);
  switch (st.phase) {
    case worker::WorkerState::Phase::kRunning:
      if (rec->starting) {
        rec->starting = false;
        SetStatus(rec, v1::RUNNING, v1::BOOTED, "");
      } else if (s->state() == v1::PAUSED) {
        SetStatus(rec, v1::RUNNING, v1::RESUMED, "");
      } else if (st.boot_count > old_boots) {
        SetStatus(rec, v1::RUNNING, v1::REBOOTED, absl::StrCat("boot ", st.boot_count));
      }
      break;
    case worker::WorkerState::Phase::kPaused:
      rec->starting = false;
      if (s->state() != v1::PAUSED) SetStatus(rec, v1::PAUSED, v1::USER_PAUSED, "");
      break;
    default:
      break;
  }
}

void VmManager::Supervise(const std::shared_ptr<Record>& rec, pid_t pid, bool is_child,
                          std::shared_ptr<Fd> pidfd) {
  ++rec->generation;
  rec->pid = pid;
  rec->is_child = is_child;
  rec->pidfd = std::move(pidfd);
  rec->worker_alive = true;
  rec->start_timed_out = false;
  rec->vm.mutable_status()->set_worker_pid(pid);
  rec->monitor = std::thread(&VmManager::Monitor, this, rec, rec->generation);
}

void VmManager::Monitor(std::shared_ptr<Record> rec, uint64_t generation) {
  std::shared_ptr<Fd> pidfd;
  std::shared_ptr<worker::WorkerClient> client;
  {
    absl::MutexLock lock(&mu_);
    pidfd = rec->pidfd;
    client = rec->client;
  }
  while (!shutting_down_) {
    if (WaitForExit(pidfd->get(), absl::ZeroDuration())) break;
    // Short connect waits, so that a worker that ended before its socket
    // answered is seen at once by the pidfd check above.
    absl::StatusOr<std::unique_ptr<worker::StatusWatch>> opened =
        client->WatchStatus(kWatchConnectTimeout);
    if (!opened.ok()) {
      WaitForExit(pidfd->get(), absl::Milliseconds(100));
      continue;
    }
    std::shared_ptr<worker::StatusWatch> watch = std::move(opened).value();
    {
      absl::MutexLock lock(&mu_);
      // Shutdown() cancels the watches it sees under mu_; checking here
      // under the same lock means none is missed.
      if (shutting_down_) return;
      rec->watch = watch;
    }
    worker::WorkerState st;
    while (watch->Next(&st)) {
      absl::MutexLock lock(&mu_);
      ApplyWorkerState(rec.get(), st);
    }
    {
      absl::MutexLock lock(&mu_);
      rec->watch.reset();
    }
    // The stream ends when the worker exits (or closes its server first).
    WaitForExit(pidfd->get(), absl::Milliseconds(200));
  }
  if (shutting_down_) return;  // Leave the worker for the next daemon.
  Finalize(rec, generation);
}

void VmManager::Finalize(const std::shared_ptr<Record>& rec, uint64_t generation) {
  pid_t pid;
  bool is_child;
  {
    absl::MutexLock lock(&mu_);
    pid = rec->pid;
    is_child = rec->is_child;
  }
  std::string process_end = "ended (not a child of this daemon: exit status unknown)";
  if (is_child) {
    absl::StatusOr<ChildExit> reaped = ReapChild(pid);
    process_end = reaped.ok() ? reaped->description : std::string(reaped.status().message());
  }
  absl::StatusOr<worker::WorkerExit> exit = worker::ReadWorkerExit(store_.VmDir(rec->vm.id()));

  absl::MutexLock lock(&mu_);
  if (rec->generation != generation) return;
  FinalStatus final =
      DecideFinalStatus(exit, pid, rec->stop_intent != StopIntent::kNone,
                        rec->stop_intent == StopIntent::kForced, rec->start_timed_out, process_end);
  // A guest that ran and ended before its first status reached us still
  // booted: say so, so that watchers see RUNNING before SHUTOFF.
  if (rec->starting && exit.ok() && exit->pid == pid && exit->boot_count > 0) {
    rec->vm.mutable_status()->set_boot_count(exit->boot_count);
    SetStatus(rec.get(), v1::RUNNING, v1::BOOTED, "");
  }
  if (exit.ok() && exit->pid == pid) rec->last_counters = exit->counters;
  rec->starting = false;
  rec->worker_alive = false;
  rec->pid = 0;
  rec->client.reset();
  rec->vm.mutable_status()->set_worker_pid(0);
  SetStatus(rec.get(), final.state, final.reason, final.message);
}

void VmManager::JoinMonitor(const std::shared_ptr<Record>& rec) {
  std::thread t;
  {
    absl::MutexLock lock(&mu_);
    t = std::move(rec->monitor);
  }
  if (t.joinable()) t.join();
}

bool VmManager::AwaitWorkerGone(const std::shared_ptr<Record>& rec, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  Record* r = rec.get();
  auto gone = [r]() { return !r->worker_alive; };
  return mu_.AwaitWithTimeout(absl::Condition(&gone), timeout);
}

}  // namespace vmm::manager
