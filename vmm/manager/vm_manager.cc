#include "vmm/manager/vm_manager.h"

#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vmm/base/log.h"
#include "vmm/base/status_macros.h"
#include "vmm/manager/vm_record.h"
#include "vmm/manager/worker_process.h"
#include "vmm/worker/layout.h"

namespace vmm::manager {
namespace {

constexpr absl::Duration kConsoleConnectTimeout = absl::Seconds(5);
constexpr absl::Duration kReapTimeout = absl::Seconds(30);

std::string NewId() {
  uint8_t bytes[8];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  std::string id;
  for (uint8_t b : bytes) absl::StrAppendFormat(&id, "%02x", b);
  return id;
}

void SetNow(google::protobuf::Timestamp* t) {
  absl::Time now = absl::Now();
  int64_t secs = absl::ToUnixSeconds(now);
  t->set_seconds(secs);
  t->set_nanos(static_cast<int32_t>((now - absl::FromUnixSeconds(secs)) / absl::Nanoseconds(1)));
}

}  // namespace

VmManager::VmManager(ManagerOptions options)
    : options_(std::move(options)), store_(options_.state_dir) {}

absl::StatusOr<std::unique_ptr<VmManager>> VmManager::Open(ManagerOptions options) {
  if (::access(options.worker_binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("worker binary ", options.worker_binary, " is not executable"));
  }
  std::unique_ptr<VmManager> m(new VmManager(std::move(options)));
  RETURN_IF_ERROR(m->store_.Init());
  m->LoadAndAdopt();
  return m;
}

VmManager::~VmManager() { Shutdown(); }

void VmManager::Shutdown() {
  std::vector<std::thread> monitors;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    for (auto& [id, rec] : by_id_) {
      if (rec->watch != nullptr) rec->watch->Cancel();
    }
  }
  events_.Close();
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, rec] : by_id_) {
      if (rec->monitor.joinable()) monitors.push_back(std::move(rec->monitor));
    }
  }
  for (std::thread& t : monitors) t.join();
}

absl::StatusOr<std::shared_ptr<VmManager::Record>> VmManager::Find(const v1::VmRef& ref) {
  absl::MutexLock lock(&mu_);
  switch (ref.ref_case()) {
    case v1::VmRef::kId: {
      auto it = by_id_.find(ref.id());
      if (it == by_id_.end())
        return absl::NotFoundError(absl::StrCat("vm id ", ref.id(), " not found"));
      return it->second;
    }
    case v1::VmRef::kName: {
      auto it = id_by_name_.find(ref.name());
      if (it == id_by_name_.end())
        return absl::NotFoundError(absl::StrCat("vm ", ref.name(), " not found"));
      return by_id_.at(it->second);
    }
    default:
      return absl::InvalidArgumentError("vm: set id or name");
  }
}

absl::StatusOr<v1::Vm> VmManager::Snapshot(const std::shared_ptr<Record>& rec) {
  absl::MutexLock lock(&mu_);
  if (rec->deleted)
    return absl::NotFoundError(absl::StrCat("vm ", rec->vm.spec().name(), " was deleted"));
  return rec->vm;
}

absl::Status VmManager::Check(const std::shared_ptr<Record>& rec, VmAction action) {
  absl::MutexLock lock(&mu_);
  if (rec->deleted)
    return absl::NotFoundError(absl::StrCat("vm ", rec->vm.spec().name(), " was deleted"));
  if (shutting_down_) return absl::UnavailableError("vmmd is shutting down");
  return CheckAction(action, rec->vm.status().state(), rec->vm.spec().name());
}

std::shared_ptr<worker::WorkerClient> VmManager::ClientOf(const std::shared_ptr<Record>& rec) {
  absl::MutexLock lock(&mu_);
  return rec->client;
}

void VmManager::SetStatus(Record* rec, v1::State state, v1::StateReason reason,
                          std::string message) {
  v1::VmStatus* s = rec->vm.mutable_status();
  if (s->state() != state && !IsLegalTransition(s->state(), state)) {
    Log(LogLevel::kWarning, "manager", "unexpected_transition",
        {{"vm", rec->vm.spec().name()},
         {"from", v1::State_Name(s->state())},
         {"to", v1::State_Name(state)}});
  }
  s->set_state(state);
  s->set_reason(reason);
  s->set_message(std::move(message));
  SetNow(s->mutable_state_since());
  Log(LogLevel::kInfo, "manager", "vm_state",
      {{"vm", rec->vm.spec().name()},
       {"id", rec->vm.id()},
       {"state", v1::State_Name(state)},
       {"reason", v1::StateReason_Name(reason)},
       {"message", s->message()},
       {"pid", absl::StrCat(s->worker_pid())}});
  Persist(rec);
  Publish(*rec, false);
}

