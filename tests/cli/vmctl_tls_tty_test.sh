#!/bin/bash
# vmctl over TCP + mutual TLS against a real vmmd (works with a client
# certificate, refused without one or with one from another CA), and the
# interactive console on a pseudo-terminal (raw mode, Ctrl-] detaches, the
# terminal settings are restored).
set -u
R="${TEST_SRCDIR:-}/vmm"
if [ ! -d "$R/api" ]; then R="$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin"; fi
VMMD="$R/api/vmmd"
WORKER="$R/vmm/worker/vmm-worker"
VMCTL="$R/tools/vmctl/vmctl"
TICKER="$(readlink -f "$R/tests/guests/ticker.bin")"
PTY_HELPER="$(dirname "$(readlink -f "$0")")/console_pty.py"
[ -f "$PTY_HELPER" ] || PTY_HELPER="$R/tests/cli/console_pty.py"
WORK="$(mktemp -d /tmp/vmctl_tls.XXXXXX)"
SOCK="$WORK/vmmd.sock"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# --- Certificates: a CA, a server cert for localhost, a client cert, and a
# client cert from an unrelated CA.
cd "$WORK"
mkcert() {  # mkcert NAME CA_PREFIX SUBJECT [SAN]
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$3" \
    -out "$1.csr" 2>/dev/null
  if [ -n "${4:-}" ]; then printf 'subjectAltName=%s\n' "$4" > "$1.ext"; else : > "$1.ext"; fi
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
    -days 2 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
for ca in ca otherca; do
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca.key" -out "$ca.crt" \
    -subj "/CN=$ca" -days 2 2>/dev/null
done
mkcert server ca localhost "DNS:localhost,IP:127.0.0.1"
mkcert client ca vmctl-test
mkcert rogue otherca rogue
[ -s server.crt ] && [ -s client.crt ] && [ -s rogue.crt ] || { echo "FAIL: openssl"; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$VMMD" --socket="$SOCK" --state-dir="$WORK/state" --worker="$WORKER" \
  --listen-tcp="127.0.0.1:$PORT" --tls-cert=server.crt --tls-key=server.key \
  --tls-client-ca=ca.crt 2>"$WORK/vmmd.log" &
DAEMON=$!
trap 'kill -TERM $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "FAIL: vmmd did not start"; cat "$WORK/vmmd.log"; exit 1; }

# 127.0.0.1, not localhost: Debian's gRPC 1.51 c-ares resolver leaks 10 bytes
# per name lookup, which LeakSanitizer reports in the --config=asan run. The
# server certificate carries both names, so either verifies.
tls() { "$VMCTL" --server "127.0.0.1:$PORT" --tls-ca ca.crt "$@"; }
out=$(tls --tls-cert client.crt --tls-key client.key list 2>&1); rc=$?
[ $rc = 0 ] && [[ "$out" == NAME* ]] && pass "mTLS list works" || fail "mTLS: rc=$rc $out"
err=$(tls list 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [[ "$err" == "vmctl: UNAVAILABLE: "* ]] \
  && pass "no client certificate refused: $err" || fail "no client cert: rc=$rc $err"
err=$(tls --tls-cert rogue.crt --tls-key rogue.key list 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && pass "foreign client certificate refused" || fail "rogue cert: rc=$rc $err"
err=$("$VMCTL" --server "127.0.0.1:$PORT" --tls-ca otherca.crt --tls-cert client.crt \
  --tls-key client.key list 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && pass "server not trusted by --tls-ca refused" || fail "wrong CA: rc=$rc $err"
err=$(tls --tls-cert /nonexistent.crt --tls-key client.key list 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [[ "$err" == *"--tls-cert /nonexistent.crt"* ]] \
  && pass "unreadable cert file named: $err" || fail "missing cert: rc=$rc $err"

# --- Interactive console on a pty, through TLS.
tls --tls-cert client.crt --tls-key client.key create t1 --memory-mib 16 \
  --payload "$TICKER" >/dev/null || fail "create t1"
tls --tls-cert client.crt --tls-key client.key start t1 >/dev/null || fail "start t1"
out=$(python3 "$PTY_HELPER" "$VMCTL" --server "127.0.0.1:$PORT" --tls-ca ca.crt \
  --tls-cert client.crt --tls-key client.key console t1 2>&1); rc=$?
echo "$out" | sed 's/^/  pty: /'
[ $rc = 0 ] && pass "pty console: echo, Ctrl-] detach, terminal restored" \
  || fail "pty console helper exited $rc"
"$VMCTL" --socket "$SOCK" stop t1 --force >/dev/null || fail "stop t1"

if [ "$failures" != 0 ]; then
  echo "--- vmmd log:"; tail -30 "$WORK/vmmd.log"; echo "$failures failure(s)"; exit 1
fi
echo PASS
