#!/bin/bash
# Benchmark (printed figures, not a test): our virtio-net beside QEMU's
# userspace virtio-net (vhost=off) on the identical tap setup, both VMs
# booted side by side in tools/kvmlab and measured interleaved
# (ours, QEMU, ours, QEMU...) so host load hits both alike. iperf3 3.12 in
# the guest (copied into the initramfs with its libraries):
#   tcp g2h / h2g   MB/s (iperf3 -R / forward, 128 KiB writes)
#   udp64 g2h/h2g   64-byte UDP datagrams per second delivered and loss %
#                   (-u -l 64) at each offered rate of NETBENCH_UDP_BPS (a
#                   list, default "1M 4M 16M" = 1.95k / 7.8k / 31k
#                   datagrams/s; -b 0 would starve iperf3's control
#                   connection)
# beside, per MB moved: KVM exits and injected interrupts of the VM (the
# lab's /sys/kernel/debug/kvm/<pid>-<fd>), and the tap's frames and bytes;
# and from inside each guest (its stats server, net_bench_guest_script.sh):
# interrupts per vector (/proc/interrupts) and virtio-net kicks
# (ethtool -S), so ours and QEMU are counted by the same guest kernel.
# NETBENCH_TESTS picks tests (default: tcp_g2h tcp_h2g udp64_g2h udp64_h2g).
#   tests/net/net_bench_lab.sh [SECONDS] [ROUNDS]     (after bazel build of
#   //api:vmmd //vmm/worker:vmm-worker //tools/vmctl; take the lab lock)
set -u
SECS="${1:-6}"; ROUNDS="${2:-2}"
if [ -z "${NETBENCH_INNER:-}" ]; then
  ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
  R="$ROOT/bazel-bin"
  KERNEL="$(ls /boot/vmlinuz-* | sort -V | tail -1)"
  KVER="${KERNEL##*/vmlinuz-}"
  WORK="$(mktemp -d /tmp/netbench.XXXXXX)"
  BIN="$WORK/bin"; mkdir -p "$BIN"
  for f in api/vmmd vmm/worker/vmm-worker tools/vmctl/vmctl; do
    cp "$(readlink -f "$R/$f")" "$BIN/" || { echo "missing $R/$f: bazel build it"; exit 1; }
  done
  for t in iperf3 ethtool; do
    command -v $t >/dev/null || { echo "needs $t (tools/setup.sh)"; exit 1; }
  done
  "$ROOT/tools/guest-initramfs/build.sh" "$BIN/init.cpio" --then hang \
    --script "$ROOT/tests/net/net_bench_guest_script.sh" --modules virtio_pci,virtio_net \
    --kernel-version "$KVER" --binaries "$(command -v iperf3),$(command -v ethtool)" >"$WORK/mkinitramfs.log" 2>&1 \
    || { cat "$WORK/mkinitramfs.log"; exit 1; }
  cp "$0" "$BIN/net_bench_lab.sh"
  exec "$ROOT/tools/kvmlab/kvmlab" run --if-needed --env NETBENCH_INNER=1 --cpus 2 --mem 2048 \
    ${NETBENCH_UDP_BPS:+--env NETBENCH_UDP_BPS} ${NETBENCH_TESTS:+--env NETBENCH_TESTS} ${NETBENCH_IDLE_POLL:+--env NETBENCH_IDLE_POLL} \
    --timeout 900 --share "$WORK" -- "$BIN/net_bench_lab.sh" "$SECS" "$ROUNDS" "$BIN" "$KERNEL" "$WORK"
fi

# ---- Inside the lab (a network namespace of its own).
if [ -z "${NETBENCH_NETNS:-}" ]; then
  NETBENCH_NETNS=1 exec unshare --net -- "$0" "$@"
