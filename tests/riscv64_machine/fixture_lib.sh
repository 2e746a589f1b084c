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

# rv_fixture_or_skip VMM_BINARY: sets FIX to the fixture directory, or ends
# the test as skipped (exit 0) when the fixture or OpenSBI is missing, or
# when VMM_BINARY (one of this build's) is sanitizer-instrumented: a Linux
# boot under ASan outruns the test budget; the opt pass runs it.
rv_fixture_or_skip() {
  FIX="$(rv_fixture_dir)"
  if [ -z "$FIX" ] || [ ! -f "$RV_FIRMWARE" ]; then
    echo "skipped: riscv64 fixture (tools/riscv-fixture/build.sh) or opensbi missing"
    exit 0
  fi
  if grep -aq __asan_init "$1"; then
    echo "skipped: sanitizer build (a Linux boot under ASan outruns the budget)"
    exit 0
  fi
}
