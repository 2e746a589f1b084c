#include "tools/vmctl/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "vmm/base/errno_status.h"
#include "vmm/base/fd.h"

namespace vmctl {
namespace {

// The terminal state to restore from a signal handler (tcsetattr is
// async-signal-safe). Only one console runs per process.
struct termios g_saved_termios;
std::atomic<int> g_raw_fd{-1};

void RestoreAndExit(int sig) {
  int fd = g_raw_fd.load();
  if (fd >= 0) tcsetattr(fd, TCSAFLUSH, &g_saved_termios);
  _exit(128 + sig);
}

// Puts a terminal in raw mode for its lifetime.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) {
    if (!isatty(fd) || tcgetattr(fd, &g_saved_termios) != 0) return;
    struct termios raw = g_saved_termios;
    cfmakeraw(&raw);
    if (tcsetattr(fd, TCSAFLUSH, &raw) != 0) return;
    g_raw_fd.store(fd);
    for (int sig : {SIGTERM, SIGHUP, SIGQUIT}) signal(sig, RestoreAndExit);
  }
  ~RawTerminal() {
    int fd = g_raw_fd.exchange(-1);
    if (fd >= 0) tcsetattr(fd, TCSAFLUSH, &g_saved_termios);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
};

bool WriteAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

using Stream = grpc::ClientReaderWriterInterface<vmm::v1::ConsoleRequest, vmm::v1::ConsoleResponse>;

// Reads in_fd until EOF, detach or a wake-up on `wake`, forwarding input.
void PumpInput(int in_fd, int wake, Stream* stream, grpc::ClientContext* ctx,
               std::atomic<bool>* detached) {
  char buf[4096];
  for (;;) {
    struct pollfd fds[2] = {{in_fd, POLLIN, 0}, {wake, POLLIN, 0}};
    int r = poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (fds[1].revents != 0)) return;
    ssize_t n = read(in_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {  // EOF: no more input, keep reading output.
      stream->WritesDone();
      return;
    }
    const char* end = static_cast<const char*>(memchr(buf, kDetachByte, static_cast<size_t>(n)));
    size_t send = end ? static_cast<size_t>(end - buf) : static_cast<size_t>(n);
    if (send > 0) {
      vmm::v1::ConsoleRequest req;
      req.set_input(std::string(buf, send));
      if (!stream->Write(req)) return;  // The server ended the stream.
    }
    if (end != nullptr) {
      detached->store(true);
      ctx->TryCancel();
      return;
    }
  }
}

}  // namespace

absl::Status RunConsole(vmm::v1::VmService::StubInterface& stub, const ConsoleOptions& options) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return vmm::ErrnoStatus("pipe2");
  vmm::Fd wake_read(pipe_fds[0]), wake_write(pipe_fds[1]);

  grpc::ClientContext ctx;
  if (options.timeout_ms > 0) {
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(options.timeout_ms));
  }
  std::unique_ptr<Stream> stream = stub.StreamConsole(&ctx);
  vmm::v1::ConsoleRequest first;
  *first.mutable_vm() = options.vm;
  first.set_replay(options.replay);
  // A failed first write means the stream is already over; Finish says why.
  bool open = stream->Write(first);

  std::atomic<bool> detached{false};
  bool tty = isatty(options.in_fd);
  std::unique_ptr<RawTerminal> raw;
  if (tty) {
    std::string hello = "Connected to the console; detach with Ctrl-]\r\n";
    WriteAll(2, hello.data(), hello.size());
    raw = std::make_unique<RawTerminal>(options.in_fd);
  }
  std::thread input;
  if (open) {
    input = std::thread(PumpInput, options.in_fd, wake_read.get(), stream.get(), &ctx, &detached);
  }
  vmm::v1::ConsoleResponse resp;
  bool out_ok = true;
  while (stream->Read(&resp)) {
    if (!WriteAll(options.out_fd, resp.output().data(), resp.output().size())) {
      out_ok = false;  // stdout closed (e.g. `| head`): detach quietly.
      ctx.TryCancel();
      break;
    }
  }
  char byte = 1;
  (void)!write(wake_write.get(), &byte, 1);
  if (input.joinable()) input.join();
  grpc::Status status = stream->Finish();
  raw.reset();
  if (tty) WriteAll(2, "\n", 1);

  if (detached.load() || !out_ok) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && options.timeout_ms > 0) {
    return absl::OkStatus();
  }
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return absl::OkStatus();
}

}  // namespace vmctl
