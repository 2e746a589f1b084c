# Sourced by the riscv64 shell tests: rv_fixture_dir prints the fixture
# directory (Image, init.cpio) built for the current tools/riscv-fixture
# sources (build.sh --cached-only: the init's modes must match the test), or
# nothing when it is not built. Works in the tree and in Bazel runfiles
# (the test needs //tools/riscv-fixture:fixture_sources as data).
rv_fixture_dir() {
  local script
  script="$(dirname "$0")/../../tools/riscv-fixture/build.sh"
  [ -f "$script" ] || return 0
  "$script" --cached-only 2>/dev/null || true
}
RV_FIRMWARE=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
