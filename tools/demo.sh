#!/usr/bin/env bash
# The main job: builds everything, starts vmmd on a private socket and state
# dir, boots a demo VM through the API and shows its serial console.
#
#   tools/demo.sh            # x86_64 payload VM on KVM, 2 vCPUs
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
bazel build //api:vmmd //vmm/worker:vmm-worker //tools/vmctl:vmctl //tests/guests:smp //tests/guests:hello //tests/guests:ticker

bin=$(bazel info bazel-bin 2>/dev/null)
work=$(mktemp -d /tmp/vmmd-demo.XXXXXX)
sock="$work/vmmd.sock"
vmctl() { "$bin/tools/vmctl/vmctl" --socket "$sock" "$@"; }

"$bin/api/vmmd" --socket="$sock" --state-dir="$work/state" \
  --worker="$bin/vmm/worker/vmm-worker" 2>"$work/vmmd.log" &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null; echo "daemon log: $work/vmmd.log"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done

echo "== creating and starting a 2-vCPU demo VM through the API"
vmctl create --name demo --arch x86_64 --vcpus 2 --memory-mib 64 \
  --payload "$bin/tests/guests/smp.bin"
vmctl start demo
for _ in $(seq 300); do
  state=$(vmctl get demo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["state"])')
  [ "$state" = SHUTOFF ] || [ "$state" = CRASHED ] && break
  sleep 0.1
done
# The smp payload is done within milliseconds of booting, before a console
# could attach; the daemon keeps every VM's console in its state dir.
id=$(vmctl get demo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "== serial console of 'demo' ($work/state/vms/$id/console.log):"
cat "$work/state/vms/$id/console.log"
echo "== the VM after the guest powered off:"
vmctl list

echo "== a long-running VM, its console streamed live through the API for 3 s:"
vmctl create --name ticker --vcpus 1 --memory-mib 16 \
  --payload "$bin/tests/guests/ticker.bin" >/dev/null
vmctl start ticker >/dev/null
vmctl console ticker --replay --timeout-ms 3000 </dev/null
echo "== graceful stop (the guest powers off on request):"
vmctl stop ticker --timeout-ms 5000