void VmManager::Persist(Record* rec) {
  absl::Status s = store_.Save(rec->vm);
  if (!s.ok()) {
    Log(LogLevel::kError, "manager", "persist_failed",
        {{"vm", rec->vm.spec().name()}, {"error", std::string(s.message())}});
  }
}

void VmManager::Publish(const Record& rec, bool deleted) {
  v1::VmEvent e;
  e.set_vm_id(rec.vm.id());
  e.set_vm_name(rec.vm.spec().name());
  *e.mutable_status() = rec.vm.status();
  e.set_deleted(deleted);
  events_.Publish(e);
}

absl::StatusOr<v1::Vm> VmManager::Create(const v1::VmSpec& spec) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return absl::UnavailableError("vmmd is shutting down");
  auto taken = id_by_name_.find(spec.name());
  if (taken != id_by_name_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("vm name ", spec.name(), " is taken (id ",
                                                 taken->second, "); pick another name"));
  }
  RETURN_IF_ERROR(CheckVsockFree(spec));
  auto rec = std::make_shared<Record>();
  do {
    rec->vm.set_id(NewId());
  } while (by_id_.contains(rec->vm.id()));
  *rec->vm.mutable_spec() = spec;
  SetNow(rec->vm.mutable_created_at());
  v1::VmStatus* s = rec->vm.mutable_status();
  s->set_state(v1::CREATED);
  s->set_reason(v1::DEFINED);
  SetNow(s->mutable_state_since());
  // Written completely (or not at all) before the VM becomes visible.
  RETURN_IF_ERROR(store_.Create(rec->vm));
  by_id_[rec->vm.id()] = rec;
  id_by_name_[spec.name()] = rec->vm.id();
  Log(LogLevel::kInfo, "manager", "vm_created", {{"vm", spec.name()}, {"id", rec->vm.id()}});
  Publish(*rec, false);
  return rec->vm;
}

absl::StatusOr<v1::Vm> VmManager::Get(const v1::VmRef& ref) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  ASSIGN_OR_RETURN(v1::Vm vm, Snapshot(rec));
  FillCounters(rec, &vm);
  return vm;
}

void VmManager::FillCounters(const std::shared_ptr<Record>& rec, v1::Vm* vm) {
  // The one path of every device's counters (disks, NICs, vsock): a running
  // worker's GetCounters, else what its last answer or exit record said.
  // One entry per spec disk and NIC; zeros when nothing was reported.
  const v1::State state = vm->status().state();
  std::shared_ptr<worker::WorkerClient> client = ClientOf(rec);
  if (client != nullptr && (state == v1::RUNNING || state == v1::PAUSED)) {
    absl::StatusOr<MachineCounters> got = client->GetCounters(absl::Seconds(2));
    if (got.ok()) {
      absl::MutexLock lock(&mu_);
      rec->last_counters = std::move(*got);
    }
  }
  MachineCounters counters;
  {
    absl::MutexLock lock(&mu_);
    counters = rec->last_counters;
  }
  v1::DeviceCounters* out = vm->mutable_counters();
  out->Clear();
  for (int i = 0; i < vm->spec().disks_size(); ++i) {
    v1::BlockCounters* d = out->add_disks();
    if (static_cast<size_t>(i) >= counters.disks.size()) continue;
    const DiskCounterValues& c = counters.disks[static_cast<size_t>(i)];
    d->set_read_requests(c.read_requests);
    d->set_write_requests(c.write_requests);
    d->set_read_bytes(c.read_bytes);
    d->set_write_bytes(c.write_bytes);
    d->set_flushes(c.flushes);
    d->set_errors(c.errors);
  }
  for (int i = 0; i < vm->spec().nics_size(); ++i) {
    v1::NicCounters* o = out->add_nics();
    o->set_tap(vm->spec().nics(i).tap());
    if (static_cast<size_t>(i) >= counters.nics.size()) continue;
    const NicCounterValues& n = counters.nics[static_cast<size_t>(i)];
    if (!n.tap.empty()) o->set_tap(n.tap);
    o->set_rx_packets(n.rx_packets);
    o->set_rx_bytes(n.rx_bytes);
    o->set_tx_packets(n.tx_packets);
    o->set_tx_bytes(n.tx_bytes);
    o->set_rx_dropped(n.rx_dropped);
    o->set_tx_dropped(n.tx_dropped);
    o->set_rate_limited(n.rate_limited);
  }
  if (vm->spec().has_vsock() || counters.has_vsock) {
    v1::VsockCounters* v = out->mutable_vsock();
    const bool live = state == v1::RUNNING || state == v1::PAUSED;
    v->set_connections(live ? static_cast<uint32_t>(counters.vsock.connections) : 0);
    v->set_rx_bytes(counters.vsock.rx_bytes);
    v->set_tx_bytes(counters.vsock.tx_bytes);
  }
}

