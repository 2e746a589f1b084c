#include "vmm/manager/vm_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <google/protobuf/text_format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/status_macros.h"
#include "vmm/worker/files.h"
#include "vmm/worker/layout.h"

namespace vmm::manager {
namespace {

constexpr char kVmFile[] = "vm.txtpb";
constexpr char kCreatingPrefix[] = ".creating-";
constexpr char kDeletingPrefix[] = ".deleting-";

absl::Status MkdirIfMissing(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus(absl::StrCat("mkdir ", path));
  }
  return absl::OkStatus();
}

absl::Status RemoveTree(const std::string& path) {
  auto remove = [](const char* p, const struct stat*, int, struct FTW*) {
    return ::remove(p) == 0 || errno == ENOENT ? 0 : -1;
  };
  if (::nftw(path.c_str(), remove, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) {
    return ErrnoStatus(absl::StrCat("remove ", path));
  }
  return absl::OkStatus();
}

std::string Text(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(m, &out);
  return out;
}

}  // namespace

VmStore::VmStore(std::string root) : vms_dir_(root + "/vms") {}

absl::Status VmStore::Init() {
  const std::string root = vms_dir_.substr(0, vms_dir_.size() - 4);
  RETURN_IF_ERROR(MkdirIfMissing(root));
  // Two daemons on one state directory would each supervise (and finalize)
  // the same workers. The lock dies with the process, even on SIGKILL.
  std::string lock_path = absl::StrCat(root, "/vmmd.lock");
  if (!lock_) {
    Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock) return ErrnoStatus(absl::StrCat("open ", lock_path));
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return absl::FailedPreconditionError(absl::StrCat(
            "state directory ", root, " is in use by another vmmd (", lock_path, " is locked)"));
      }
      return ErrnoStatus(absl::StrCat("flock ", lock_path));
    }
    lock_ = std::move(lock);
  }
  RETURN_IF_ERROR(MkdirIfMissing(vms_dir_));
  DIR* d = ::opendir(vms_dir_.c_str());
  if (d == nullptr) return ErrnoStatus(absl::StrCat("opendir ", vms_dir_));
  std::vector<std::string> leftovers;
  while (dirent* e = ::readdir(d)) {
    if (absl::StartsWith(e->d_name, kCreatingPrefix) ||
        absl::StartsWith(e->d_name, kDeletingPrefix)) {
      leftovers.push_back(absl::StrCat(vms_dir_, "/", e->d_name));
    }
  }
  ::closedir(d);
  for (const std::string& l : leftovers) RETURN_IF_ERROR(RemoveTree(l));
  return absl::OkStatus();
}

std::string VmStore::VmDir(const std::string& id) const { return absl::StrCat(vms_dir_, "/", id); }

absl::Status VmStore::Create(const v1::Vm& vm) {
  std::string final_dir = VmDir(vm.id());
  if (::access(final_dir.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("vm directory ", final_dir, " exists"));
  }
  std::string tmp = absl::StrCat(vms_dir_, "/", kCreatingPrefix, vm.id());
  RETURN_IF_ERROR(RemoveTree(tmp));
  if (::mkdir(tmp.c_str(), 0700) != 0) return ErrnoStatus(absl::StrCat("mkdir ", tmp));
  absl::Status s = AtomicWriteFile(absl::StrCat(tmp, "/", worker::kSpecFile), Text(vm.spec()));
  if (s.ok()) s = AtomicWriteFile(absl::StrCat(tmp, "/", kVmFile), Text(vm));
  if (s.ok() && ::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    s = ErrnoStatus(absl::StrCat("rename ", tmp, " to ", final_dir));
  }
  if (s.ok()) s = SyncDir(vms_dir_);
  if (!s.ok()) {
    RemoveTree(tmp).IgnoreError();
    return s;
  }
  return absl::OkStatus();
}

absl::Status VmStore::Save(const v1::Vm& vm) {
  return AtomicWriteFile(absl::StrCat(VmDir(vm.id()), "/", kVmFile), Text(vm));
}

absl::Status VmStore::SaveSpec(const std::string& id, const v1::VmSpec& spec) {
  return AtomicWriteFile(absl::StrCat(VmDir(id), "/", worker::kSpecFile), Text(spec));
}

absl::Status VmStore::Delete(const std::string& id) {
  std::string dir = VmDir(id);
  std::string doomed = absl::StrCat(vms_dir_, "/", kDeletingPrefix, id);
  // Rename first: after a crash the VM is either fully there or gone.
  if (::rename(dir.c_str(), doomed.c_str()) != 0) {
    return ErrnoStatus(absl::StrCat("rename ", dir, " to ", doomed));
  }
  RETURN_IF_ERROR(SyncDir(vms_dir_));
  return RemoveTree(doomed);
}

VmStore::Loaded VmStore::LoadAll() const {
  Loaded out;
  DIR* d = ::opendir(vms_dir_.c_str());
  if (d == nullptr) {
    out.errors.push_back(std::string(ErrnoStatus(absl::StrCat("opendir ", vms_dir_)).message()));
    return out;
  }
  std::vector<std::string> ids;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ids.push_back(e->d_name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    std::string path = absl::StrCat(VmDir(id), "/", kVmFile);
    absl::StatusOr<std::string> text = ReadFileToString(path);
    v1::Vm vm;
    if (!text.ok()) {
      out.errors.push_back(std::string(text.status().message()));
    } else if (!google::protobuf::TextFormat::ParseFromString(*text, &vm) || vm.id() != id) {
      out.errors.push_back(absl::StrCat(path, ": not a Vm record for id ", id));
    } else {
      out.vms.push_back(std::move(vm));
    }
  }
  return out;
}

}  // namespace vmm::manager