fi
BIN="$3"; KERNEL="$4"; WORK="$5"
PY=/usr/bin/python3
ip link set lo up
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
RUN="$(mktemp -d /tmp/nb.XXXXXX)"
SOCK="$RUN/vmmd.sock"
vmctl() { "$BIN/vmctl" --socket "$SOCK" "$@"; }
field() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>/dev/null; }
wait_file() { local end=$((SECONDS + $3)); while [ $SECONDS -le $end ]; do grep -aq "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done; return 1; }
"$BIN/vmmd" --socket="$SOCK" --state-dir="$RUN/state" --worker="$BIN/vmm-worker" 2>"$WORK/vmmd.log" &
DAEMON=$!
QPID=""
trap 'kill $QPID 2>/dev/null; kill -TERM $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null; rm -rf "$RUN"' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
CMDLINE="console=ttyS0 quiet"

# Ours: vmmd creates the tap in this namespace. start_ours NAME CMDLINE
start_ours() {
  local id
  id=$(vmctl --json create "$1" --vcpus 2 --memory-mib 384 --kernel "$KERNEL" \
    --initrd "$BIN/init.cpio" --cmdline "$2" --nic "mac=52:54:00:77:00:02" | field 'd["id"]')
  TAP="vm${id:0:8}n0"
  vmctl start "$1" >/dev/null || { echo "start $1 failed"; exit 1; }
  ip addr add 10.77.0.1/24 dev "$TAP" && ip link set "$TAP" up
  (sleep 900 | vmctl console "$1" --replay --timeout-ms 900000 > "$WORK/$1.console" 2>&1) &
  OPID=$(vmctl --json get "$1" | field 'd["status"]["worker_pid"]')
}
start_ours nb "$CMDLINE"

# QEMU: the same guest on a tap of the same setup, in a namespace of its own.
unshare --net -- sh -c "ip link set lo up; ip tuntap add qtap0 mode tap && \
  ip addr add 10.77.0.1/24 dev qtap0 && ip link set qtap0 up && \
  exec qemu-system-x86_64 -enable-kvm -cpu host -smp 2 -m 384 -nodefaults -no-user-config \
  -nographic -serial file:$WORK/qemu.console -kernel $KERNEL -initrd $BIN/init.cpio \
  -append '$CMDLINE' -netdev tap,id=n0,ifname=qtap0,script=no,downscript=no,vhost=off \
  -device virtio-net-pci,netdev=n0,mac=52:54:00:77:00:02" &
QPID=$!
# A guest that died (issue 3's lab triple fault) says so in its status.
ours_status() { vmctl --json get "$1" | field 'd["status"]["state"] + ": " + d["status"].get("message", "")'; }
wait_file "$WORK/nb.console" BENCH-READY 300 ||
  { echo "ours not ready ($(ours_status nb | cut -c1-600)): $(tail -c 800 "$WORK/nb.console")"; exit 1; }
wait_file "$WORK/qemu.console" BENCH-READY 300 || { echo "qemu not ready: $(tail -c 800 "$WORK/qemu.console")"; exit 1; }
echo "both guests ready (ours worker pid $OPID, qemu pid $QPID)"
# in_ns WHO CMD...: runs CMD in the network namespace of WHO's tap.
in_ns() { local w=$1; shift; if [ "$w" = ours ]; then "$@"; else nsenter -t "$QPID" -n -- "$@"; fi; }
tapdev() { [ "$1" = ours ] && echo "$TAP" || echo qtap0; }
kvmdir() { ls -d /sys/kernel/debug/kvm/"$1"-* 2>/dev/null | head -1; }
# snap WHO: "exits irq_injections tap_rx_pkts tap_rx_bytes tap_tx_pkts
# tap_tx_bytes io_exits mmio_exits halt_exits cpu_ticks" (cpu_ticks: the
# VMM process's user+system time in the lab, vCPU threads included).
snap() {
  local pid d; [ "$1" = ours ] && pid=$OPID || pid=$QPID
  d=$(kvmdir "$pid")
  local k; k() { cat "$d/$1" 2>/dev/null || echo 0; }
  local cpu; cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
  # /proc/.../net/dev: the tap of that namespace (no Python here: each
  # interpreter start costs seconds in the lab). Ours: this script's own
  # namespace (the worker is not dumpable, its /proc/PID/net is hidden).
  local nd=/proc/self/net/dev; [ "$1" = ours ] || nd=/proc/$QPID/net/dev
  echo "$(k exits) $(k irq_injections)" \
    "$(awk -v t="$(tapdev "$1"):" '$1 == t {print $3, $2, $11, $10}' "$nd")" \
    "$(k io_exits) $(k mmio_exits) $(k halt_exits) $cpu"
}
# gsnap WHO FILE: the guest's /proc/interrupts and ethtool -S into FILE.
gsnap() {
  in_ns "$1" timeout 20 bash -c 'cat </dev/tcp/10.77.0.2/5001' >"$2" 2>&1
}
# run WHO TEST: prints "value unit" and the per-MB figures. TEST is
# tcp_g2h, tcp_h2g, udp64_g2h@RATE or udp64_h2g@RATE.
run() {
  local who=$1 t=$2 a b j args rate=${2#*@}
  case ${t%@*} in
    tcp_g2h) args="-R" ;; tcp_h2g) args="" ;;
    # A bounded offered rate: with -b 0 the guest's sender starves iperf3's
    # own control connection and the test never ends (seen in the lab).
    udp64_g2h) args="-R -u -l 64 -b $rate" ;;
    udp64_h2g) args="-u -l 64 -b $rate" ;;
  esac
  # A VM that died (e.g. issue 3's triple fault) ends the run: its figures
  # would be iperf3 connect errors.
  if ! kill -0 "$([ "$who" = ours ] && echo "$OPID" || echo "$QPID")" 2>/dev/null; then
    echo "$who VM is gone: $(grep -a -o 'state=CRASHED.*' "$WORK/vmmd.log" | head -1 | cut -c1-300)" >&2
    exit 1
  fi
  gsnap "$who" "$WORK/gstats.a"
  a=$(snap "$who")
  echo "run $who $t" >&2
  j=$(in_ns "$who" timeout -k 5 $((SECS + 30)) iperf3 -c 10.77.0.2 --connect-timeout 10000 \
    -t "$SECS" -J $args 2>&1 | tee "$WORK/iperf3.$who.$t.json")
  b=$(snap "$who")
  gsnap "$who" "$WORK/gstats.b"
  J="$j" "$PY" - "${t%@*}" "$a" "$b" "$WORK/gstats.a" "$WORK/gstats.b" <<'PY'
