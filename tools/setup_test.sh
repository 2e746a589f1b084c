#!/bin/bash
# tools/setup.sh: lists every package the build, tests and lab need, refuses
# unknown options, and on a machine it already set up changes nothing (no
# apt-get at all: it reports that everything is installed).
set -u
SETUP="$(dirname "$(readlink -f "$0")")/setup.sh"
[ -x "$SETUP" ] || SETUP="${TEST_SRCDIR:-.}/vmm/tools/setup.sh"
failures=0
list=$("$SETUP" --list)
for p in bazel-bootstrap bazel-platforms bazel-rules-java g++ pkg-config \
         libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
         libabsl-dev libgtest-dev libgmock-dev liburing-dev libseccomp-dev \
         openssl qemu-system-x86 linux-image-amd64 busybox-static cpio python3; do
  echo "$list" | grep -qx -- "$p" || { echo "FAIL: --list lacks $p"; failures=$((failures + 1)); }
done
[ "$(echo "$list" | sort | uniq -d)" = "" ] || { echo "FAIL: duplicates in --list"; failures=$((failures + 1)); }
"$SETUP" --build --list | grep -qx qemu-system-x86 && { echo "FAIL: --build lists lab packages"; failures=$((failures + 1)); }
"$SETUP" --frobnicate >/dev/null 2>&1; [ $? = 2 ] || { echo "FAIL: unknown option not exit 2"; failures=$((failures + 1)); }
# Idempotence: this machine ran setup.sh (the suite needs it), so a second
# run must find everything and touch nothing. A fake apt-get on PATH proves
# it is never called.
fake="$(mktemp -d)"
printf '#!/bin/sh\necho "apt-get called: $*" >&2\nexit 99\n' > "$fake/apt-get"
chmod +x "$fake/apt-get"
out=$(PATH="$fake:$PATH" "$SETUP" 2>&1); rc=$?
rm -rf "$fake"
[ $rc = 0 ] && [[ "$out" == *"already installed"* ]] \
  || { echo "FAIL: second run: rc=$rc $out"; failures=$((failures + 1)); }
# The install path, with fake dpkg-query/apt-get: only the missing package
# is installed, after one `apt-get update`, and the run reports it.
fake="$(mktemp -d)"
cat > "$fake/dpkg-query" <<FAKE
#!/bin/sh
pkg="\$3"
if [ "\$pkg" = cpio ] && [ ! -e "$fake/cpio-installed" ]; then exit 1; fi
printf installed
FAKE
cat > "$fake/apt-get" <<FAKE
#!/bin/sh
echo "\$*" >> "$fake/apt.log"
case "\$*" in *install*cpio*) touch "$fake/cpio-installed" ;; esac
exit 0
FAKE
chmod +x "$fake/dpkg-query" "$fake/apt-get"
out=$(PATH="$fake:$PATH" "$SETUP" 2>&1); rc=$?
log=$(cat "$fake/apt.log" 2>/dev/null)
[ $rc = 0 ] && [[ "$out" == *"installed cpio"* ]] \
  && [ "$(grep -c update <<<"$log")" = 1 ] \
  && grep -q -- "install .*--no-install-recommends cpio$" <<<"$log" \
  || { echo "FAIL: install path: rc=$rc out=$out apt=$log"; failures=$((failures + 1)); }
rm -rf "$fake"
[ "$failures" = 0 ] && echo PASS || exit 1
