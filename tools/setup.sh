#!/usr/bin/env bash
# Installs every Debian 12 package the build and the test suite need.
#
#   tools/setup.sh            everything (build + tests + real-KVM lab)
#   tools/setup.sh --build    only what `bazel build` needs
#   tools/setup.sh --test     build + test run-time tools, without the lab
#   tools/setup.sh --lab      only tools/kvmlab's QEMU, kernel, busybox
#   tools/setup.sh --fixture  what tools/riscv-fixture needs to build a kernel
#   tools/setup.sh --dev      everything plus the fixture, clang-format, clang-tidy
#   tools/setup.sh --list     print the selected packages and exit
#
# Idempotent and non-interactive: packages already installed are skipped,
# `apt-get update` runs only when something is missing, and the script prints
# what it installed. Must run as root (or with sudo available).
set -euo pipefail

# Bazel 4.2.3 (offline) and the C++ toolchain and system libraries that
# WORKSPACE reads through pkg-config; protoc + grpc_cpp_plugin for codegen.
BUILD_PKGS=(
  bazel-bootstrap bazel-platforms bazel-rules-java
  g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libgtest-dev libgmock-dev
  liburing-dev libseccomp-dev
)
# What tests use at run time: TLS certificates (openssl), tap devices and
# network namespaces (iproute2), riscv64 guest payloads (cross toolchain),
# the lab runner and scripts (python3, bc), the libFuzzer target
# (clang-14 + its runtime), the block benchmark's baseline (fio) and vsock
# capture decoding (tshark), and the riscv64 reference checks: dtc for the
# generated device trees, QEMU's virt machine and OpenSBI firmware; iperf3
# and ethtool for the virtio-net benchmark (host and, copied in, the lab
# guest).
TEST_PKGS=(
  openssl iproute2 python3 bc
  gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu libc6-dev-riscv64-cross
  clang-14 libclang-rt-14-dev
  fio tshark qemu-user e2fsprogs
  device-tree-compiler qemu-system-misc opensbi
  iperf3 ethtool
)
# tools/kvmlab: QEMU (TCG with emulated SVM), Debian's stock kernel and its
# modules (kvm_amd, 9p, virtio), and a static busybox + cpio for the lab's
# initramfs and for guest initramfs fixtures (tools/guest-initramfs).
LAB_PKGS=(
  qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils zstd
)
# tools/riscv-fixture/build.sh: the riscv64 Linux kernel built from source.
FIXTURE_PKGS=(linux-source-6.1 flex bison bc make)
DEV_PKGS=(clang clang-format clang-tidy)

groups=()
list_only=0
for arg in "$@"; do
  case "$arg" in
    --build) groups+=(build) ;;
    --test) groups+=(build test) ;;
    --lab) groups+=(lab) ;;
    --fixture) groups+=(fixture) ;;
    --dev) groups+=(build test lab fixture dev) ;;
    --all) groups+=(build test lab) ;;
    --list) list_only=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#groups[@]} -gt 0 ] || groups=(build test lab)

wanted=()
for g in "${groups[@]}"; do
  case "$g" in
    build) wanted+=("${BUILD_PKGS[@]}") ;;
    test) wanted+=("${TEST_PKGS[@]}") ;;
    lab) wanted+=("${LAB_PKGS[@]}") ;;
    fixture) wanted+=("${FIXTURE_PKGS[@]}") ;;
    dev) wanted+=("${DEV_PKGS[@]}") ;;
  esac
done
# De-duplicate, keep order.
mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | awk '!seen[$0]++')

if [ "$list_only" = 1 ]; then
  printf '%s\n' "${wanted[@]}"
  exit 0
fi

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${wanted[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#wanted[@]} packages already installed"
  exit 0
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || {
    echo "setup.sh: not root and no sudo; install: ${missing[*]}" >&2
    exit 1
  }
  SUDO=(sudo)
fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt run (e.g. unattended-upgrades) may hold the lock: wait for it.
APT_OPTS=(-o DPkg::Lock::Timeout=600 -y --no-install-recommends)
"${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${SUDO[@]}" apt-get install "${APT_OPTS[@]}" "${missing[@]}"

still=()
for p in "${missing[@]}"; do
  installed "$p" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "setup.sh: failed to install: ${still[*]}" >&2
  exit 1
fi
echo "setup.sh: installed ${missing[*]}"