import json, os, re, sys
t, a, b = sys.argv[1], [int(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
def gstats(path):
    """{name: count}: /proc/interrupts rows (summed over CPUs; numbered IRQs
    by their device name) and ethtool -S kick counters."""
    out, eth = {}, False
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return out
    ncpu = len(lines[0].split()) if lines else 0
    for line in lines[1:]:
        if line.startswith("ETHTOOL"):
            eth = True
            continue
        f = line.split()
        if eth:
            if len(f) == 2 and f[0].endswith("kicks:"):
                out[f[0][:-1].replace("_queue_", "")] = int(f[1])
            continue
        if len(f) < 2 or not f[0].endswith(":"):
            continue
        counts = [int(x) for x in f[1:1 + ncpu] if x.isdigit()]
        key = f[0][:-1]
        if key.isdigit():
            key = f[-1]
        out[key] = out.get(key, 0) + sum(counts)
    return out
try:
    j = json.loads(os.environ["J"])
    e = j["end"]
    assert len(a) == len(b) == 10
except Exception:
    print("0 error (see the iperf3 output kept beside the consoles)"); sys.exit()
d = [y - x for x, y in zip(a, b)]
g2h = t.endswith("g2h")
pk, by = (d[2], d[3]) if g2h else (d[4], d[5])   # tap rx = from the guest
mb = max(by, 1) / 1e6
extra = ""
if t.startswith("tcp"):
    v, unit = e["sum_received"]["bits_per_second"] / 8e6, "MB/s"
else:
    r, s = e["sum_received"], e["sum_sent"]
    v, unit = (r["packets"] - r["lost_packets"]) / r["seconds"], "pps"
    extra = " sent=%.0fpps loss=%.1f%%" % (s["packets"] / max(s["seconds"], 1e-9),
                                          100.0 * r["lost_packets"] / max(r["packets"], 1))
ga, gb = gstats(sys.argv[4]), gstats(sys.argv[5])
gd = {k: gb[k] - ga.get(k, 0) for k in gb if gb[k] - ga.get(k, 0) > 0}
guest = " ".join("%s=%.1f" % (k, gd[k] / mb) for k in sorted(gd)) or "(no guest stats)"
print("%.2f %s%s exits/MB=%.0f irqs/MB=%.0f frames/MB=%.0f frame=%.0fB io/MB=%.0f mmio/MB=%.0f halt/MB=%.0f cpu_ms/MB=%.0f\n      guest per MB: %s" % (
    v, unit, extra, d[0] / mb, d[1] / mb, pk / mb, by / max(pk, 1), d[6] / mb, d[7] / mb, d[8] / mb, d[9] * 10 / mb, guest))
PY
}
# Idle cost of each VM (both guests idle): exits/s and the VMM's CPU.
ia=$(snap ours); iq=$(snap qemu); sleep 5; ib=$(snap ours); iqb=$(snap qemu)
"$PY" -c "
for who, a, b in (('ours', '$ia', '$ib'), ('qemu', '$iq', '$iqb')):
    d = [int(y) - int(x) for x, y in zip(a.split(), b.split())]
    print('idle %s: exits/s=%.0f irqs/s=%.0f io/s=%.0f mmio/s=%.0f halt/s=%.0f cpu=%.0f%%' % (who, d[0] / 5, d[1] / 5, d[6] / 5, d[7] / 5, d[8] / 5, d[9] * 10 / 5 / 10))"
TESTS=""
for t in ${NETBENCH_TESTS:-tcp_g2h tcp_h2g udp64_g2h udp64_h2g}; do
  case $t in
    udp*) for r in ${NETBENCH_UDP_BPS:-1M 4M 16M}; do TESTS="$TESTS $t@$r"; done ;;
    *) TESTS="$TESTS $t" ;;
  esac
