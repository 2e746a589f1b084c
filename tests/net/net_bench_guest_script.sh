# Guest side of net_bench_lab.sh (the initramfs init runs it as /script):
# address 10.77.0.2 on eth0, iperf3 as a daemon, a stats server on TCP
# 5001 (each connection gets /proc/interrupts and `ethtool -S eth0`: the
# guest's own interrupt and kick counts, the same for ours and QEMU), then
# "BENCH-READY".
ip link set lo up
ip link set eth0 up
ip addr add 10.77.0.2/24 dev eth0
i=0
until ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -ge 90 ] && break
done
echo "ping_tries=$i"
echo "cpuidle=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null)/$(cat /sys/devices/system/cpu/cpu0/cpuidle/state*/name 2>/dev/null | tr '\n' ,)"
echo "cmdline=$(cat /proc/cmdline)"
echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
mkdir -p /tmp
printf '#!/bin/sh\ncat /proc/interrupts\necho ETHTOOL\nethtool -S eth0 2>&1\n' > /gueststats
chmod +x /gueststats
nc -ll -p 5001 -e /gueststats &
iperf3 -s -D -i 0 --logfile /dev/console && echo "BENCH-READY" || echo "BENCH-FAILED"
