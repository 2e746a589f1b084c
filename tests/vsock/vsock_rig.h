#ifndef TESTS_VSOCK_VSOCK_RIG_H_
#define TESTS_VSOCK_VSOCK_RIG_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "devices/virtio/mmio/mmio_transport.h"
#include "devices/virtio/vsock/vsock_device.h"
#include "tests/virtio/guest_driver.h"
#include "vmm/base/fd.h"
#include "vmm/memory/guest_memory.h"

namespace vmm {
namespace virtio {
namespace testing {

struct VsockPacket {
  VsockHdr hdr{};
  std::string data;
};

// A virtio-vsock device behind virtio-mmio, with the test playing the guest
// driver (tests/virtio GuestDriver): rx buffers stay posted, tx packets are
// sent one at a time and waited for.
class VsockRig {
 public:
  static constexpr uint64_t kGuestCid = 42;
  // A fresh uds path under TEST_TMPDIR (or /tmp).
  static std::string TempSocketPath(const std::string& tag);

  static absl::StatusOr<std::unique_ptr<VsockRig>> Create(VsockDeviceOptions options,
                                                          uint32_t rx_buf_bytes = 4096 + 44,
                                                          uint16_t rx_bufs = 128);
  ~VsockRig();

  VsockDevice& device() { return *device_; }
  GuestDriver& driver() { return *driver_; }
  const std::string& uds() const { return device_->options().uds_path; }

  // A header from the guest (src_cid = guest, dst_cid = host).
  VsockHdr Hdr(uint16_t op, uint32_t src_port, uint32_t dst_port, uint32_t len = 0,
               uint32_t buf_alloc = 1u << 20, uint32_t fwd_cnt = 0) const;
  // Sends one packet on the tx queue and waits until the device used it.
  // `desc_len` overrides the payload descriptor's length (hostile tests).
  absl::Status Send(const VsockHdr& hdr, const std::string& data = "", int64_t desc_len = -1);
  // Sends a tx chain of raw bytes (shorter than a header, say).
  absl::Status SendRaw(const std::string& bytes);
  // The next packet the device put in the rx queue.
  absl::StatusOr<VsockPacket> Recv(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

 private:
  VsockRig() = default;
  void PostRx(GuestAddress addr);

  std::unique_ptr<GuestMemory> memory_;
  std::shared_ptr<VsockDevice> device_;
  std::shared_ptr<WaitableIrq> irq_;
  std::unique_ptr<VirtioMmioTransport> transport_;
  std::unique_ptr<GuestDriver> driver_;
  uint32_t rx_buf_bytes_ = 0;
  absl::flat_hash_map<uint16_t, uint64_t> rx_heads_;  // head -> buffer address
  GuestAddress tx_hdr_, tx_data_;
  static constexpr uint32_t kTxDataBytes = 1u << 20;
};

// Host side helpers (real unix sockets).
// Connects to `uds`, sends "CONNECT <port>\n"; does not wait for OK.
absl::StatusOr<Fd> HostConnect(const std::string& uds, uint32_t port);
// A connected unix socket to `uds`, nothing written.
absl::StatusOr<Fd> ConnectUnix(const std::string& uds);
// Reads one "\n"-terminated line (byte by byte, so no stream data is eaten).
absl::StatusOr<std::string> ReadLine(
    int fd, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// Listens on `path` (removing a stale file).
absl::StatusOr<Fd> Listen(const std::string& path);
absl::Status WriteAll(int fd, const std::string& data);
absl::StatusOr<std::string> ReadExactly(
    int fd, size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
std::string RandomBytes(size_t n, uint32_t seed);
uint64_t Checksum(const std::string& s);

}  // namespace testing
}  // namespace virtio
}  // namespace vmm

#endif  // TESTS_VSOCK_VSOCK_RIG_H_
