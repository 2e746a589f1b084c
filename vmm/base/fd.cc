#include "vmm/base/fd.h"

#include <unistd.h>

namespace vmm {

void Fd::Reset(int fd) {
  if (fd_ >= 0) {
    // Not retried on EINTR: on Linux the descriptor is gone either way.
    ::close(fd_);
  }
  fd_ = fd;
}

}  // namespace vmm
