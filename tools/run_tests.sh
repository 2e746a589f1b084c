#!/usr/bin/env bash
# Installs what the tests need (idempotent), then runs the whole suite twice:
# the normal optimized build and the ASan+UBSan build. Ends with one line
# "N passed, N failed, N skipped" counted from the test cases' XML results.
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

tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

# Exactly what `bazel test //...` runs: manual tests are left out.
targets=$(bazel query 'tests(//...) except attr(tags, manual, //...)' 2>/dev/null) || {
  echo "bazel query failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 skipped=0 rc=0
run_pass() {
  local label=$1; shift
  echo "=== $label: bazel test $* //..."
  # Test results are never taken from the cache: every test runs.
  bazel test "$@" --keep_going --nocache_test_results //... || rc=1
  local counts
  counts=$(echo "$targets" | python3 tools/count_test_results.py "$label" bazel-testlogs)
  read -r p f s <<<"$counts"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

run_pass "opt"
if [ "$asan" = 1 ]; then
  run_pass "asan+ubsan" --config=asan
fi

# A bazel failure with no failed test case (e.g. a build error) still fails.
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" = 0 ]