std::vector<v1::Vm> VmManager::List() {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Vm> out;
  for (const auto& [id, rec] : by_id_) out.push_back(rec->vm);
  std::sort(out.begin(), out.end(),
            [](const v1::Vm& a, const v1::Vm& b) { return a.spec().name() < b.spec().name(); });
  return out;
}

absl::StatusOr<v1::Vm> VmManager::Start(const v1::VmRef& ref) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  absl::MutexLock op(&rec->op_mu);
  RETURN_IF_ERROR(Check(rec, VmAction::kStart));
  JoinMonitor(rec);  // The previous worker's, long finished.

  const std::string dir = store_.VmDir(rec->vm.id());
  for (const char* stale : {worker::kExitFile, worker::kPidFile, worker::kControlSocket}) {
    ::unlink(absl::StrCat(dir, "/", stale).c_str());
  }
  absl::StatusOr<SpawnedProcess> spawned =
      SpawnDetached({options_.worker_binary, absl::StrCat("--vm-dir=", dir)},
                    absl::StrCat(dir, "/", worker::kWorkerLog));
  bool came_up;
  std::shared_ptr<Fd> pidfd;
  {
    absl::MutexLock lock(&mu_);
    const std::string& name = rec->vm.spec().name();
    if (!spawned.ok()) {
      SetStatus(rec.get(), v1::CRASHED, v1::START_FAILED,
                absl::StrCat("cannot start the worker: ", spawned.status().message()));
      return absl::InternalError(
          absl::StrCat("vm ", name, ": cannot start the worker: ", spawned.status().message()));
    }
    rec->starting = true;
    rec->stop_intent = StopIntent::kNone;
    rec->last_counters = MachineCounters();
    rec->vm.mutable_status()->set_boot_count(0);
    rec->vm.mutable_status()->set_accelerator(v1::AUTO);
    rec->client = worker::WorkerClient::Create(absl::StrCat(dir, "/", worker::kControlSocket));
    Supervise(rec, spawned->pid, /*is_child=*/true,
              std::make_shared<Fd>(std::move(spawned->pidfd)));
    Log(LogLevel::kInfo, "manager", "worker_spawned",
        {{"vm", name}, {"pid", absl::StrCat(spawned->pid)}});
    Record* r = rec.get();
    auto settled = [this, r]() { return !r->starting || !r->worker_alive || shutting_down_; };
    came_up = mu_.AwaitWithTimeout(absl::Condition(&settled), options_.start_timeout);
    pidfd = rec->pidfd;
    if (!came_up) rec->start_timed_out = true;
  }
  if (!came_up) {
    SignalProcess(pidfd->get(), SIGKILL).IgnoreError();
    AwaitWorkerGone(rec, kReapTimeout);
  }
  absl::MutexLock lock(&mu_);
  const v1::VmStatus& s = rec->vm.status();
  if (s.state() == v1::CRASHED && s.reason() == v1::START_FAILED) {
    return absl::FailedPreconditionError(
        absl::StrCat("vm ", rec->vm.spec().name(), " failed to start: ", s.message()));
  }
  return rec->vm;
}

absl::StatusOr<v1::Vm> VmManager::Pause(const v1::VmRef& ref) {
  return ForwardToWorker(ref, VmAction::kPause, &worker::WorkerClient::Pause);
}

absl::StatusOr<v1::Vm> VmManager::Resume(const v1::VmRef& ref) {
  return ForwardToWorker(ref, VmAction::kResume, &worker::WorkerClient::Resume);
}

absl::StatusOr<v1::Vm> VmManager::ForwardToWorker(const v1::VmRef& ref, VmAction action,
                                                  WorkerCall call) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  absl::MutexLock op(&rec->op_mu);
  RETURN_IF_ERROR(Check(rec, action));
  std::shared_ptr<worker::WorkerClient> client = ClientOf(rec);
  if (client == nullptr) return absl::UnavailableError("the worker has just ended");
  absl::StatusOr<worker::WorkerState> st = ((*client).*call)(options_.worker_call_timeout);
  if (!st.ok()) {
    return absl::UnavailableError(
        absl::StrCat("vm ", rec->vm.spec().name(), ": ", st.status().message()));
  }
  {
    absl::MutexLock lock(&mu_);
    ApplyWorkerState(rec.get(), *st);
  }
  return Snapshot(rec);
}

