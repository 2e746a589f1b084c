# Guest side of netvsock_linux_daemon.sh (run by the initramfs init as
# /script). Prints markers the host waits for on the console.
HOST=10.77.0.1
MIB=$(sed -n 's/.*netvsock_mib=\([0-9]*\).*/\1/p' /proc/cmdline)
MIB=${MIB:-256}
ME=10.77.0.2
ip link set lo up
ip link set eth0 up
ip addr add $ME/24 dev eth0
echo "nic_mac=$(cat /sys/class/net/eth0/address)"
echo "nic_driver=$(basename "$(readlink /sys/class/net/eth0/device/driver)")"
i=0
until ping -c 1 -W 1 $HOST >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -ge 90 ] && break
done
ping -c 3 -W 2 $HOST >/tmp/ping.out 2>&1 && echo "PING-OK" || echo "PING-FAILED"
tail -2 /tmp/ping.out

# Net servers: MIB (kernel parameter netvsock_mib, default 256) guest->host on 5001 (a fixed pattern whose md5 the
# host knows), host->guest on 5002 (md5 of what arrived), a rate-limit
# source on 5003 (repeats).
# Our own sender (1 MiB writes): busybox nc copies a pipe in 4 KiB reads,
# a TCP frame per read, which under the lab's nested emulation capped
# guest->host at ~1 MB/s whatever the device did.
vsock_echo tcp-pattern 5001 $((MIB << 20)) &
P1=$!
(nc -l -p 5002 | md5sum | sed 's/ .*//; s/^/H2G-MD5 /') &
P2=$!
(while :; do dd if=/dev/zero bs=64k count=1000 2>/dev/null | nc -l -p 5003; done) >/dev/null 2>&1 &
# vsock: echo server for the host's 64 connections.
vsock_echo serve 5000 &
sleep 1
echo "SERVERS-READY"
# vsock: 64 connections to the host's echo server (host port 6000).
vsock_echo client 2 6000 64 131072
wait $P1 $P2
echo "NET-DONE"
grep -E "^Tcp:" /proc/net/snmp | tail -1 | awk '{print "tcp_retrans_segs=" $13 " out_segs=" $12}'
grep -E "virtio" /proc/interrupts | awk '{print "irq", $NF, $2 + $3}'
# Benchmark only: a connection to port 5009 starts a 64 MiB vsock stream to
# the host's sink on port 7000.
nc -l -p 5009 >/dev/null 2>&1
vsock_echo send 2 7000 67108864
