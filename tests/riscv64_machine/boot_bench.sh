#!/bin/bash
# riscv64 guest benchmark (printed figures, not a timed test): the fixture
# kernel + init (tools/riscv-fixture), Debian's OpenSBI fw_dynamic, the same
# memory and vCPUs and command line, under our VMM
# (//tests/riscv64_machine:boot_riscv: the BuildMachine() the worker runs,
# TCG) and under `qemu-system-riscv64 -M virt` (TCG, MTTCG), interleaved,
# RUNS times per vCPU count N. Each run boots the init in compute mode
# (tools/riscv-fixture/init/compute.c: MIB MiB of a seeded pattern, sha256 +
# heap sort + sha256, split over N threads pinned to the N vCPUs) and
# measures with guest_timeline.py:
#   boot     host wall time from exec to the init marker on the console;
#   compute  the guest's own CLOCK_MONOTONIC time of the threaded work, and
#            the host's (VMM-COMPUTE-START to VMM-COMPUTE on the console);
#   scaling  compute time at N=1 / at N (same total work);
#   peak RSS of the VMM process.
# Both VMMs' digests must equal tools/riscv-fixture/init_ref.py's (hashlib)
# for the run to count. Prints medians, ours/QEMU ratios and the load.
#   bazel build //tests/riscv64_machine:boot_riscv &&
#   tests/riscv64_machine/boot_bench.sh [RUNS] [VCPU_COUNTS...]
# Env: MIB (guest RAM, default 256), WORK_MIB (compute data, default 8).
set -eu
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-3}"; shift || true
COUNTS="${*:-1 2 4}"
MIB="${MIB:-256}"
WORK_MIB="${WORK_MIB:-8}"
SEED=12345
FIX="$("$ROOT/tools/riscv-fixture/build.sh" --cached-only)" || {
  echo "boot_bench.sh: no fixture for the current sources; run tools/riscv-fixture/build.sh" >&2; exit 1; }
FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
BOOT="$(readlink -f "$ROOT/bazel-bin/tests/riscv64_machine/boot_riscv")"
TL="$ROOT/tests/riscv64_machine/guest_timeline.py"
echo "host: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); fixture $FIX; $(qemu-system-riscv64 --version | head -1)"
RESULTS="$(mktemp /tmp/rv_bench.XXXXXX)"
trap 'rm -f "$RESULTS" "$RESULTS.q"' EXIT
for n in $COUNTS; do
  CMDLINE="console=ttyS0 earlycon=sbi vmmtest=compute vmmthreads=$n vmmmib=$WORK_MIB vmmseed=$SEED"
  ref=$(python3 "$ROOT/tools/riscv-fixture/init_ref.py" compute-digest $SEED "$WORK_MIB" "$n")
  for i in $(seq "$RUNS"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    o=$(python3 "$TL" --timeout 600 -- "$BOOT" --kernel "$FIX/Image" --initrd "$FIX/init.cpio" \
        --vcpus "$n" --mem-mib "$MIB" --cmdline "$CMDLINE" --timeout 590 || true)
    q=$(python3 "$TL" --timeout 600 -- qemu-system-riscv64 -M virt -smp "$n" -m "$MIB" \
        -nodefaults -display none -no-reboot -serial stdio -bios "$FW" -kernel "$FIX/Image" \
        -initrd "$FIX/init.cpio" -append "$CMDLINE" || true)
    echo "$n $i $load $ref $o" >> "$RESULTS"
    echo "$n $i $load $ref $q" | sed 's/^/qemu /' >> "$RESULTS.q"
    python3 - "$n" "$i" "$load" "$ref" "$o" "$q" <<'PY'
import json, sys
n, i, load, ref = sys.argv[1:5]
for who, j in (("ours", sys.argv[5]), ("qemu", sys.argv[6])):
  try:
    d = json.loads(j)
  except ValueError:
    print(f"  vcpus={n} run {i} {who}: no result"); continue
  ok = "ok" if d.get("digest") == ref and d.get("sorted_ok") == "1" else "DIGEST MISMATCH"
  host = (d["compute_done_ms"] - d["compute_start_ms"]) if d.get("compute_done_ms") else None
  print(f"  vcpus={n} run {i} {who}: boot {d['marker_ms']} ms, compute guest {d.get('guest_ms')} ms "
        f"host {host} ms, nproc {d.get('nproc')}, rss {d['peak_rss_kib']} KiB, digest {ok} (load {load})")
PY
  done
done
python3 - "$RESULTS" "$RESULTS.q" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, statistics, sys
rows = {}
for path, who in ((sys.argv[1], "ours"), (sys.argv[2], "qemu")):
  for line in open(path):
    f = line.split(" ", 5 if who == "qemu" else 4)
    if who == "qemu":
      f = f[1:]
    n, ref, j = int(f[0]), f[3], f[4]
    try:
      d = json.loads(j)
    except ValueError:
      continue
    if d.get("digest") != ref or d.get("sorted_ok") != "1":
      continue  # A wrong answer is not a time.
    r = rows.setdefault((who, n), {"boot": [], "guest": [], "host": [], "rss": []})
    r["boot"].append(d["marker_ms"] / 1000)
    r["guest"].append(float(d["guest_ms"]) / 1000)
    r["host"].append((d["compute_done_ms"] - d["compute_start_ms"]) / 1000)
    r["rss"].append(d["peak_rss_kib"] / 1024)
med = lambda who, n, k: statistics.median(rows[(who, n)][k]) if (who, n) in rows else float("nan")
ns = sorted({n for _, n in rows})
print(f"\nmedians (load at end {sys.argv[3]}); compute = guest-timed (host-timed)")
print("| vCPUs | boot ours | boot QEMU | ratio | compute ours | compute QEMU | ratio | scaling ours | scaling QEMU | RSS ours | RSS QEMU |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for n in ns:
  row = [f"{n}"]
  bo, bq = med("ours", n, "boot"), med("qemu", n, "boot")
  go, gq = med("ours", n, "guest"), med("qemu", n, "guest")
  ho, hq = med("ours", n, "host"), med("qemu", n, "host")
  so = med("ours", ns[0], "guest") / go if ns[0] == 1 else float("nan")
  sq = med("qemu", ns[0], "guest") / gq if ns[0] == 1 else float("nan")
  row += [f"{bo:.1f} s", f"{bq:.1f} s", f"{bo / bq:.2f}", f"{go:.2f} s ({ho:.2f})", f"{gq:.2f} s ({hq:.2f})",
          f"{go / gq:.2f}", f"{so:.2f}x", f"{sq:.2f}x",
          f"{med('ours', n, 'rss'):.0f} MiB", f"{med('qemu', n, 'rss'):.0f} MiB"]
  print("| " + " | ".join(row) + " |")
PY
rm -f "$RESULTS.q"
