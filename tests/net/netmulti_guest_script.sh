# Guest side of netmulti_linux_daemon.sh (run by the initramfs init as
# /script). The kernel parameter nm_role=a|b picks the role; markers go to
# the console for the host.
#   a  10.78.0.2, 2 vCPUs, a NIC with 2 queue pairs, vsock: 16 MiB source for
#      b on 5001, 4 senders to the host (pinned two per CPU) on 5010-5013,
#      8 sinks for the host on 5020-5027, a vsock port 5100 that never reads;
#      raw AF_PACKET frames of 1514 and 9000 bytes
#   b  10.78.0.3: pings a, fetches a's 16 MiB through the bridge, prints md5
ROLE=$(sed -n 's/.*nm_role=\([a-z]*\).*/\1/p' /proc/cmdline)
HOST=10.78.0.1
if [ "$ROLE" = a ]; then ME=10.78.0.2; PEER=10.78.0.3; else ME=10.78.0.3; PEER=10.78.0.2; fi
ip link set lo up
ip link set eth0 up
ip addr add $ME/24 dev eth0
echo "nic_queues=$(ls /sys/class/net/eth0/queues | tr '\n' ' ')"
i=0
until ping -c 1 -W 1 $HOST >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -ge 90 ] && break
done
if [ $i -ge 90 ]; then  # Which side is stuck: the vectors' counts and eth0's statistics.
  echo "PING-HOST-FAILED"; grep -E 'virtio' /proc/interrupts; ip -s link show eth0
fi
irqs() {  # One line: "IRQ<tag> name=count ..." for the virtio-net vectors.
  echo "IRQ$1 $(grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | awk '{printf "%s=%d ", $NF, $2 + $3}')"
}
if [ "$ROLE" = a ]; then
  vsock_echo tcp-pattern 5001 $((16 << 20)) &
  for i in 0 1 2 3; do
    taskset -c $((i % 2)) vsock_echo tcp-pattern $((5010 + i)) $((4 << 20)) &
  done
  for i in 0 1 2 3 4 5 6 7; do
    (nc -l -p $((5020 + i)) >/dev/null 2>&1) &
  done
  vsock_echo hold 5100 &
  sleep 1
  irqs 0
  echo "SERVERS-READY"
  # The host connects to 5009 once its multiqueue traffic is done.
  nc -l -p 5009 >/dev/null 2>&1
  irqs 1
  echo "IRQ-DONE"
  # Frames through AF_PACKET: one at the MTU, one far above it.
  vsock_echo rawsend eth0 1514
  vsock_echo rawsend eth0 9000
  echo "RAW-DONE"
else
  echo "SERVERS-READY"
fi
i=0
until ping -c 1 -W 1 $PEER >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -ge 120 ] && break
done
ping -c 3 -W 2 $PEER >/tmp/ping.out 2>&1 && echo "PEER-PING-OK" || echo "PEER-PING-FAILED"
tail -2 /tmp/ping.out
if [ "$ROLE" = b ]; then
  # a's source may not listen yet (refused: the md5 of nothing): retry.
  for i in $(seq 30); do
    m=$(nc $PEER 5001 </dev/null | md5sum | sed 's/ .*//')
    [ "$m" != d41d8cd98f00b204e9800998ecf8427e ] && break
    sleep 1
  done
  echo "BRIDGE-MD5 $m"
fi
