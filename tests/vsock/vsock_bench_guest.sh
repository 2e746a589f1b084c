# Guest side of vsock_lab_bench.sh (the initramfs init runs it as /script):
# the same servers in our VM and in QEMU's, then the marker the host waits for.
vsock_echo serve 5000 >/dev/null &
vsock_echo ctl 5100 &
sleep 0.5
echo "VSOCK-BENCH-READY"
