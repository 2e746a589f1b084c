// Runs a bare-metal riscv64 ELF on the test machine and reports the
// outcome, UART output and speed. For debugging tests and for rough
// benchmarks (guest instructions per second per backend).
//
//   run_elf [--backend=x86|interp] [--harts=N] [--no-opt] [--no-chain] image.elf

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "tcg/interp/interpreter.h"
#include "tcg/riscv64/testing/bare_metal_machine.h"
#include "tcg/x86_64/backend.h"

int main(int argc, char** argv) {
  std::string backend_name = "x86";
  std::string path;
  bool chaining = true;
  tcg::riscv64::testing::BareMetalMachine::Options options;
  options.max_blocks = 2'000'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--backend=", 10) == 0) {
      backend_name = argv[i] + 10;
    } else if (std::strncmp(argv[i], "--harts=", 8) == 0) {
      options.harts = std::atoi(argv[i] + 8);
    } else if (std::strcmp(argv[i], "--no-chain") == 0) {
      chaining = false;
    } else if (std::strcmp(argv[i], "--no-opt") == 0) {
      options.translate.optimize = false;
    } else {
      path = argv[i];
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: %s [--backend=x86|interp] [--harts=N] [--no-opt] [--no-chain] image.elf\n",
                 argv[0]);
    return 2;
  }
  std::unique_ptr<tcg::Backend> backend;
  if (backend_name == "interp") {
    backend = std::make_unique<tcg::Interpreter>();
  } else if (backend_name == "x86") {
    backend = std::make_unique<tcg::x86_64::X86Backend>(tcg::riscv64::kPcOffset, chaining);
  } else {
    std::fprintf(stderr, "backend=%s: want x86 or interp\n", backend_name.c_str());
    return 2;
  }
  tcg::riscv64::testing::BareMetalMachine machine(options, backend.get());
  absl::Status loaded = machine.LoadElfFile(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.ToString().c_str());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  auto result = machine.Run();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
    return 2;
  }
  std::fwrite(result->uart.data(), 1, result->uart.size(), stdout);
  const tcg::TbCache::Stats stats = machine.tb_cache().stats();
  std::fprintf(stderr,
               "result=%s code=%u insns=%lu time=%.3fs mips=%.1f blocks_translated=%lu "
               "invalidations=%lu flushes=%lu\n",
               !result->finished ? "unfinished" : result->passed ? "pass" : "fail",
               result->fail_code, static_cast<unsigned long>(result->insns), secs,
               result->insns / secs / 1e6, static_cast<unsigned long>(stats.inserts),
               static_cast<unsigned long>(stats.page_invalidations),
               static_cast<unsigned long>(stats.flushes));
  return result->finished && result->passed ? 0 : 1;
}