absl::StatusOr<v1::Vm> VmManager::Stop(const v1::VmRef& ref, absl::Duration timeout, bool force) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  absl::MutexLock op(&rec->op_mu);
  RETURN_IF_ERROR(Check(rec, VmAction::kStop));
  std::shared_ptr<worker::WorkerClient> client;
  std::shared_ptr<Fd> pidfd;
  {
    absl::MutexLock lock(&mu_);
    client = rec->client;
    pidfd = rec->pidfd;
    rec->stop_intent = force ? StopIntent::kForced : StopIntent::kGraceful;
  }
  bool gone = false;
  if (!force && client != nullptr) {
    absl::StatusOr<worker::WorkerState> st = client->RequestPowerOff(options_.worker_call_timeout);
    if (st.ok()) {
      gone = AwaitWorkerGone(rec, timeout);
    } else {
      Log(LogLevel::kWarning, "manager", "power_off_request_failed",
          {{"vm", rec->vm.spec().name()}, {"error", std::string(st.status().message())}});
    }
  }
  if (!gone) {
    {
      absl::MutexLock lock(&mu_);
      rec->stop_intent = StopIntent::kForced;
    }
    // Ask the worker to end its machine cleanly (it writes its exit record);
    // SIGKILL if it cannot.
    if (client != nullptr) client->Kill(absl::Seconds(2)).IgnoreError();
    if (!AwaitWorkerGone(rec, options_.kill_grace)) {
      if (pidfd != nullptr) SignalProcess(pidfd->get(), SIGKILL).IgnoreError();
      if (!AwaitWorkerGone(rec, kReapTimeout)) {
        return absl::DeadlineExceededError(
            absl::StrCat("vm ", rec->vm.spec().name(), ": the worker did not end after SIGKILL"));
      }
    }
  }
  return Snapshot(rec);
}

absl::StatusOr<v1::Vm> VmManager::Reboot(const v1::VmRef& ref) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  absl::MutexLock op(&rec->op_mu);
  RETURN_IF_ERROR(Check(rec, VmAction::kReboot));
  std::shared_ptr<worker::WorkerClient> client;
  uint32_t old_boots;
  {
    absl::MutexLock lock(&mu_);
    client = rec->client;
    old_boots = rec->vm.status().boot_count();
  }
  if (client == nullptr) return absl::UnavailableError("the worker has just ended");
  absl::StatusOr<worker::WorkerState> st = client->Reboot(options_.worker_call_timeout);
  if (!st.ok()) {
    return absl::UnavailableError(
        absl::StrCat("vm ", rec->vm.spec().name(), ": ", st.status().message()));
  }
  {
    absl::MutexLock lock(&mu_);
    Record* r = rec.get();
    auto rebooted = [r, old_boots]() {
      return !r->worker_alive || r->vm.status().boot_count() > old_boots;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&rebooted), options_.start_timeout)) {
      return absl::DeadlineExceededError(
          absl::StrCat("vm ", r->vm.spec().name(), ": the new boot did not start in time"));
    }
  }
  return Snapshot(rec);
}

absl::Status VmManager::Delete(const v1::VmRef& ref) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  absl::MutexLock op(&rec->op_mu);
  RETURN_IF_ERROR(Check(rec, VmAction::kDelete));
  JoinMonitor(rec);
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(store_.Delete(rec->vm.id()));
  rec->deleted = true;
  by_id_.erase(rec->vm.id());
  id_by_name_.erase(rec->vm.spec().name());
  Log(LogLevel::kInfo, "manager", "vm_deleted",
      {{"vm", rec->vm.spec().name()}, {"id", rec->vm.id()}});
  Publish(*rec, true);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<worker::ConsoleSession>> VmManager::OpenConsole(const v1::VmRef& ref,
                                                                               bool replay) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  RETURN_IF_ERROR(Check(rec, VmAction::kConsole));
  std::shared_ptr<worker::WorkerClient> client = ClientOf(rec);
  if (client == nullptr) return absl::UnavailableError("the worker has just ended");
  absl::StatusOr<std::unique_ptr<worker::ConsoleSession>> session =
      client->OpenConsole(replay, kConsoleConnectTimeout);
  if (!session.ok()) {
    return absl::UnavailableError(
        absl::StrCat("vm ", rec->vm.spec().name(), ": console: ", session.status().message()));
  }
  return session;
}

absl::StatusOr<VmManager::Watch> VmManager::WatchEvents(const v1::VmRef* ref) {
  std::shared_ptr<Record> only;
  if (ref != nullptr) {
    ASSIGN_OR_RETURN(only, Find(*ref));
  }
  // Under mu_ (which every Publish holds): no event falls between the
  // snapshot and the subscription.
  absl::MutexLock lock(&mu_);
  Watch w;
  w.subscription = events_.Subscribe(only != nullptr ? only->vm.id() : "");
  for (const auto& [id, rec] : by_id_) {
    if (only != nullptr && rec != only) continue;
    v1::VmEvent e;
    e.set_vm_id(rec->vm.id());
    e.set_vm_name(rec->vm.spec().name());
    *e.mutable_status() = rec->vm.status();
    w.snapshot.push_back(std::move(e));
  }
  return w;
}

}  // namespace vmm::manager
