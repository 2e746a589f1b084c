// VmManager, part three: the network devices of a VM (virtio-net rate
// limits, vsock capture) and the host-wide uniqueness of
// vsock CIDs and sockets.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"
#include "vmm/base/status_macros.h"
#include "vmm/manager/vm_manager.h"
#include "vmm/manager/vm_record.h"
#include "vmm/worker/layout.h"
#include "vmm/worker/net_control_client.h"

namespace vmm::manager {
namespace {

constexpr absl::Duration kNetCallTimeout = absl::Seconds(5);

RateLimitConfig ToConfig(const v1::RateLimit& r) {
  RateLimitConfig c;
  c.bytes_per_second = r.bytes_per_second();
  c.bytes_burst = r.bytes_burst();
  c.packets_per_second = r.packets_per_second();
  c.packets_burst = r.packets_burst();
  return c;
}

absl::Status Annotate(const absl::Status& s, const std::string& vm) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat("vm ", vm, ": ", s.message()));
}

}  // namespace

absl::Status VmManager::CheckVsockFree(const v1::VmSpec& spec) {
  if (!spec.has_vsock()) return absl::OkStatus();
  for (const auto& [id, rec] : by_id_) {
    const v1::VmSpec& other = rec->vm.spec();
    if (!other.has_vsock()) continue;
    if (other.vsock().guest_cid() == spec.vsock().guest_cid()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "spec.vsock.guest_cid=", spec.vsock().guest_cid(), ": already used by vm ",
          other.name(), " (id ", id, "); pick another CID (3..4294967294)"));
    }
    if (!spec.vsock().uds_path().empty() &&
        other.vsock().uds_path() == spec.vsock().uds_path()) {
      return absl::AlreadyExistsError(
          absl::StrCat("spec.vsock.uds_path=", spec.vsock().uds_path(), ": already used by vm ",
                       other.name(), " (id ", id, "); pick another path or leave it empty"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> VmManager::LiveControlSocket(const std::shared_ptr<Record>& rec) {
  absl::MutexLock lock(&mu_);
  if (rec->deleted)
    return absl::NotFoundError(absl::StrCat("vm ", rec->vm.spec().name(), " was deleted"));
  const v1::State state = rec->vm.status().state();
  if (!rec->worker_alive || (state != v1::RUNNING && state != v1::PAUSED)) {
    return absl::FailedPreconditionError(absl::StrCat("vm ", rec->vm.spec().name(), " is ",
                                                      v1::State_Name(state),
                                                      ": StartVm it first"));
  }
  return absl::StrCat(store_.VmDir(rec->vm.id()), "/", worker::kControlSocket);
}

absl::StatusOr<v1::Vm> VmManager::UpdateNic(const v1::VmRef& ref, uint32_t nic_index,
                                            const v1::RateLimit& rx, const v1::RateLimit& tx) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  absl::MutexLock op(&rec->op_mu);
  std::string name;
  {
    absl::MutexLock lock(&mu_);
    name = rec->vm.spec().name();
    if (nic_index >= static_cast<uint32_t>(rec->vm.spec().nics_size())) {
      return absl::InvalidArgumentError(absl::StrCat("nic_index=", nic_index, ": vm ", name,
                                                     " has ", rec->vm.spec().nics_size(),
                                                     " NIC(s)"));
    }
  }
  ASSIGN_OR_RETURN(std::string socket, LiveControlSocket(rec));
  RETURN_IF_ERROR(Annotate(worker::NetControlClient::Create(socket)->UpdateNic(
                               nic_index, ToConfig(rx), ToConfig(tx), kNetCallTimeout),
                           name));
  {
    absl::MutexLock lock(&mu_);
    v1::Nic* nic = rec->vm.mutable_spec()->mutable_nics(static_cast<int>(nic_index));
    *nic->mutable_rx_rate_limit() = rx;
    *nic->mutable_tx_rate_limit() = tx;
    Persist(rec.get());
    absl::Status s = store_.SaveSpec(rec->vm.id(), rec->vm.spec());
    if (!s.ok()) {
      Log(LogLevel::kError, "manager", "persist_spec_failed",
          {{"vm", name}, {"error", std::string(s.message())}});
    }
  }
  Log(LogLevel::kInfo, "manager", "nic_updated",
      {{"vm", name}, {"nic", absl::StrCat(nic_index)}});
  return Get(ref);
}

absl::Status VmManager::StartCapture(const v1::VmRef& ref, const std::string& path) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  ASSIGN_OR_RETURN(std::string socket, LiveControlSocket(rec));
  return Annotate(worker::NetControlClient::Create(socket)->StartCapture(path, kNetCallTimeout),
                  rec->vm.spec().name());
}

absl::Status VmManager::StopCapture(const v1::VmRef& ref) {
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  ASSIGN_OR_RETURN(std::string socket, LiveControlSocket(rec));
  return Annotate(worker::NetControlClient::Create(socket)->StopCapture(kNetCallTimeout),
                  rec->vm.spec().name());
}

absl::StatusOr<Fd> VmManager::OpenCaptureStream(const v1::VmRef& ref) {
  static std::atomic<uint64_t> counter{0};
  ASSIGN_OR_RETURN(std::shared_ptr<Record> rec, Find(ref));
  ASSIGN_OR_RETURN(std::string socket, LiveControlSocket(rec));
  const std::string fifo = absl::StrCat(store_.VmDir(rec->vm.id()), "/capture-", ::getpid(), "-",
                                        counter.fetch_add(1), ".fifo");
  ::unlink(fifo.c_str());
  if (::mkfifo(fifo.c_str(), 0600) != 0) return ErrnoStatus(absl::StrCat("mkfifo ", fifo));
  // Read end first, so that the worker's non-blocking open for writing
  // finds a reader; the name is not needed once both ends are open.
  Fd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    absl::Status s = ErrnoStatus(absl::StrCat("open ", fifo));
    ::unlink(fifo.c_str());
    return s;
  }
  absl::Status s = worker::NetControlClient::Create(socket)->StartCapture(fifo, kNetCallTimeout);
  ::unlink(fifo.c_str());
  RETURN_IF_ERROR(Annotate(s, rec->vm.spec().name()));
  return fd;
}

}  // namespace vmm::manager