done
declare -A RES
phase() {  # phase LABEL: every test, ours (as LABEL) then QEMU, ROUNDS times
  local r t who o
  for r in $(seq "$ROUNDS"); do
    for t in $TESTS; do
      for who in ours qemu; do
        o=$(run "$who" "$t") || exit 1
        echo "round $r $t $([ $who = ours ] && echo "$1" || echo qemu): $o  (load $(cut -d' ' -f1-3 /proc/loadavg))"
        RES[$t.$who.$1]="${RES[$t.$who.$1]:-} ${o%% *}"
      done
    done
  done
  echo "== summary $1 vs QEMU ($ROUNDS rounds of $SECS s, interleaved; lab load $(cut -d' ' -f1-3 /proc/loadavg))"
  for t in $TESTS; do
    "$PY" -c "
import statistics as st
o=[float(x) for x in '${RES[$t.ours.$1]}'.split()]; q=[float(x) for x in '${RES[$t.qemu.$1]}'.split()]
mo, mq = st.mean(o), st.mean(q)
print('%-10s $1 %8.2f  QEMU %8.2f  ratio %.2f   ($1 %s; QEMU %s)' % ('$t', mo, mq, mo / max(mq, 1e-9), o, q))"
  done
}
for f in nb qemu; do
  echo "$f guest: $(grep -a -E '^(cpuidle|cmdline|clocksource)=' "$WORK/$f.console" | tr -d '\r' | tr '\n' ' ')"
done
phase ours
# NETBENCH_IDLE_POLL=1: the same with our guest polling when idle
# (idle=poll), to tell a halted vCPU's wakeup cost from the device's.
if [ -n "${NETBENCH_IDLE_POLL:-}" ]; then
  vmctl stop nb --force >/dev/null 2>&1
  start_ours nbp "$CMDLINE idle=poll"
  wait_file "$WORK/nbp.console" BENCH-READY 300 || { echo "nbp not ready"; exit 1; }
  echo "nbp guest: $(grep -a -E '^(cpuidle|cmdline)=' "$WORK/nbp.console" | tr -d '\r' | tr '\n' ' ')"
  phase ours_idle_poll
fi
