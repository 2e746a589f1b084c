#include "devices/virtio/net/tap.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/log.h"
#include "vmm/base/status_macros.h"

namespace vmm {
namespace virtio {

namespace {

constexpr int kVnetHdrSize = 12;

// Interface queries go through a socket of the caller's network namespace
// (sysfs shows the namespace it was mounted in, not ours).
bool IfIoctl(const std::string& name, unsigned long request, struct ifreq* ifr) {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return false;
  std::memset(ifr->ifr_name, 0, IFNAMSIZ);
  std::memcpy(ifr->ifr_name, name.data(), std::min<size_t>(name.size(), IFNAMSIZ - 1));
  return ::ioctl(s.get(), request, ifr) == 0;
}

// A tap reports driver "tun" and bus_info "tap" (drivers/net/tun.c
// tun_get_drvinfo); a tun device says bus_info "tun".
bool IsTap(const std::string& name) {
  struct ethtool_drvinfo info;
  std::memset(&info, 0, sizeof(info));
  info.cmd = ETHTOOL_GDRVINFO;
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  if (!IfIoctl(name, SIOCETHTOOL, &ifr)) return false;
  return std::strcmp(info.driver, "tun") == 0 && std::strcmp(info.bus_info, "tap") == 0;
}

absl::Status OpenError(int err, const std::string& name) {
  switch (err) {
    case ENOENT:
    case ENODEV:
      return absl::FailedPreconditionError(
          "/dev/net/tun is missing: load the tun module (modprobe tun) or create the node "
          "(mknod /dev/net/tun c 10 200)");
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(absl::StrFormat(
          "tap \"%s\": needs CAP_NET_ADMIN: run as root (or give the daemon CAP_NET_ADMIN)",
          name));
    case EBUSY:
      return absl::FailedPreconditionError(absl::StrFormat(
          "tap \"%s\" is busy: another process holds it (or it was made without multi_queue "
          "while %s queues are asked): stop that user or pick another name",
          name, "several"));
    case EINVAL:
      return absl::InvalidArgumentError(absl::StrFormat(
          "interface \"%s\" exists but is not a tap with matching flags (tun, or multi_queue "
          "mismatch): pick another name",
          name));
    default:
      return ErrnoStatus(err, absl::StrFormat("opening tap \"%s\"", name));
  }
}

}  // namespace

bool InterfaceExists(const std::string& name) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  return IfIoctl(name, SIOCGIFINDEX, &ifr);
}

absl::StatusOr<Tap> Tap::Open(const TapOptions& options) {
  std::string name = options.name;
  if (name.empty()) name = absl::StrFormat("vmm%d-%d", options.vm_id, options.nic_index);
  if (name.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tap name \"%s\" is %d bytes: at most %d", name, name.size(), IFNAMSIZ - 1));
  }
  if (options.num_queues == 0 || options.num_queues > 256) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tap \"%s\": num_queues=%d, must be 1..256", name, options.num_queues));
  }
  const bool exists = InterfaceExists(name);
  if (options.mode == TapOptions::Mode::kCreate && exists) {
    return absl::AlreadyExistsError(absl::StrFormat(
        "tap \"%s\" cannot be created: an interface of that name exists; pick another name or "
        "attach to it",
        name));
  }
  if (options.mode == TapOptions::Mode::kAttach) {
    if (!exists) {
      return absl::NotFoundError(absl::StrFormat(
          "tap \"%s\" does not exist: create it first (ip tuntap add %s mode tap%s)", name, name,
          options.num_queues > 1 ? " multi_queue" : ""));
    }
    if (!IsTap(name)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("interface \"%s\" is not a tap: pick a tap", name));
    }
  }

  Tap tap;
  tap.name_ = name;
  tap.created_ = !exists;
  tap.multi_queue_ = options.num_queues > 1;
  for (uint16_t q = 0; q < options.num_queues; ++q) {
    Fd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return OpenError(errno, name);
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof(ifr));
    std::memcpy(ifr.ifr_name, name.data(), name.size());
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (tap.multi_queue_) ifr.ifr_flags |= IFF_MULTI_QUEUE;
    if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) return OpenError(errno, name);
    int hdr = kVnetHdrSize;
    if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &hdr) < 0) {
      return ErrnoStatus(absl::StrFormat("TUNSETVNETHDRSZ %d on tap \"%s\"", hdr, name));
    }
    tap.fds_.push_back(std::move(fd));
  }
  // Nothing offloaded to the guest until it negotiates GUEST_* features.
  RETURN_IF_ERROR(tap.SetOffload(false, false, false, false));
  Log(LogLevel::kInfo, "virtio_net", tap.created_ ? "tap_created" : "tap_attached",
      {{"name", name}, {"queues", absl::StrFormat("%d", options.num_queues)}});
  return tap;
}

absl::StatusOr<Tap> Tap::FromBorrowedFds(const std::string& name, const std::vector<int>& fds) {
  if (fds.empty() || fds.size() > 256) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tap \"%s\": %d queue fds, must be 1..256", name, fds.size()));
  }
  Tap tap;
  tap.name_ = name;
  tap.created_ = false;  // The owner of the original fds decides its life.
  tap.multi_queue_ = fds.size() > 1;
  for (int fd : fds) {
    Fd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!dup) return ErrnoStatus(absl::StrFormat("dup of a queue fd of tap \"%s\"", name));
    tap.fds_.push_back(std::move(dup));
  }
  return tap;
}

absl::Status Tap::SetOffload(bool csum, bool tso4, bool tso6, bool ufo) {
  unsigned flags = 0;
  if (csum) {
    flags |= TUN_F_CSUM;
    // Segmentation offloads need partial checksums (virtio 1.2 §5.1.3.1).
    if (tso4) flags |= TUN_F_TSO4;
    if (tso6) flags |= TUN_F_TSO6;
    if (ufo) flags |= TUN_F_UFO;
  }
  for (const Fd& fd : fds_) {
    if (::ioctl(fd.get(), TUNSETOFFLOAD, flags) == 0) continue;
    if ((flags & TUN_F_UFO) && errno == EINVAL &&
        ::ioctl(fd.get(), TUNSETOFFLOAD, flags & ~TUN_F_UFO) == 0) {
      continue;
    }
    return ErrnoStatus(absl::StrFormat("TUNSETOFFLOAD 0x%x on tap \"%s\"", flags, name_));
  }
  return absl::OkStatus();
}

absl::Status Tap::SetQueueEnabled(uint16_t queue, bool enabled) {
  if (!multi_queue_ || queue >= fds_.size()) return absl::OkStatus();
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = enabled ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
  if (::ioctl(fds_[queue].get(), TUNSETQUEUE, &ifr) < 0 && errno != EINVAL) {
    return ErrnoStatus(absl::StrFormat("TUNSETQUEUE %s queue %d of tap \"%s\"",
                                       enabled ? "attach" : "detach", queue, name_));
  }
  return absl::OkStatus();
}

std::array<uint8_t, 6> GenerateMac(uint64_t vm_id, uint32_t nic_index) {
  // FNV-1a over the two ids: stable across runs and builds.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  mix(vm_id);
  mix(nic_index);
  std::array<uint8_t, 6> mac;
  mac[0] = 0x02;  // Locally administered, unicast.
  for (int i = 1; i < 6; ++i) mac[i] = static_cast<uint8_t>(h >> (8 * (i - 1)));
  return mac;
}

std::string FormatMac(const std::array<uint8_t, 6>& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

}  // namespace virtio
}  // namespace vmm
