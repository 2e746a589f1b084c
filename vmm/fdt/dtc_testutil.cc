#include "vmm/fdt/dtc_testutil.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"

namespace vmm {

bool HaveTool(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

absl::StatusOr<std::string> RunCommand(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return absl::InternalError(absl::StrCat("popen failed: ", command));
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe.get())) > 0) out.append(buf, n);
  int rc = pclose(pipe.release());
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("'", command, "' exited with ", rc, ": ", out));
  }
  return out;
}

absl::StatusOr<std::string> DtbToDts(const std::vector<uint8_t>& dtb, std::string* warnings) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string dir = tmp ? tmp : "/tmp";
  std::string path = absl::StrCat(dir, "/fdt_", getpid(), ".dtb");
  std::string err = path + ".err";
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(dtb.data()), static_cast<std::streamsize>(dtb.size()));
    if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  absl::StatusOr<std::string> dts =
      RunCommand(absl::StrCat("dtc -I dtb -O dts ", path, " 2>", err));
  std::ifstream e(err);
  std::string w((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
  if (warnings) *warnings = w;
  if (!dts.ok()) return absl::InternalError(absl::StrCat(dts.status().message(), " ", w));
  return dts;
}

}  // namespace vmm
