// vmctl: command-line client of vmmd's vmm.v1.VmService. See Usage().

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/vmctl/args.h"
#include "tools/vmctl/client.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<vmctl::Invocation> inv = vmctl::ParseArgs(args);
  if (!inv.ok()) {
    std::cerr << "vmctl: " << inv.status().message() << "\n\n" << vmctl::Usage();
    return 2;
  }
  if (inv->help) {
    std::cout << vmctl::Usage();
    return 0;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = vmctl::MakeChannel(inv->conn);
  absl::Status status = channel.status();
  if (status.ok()) {
    std::unique_ptr<vmm::v1::VmService::Stub> stub = vmm::v1::VmService::NewStub(*channel);
    vmctl::Client client(*stub, std::cout);
    status = client.Run(*inv);
  }
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << "vmctl: " << absl::StatusCodeToString(status.code()) << ": " << status.message()
              << "\n";
    return 1;
  }
  return 0;
}
