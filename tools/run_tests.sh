#!/usr/bin/env bash
# Installs what the tests need (idempotent), then runs the whole suite twice:
# the normal optimized build and the ASan+UBSan build. Ends with one line
# "N passed, N failed" counted from the test cases' XML results (skipped
# cases, if any, are reported on the line before).
#
#   tools/run_tests.sh            # everything
#   tools/run_tests.sh --no-asan  # skip the sanitizer pass (quicker locally)
set -uo pipefail
cd "$(dirname "$0")/.."

asan=1
for arg in "$@"; do
  case "$arg" in
    --no-asan) asan=0 ;;
    *) echo "usage: $0 [--no-asan]" >&2; exit 2 ;;
  esac
done

tools/setup.sh --all --fixture || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 skipped=0 rc=0
# The riscv64 Linux tests boot a kernel built from Debian's linux-source
# (tools/riscv-fixture), cached under /var/tmp by its config: instant when
# cached, minutes on a fresh machine. Without it those tests would skip, so a
# failed build counts as a failure.
echo "=== riscv64 fixture: tools/riscv-fixture/build.sh"
if ! tools/riscv-fixture/build.sh >/tmp/riscv-fixture-build.log 2>&1; then
  tail -30 /tmp/riscv-fixture-build.log
  echo "riscv64 fixture build failed (log above)"
  failed=$((failed + 1))
fi
# run_pass LABEL EXCLUDED_TAGS [BAZEL_FLAGS...]: runs the tests of //... that
# carry none of the comma-separated tags (manual ones never run), then counts
# exactly those targets' test cases.
run_pass() {
  local label=$1 excluded=$2; shift 2
  local query='tests(//...) except attr(tags, manual, //...)' tag
  local filter="-manual"
  for tag in ${excluded//,/ }; do
    query="$query except attr(tags, $tag, //...)"
    filter="$filter,-$tag"
  done
  local targets
  targets=$(bazel query "$query" 2>/dev/null) || {
    echo "bazel query failed"; rc=1; failed=$((failed + 1)); return; }
  echo "=== $label: bazel test $* --test_tag_filters=$filter //..."
  # Test results are never taken from the cache: every test runs.
  bazel test "$@" --keep_going --nocache_test_results --test_tag_filters="$filter" //... || rc=1
  local counts p f s
  counts=$(echo "$targets" | python3 tools/count_test_results.py "$label" bazel-testlogs)
  read -r p f s <<<"$counts"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# The lab tests boot Linux under a KVM that QEMU's TCG emulates, and that
# lab sometimes breaks a nested guest, ours or QEMU's alike
# (tests/linux/README.md, "Lab load"): up to 5 attempts each instead of 3.
run_pass "opt" "" '--flaky_test_attempts=.*_lab_test$@5'
if [ "$asan" = 1 ]; then
  # The lab tests boot nested Linux under emulation (minutes each) and the
  # fuzz test brings its own sanitizers: the opt pass already ran them.
  run_pass "asan+ubsan" "lab,fuzz" --config=asan
fi

# A bazel failure with no failed test case (e.g. a build error) still fails.
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "${skipped} skipped"
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
