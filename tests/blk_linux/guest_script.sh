# Runs inside the guest (tools/guest-initramfs --script), on every boot.
# vda: rw scratch (ext4 made on boot 1); vdb: read-only ext4 made by the
# host; vdc: rw raw disk for the flush / kill -9 check.
echo "serial_vda=$(cat /sys/block/vda/serial 2>/dev/null)"
echo "ro_vdb=$(cat /sys/block/vdb/ro 2>/dev/null) ro_vda=$(cat /sys/block/vda/ro 2>/dev/null)"
echo "mq_vda=$(ls /sys/block/vda/mq 2>/dev/null | wc -l)"
grep -q 'PCI-MSI.*virtio' /proc/interrupts && echo "msix=yes" || echo "msix=no"
grep -q 'IO-APIC.*virtio' /proc/interrupts && echo "intx=yes" || echo "intx=no"
grep -q "PCI MMCONFIG" /proc/iomem && echo "mmcfg=yes" || echo "mmcfg=no"
mkdir -p /mnt /ro
if ! mount -t ext4 /dev/vda /mnt 2>/dev/null; then
  # Boot 1: a fresh file system, files, checksums, then wait for RebootVm.
  # Full path: busybox sh prefers its own (smaller) mke2fs applet.
  /usr/bin/mke2fs -q -t ext4 -F /dev/vda && echo "BLK-MKFS-OK"
  mount -t ext4 /dev/vda /mnt || echo "BLK-MOUNT-FAILED"
  dd if=/dev/urandom of=/mnt/big bs=1M count=4 2>/dev/null
  mkdir -p /mnt/dir && echo "hello from boot 1" > /mnt/dir/small
  sync
  echo "SUMS1 $(cd /mnt && sha256sum big dir/small | sha256sum | cut -c1-64)"
  umount /mnt || echo "BLK-UMOUNT-FAILED"
  if grep -q "pci=nomsi" /proc/cmdline; then
    # INTx run (blk_linux_daemon.sh, VM blk2): read everything back from
    # the disk itself, then show the level-triggered line's count.
    echo 3 > /proc/sys/vm/drop_caches
    mount -t ext4 /dev/vda /mnt && echo "SUMS1B $(cd /mnt && sha256sum big dir/small | sha256sum | cut -c1-64)"
    umount /mnt
    echo "INTX-IRQS $(grep 'IO-APIC.*virtio' /proc/interrupts | awk '{s=0; for (i=2; i<=NF && $i ~ /^[0-9]+$/; i++) s+=$i; print s}' | head -1)"
  fi
  echo "BLK-BOOT1-DONE"
  exit 0
fi
# Boot 2: the same bytes after the reboot.
echo "SUMS2 $(cd /mnt && sha256sum big dir/small | sha256sum | cut -c1-64)"
umount /mnt
# Read-only disk: a rw mount is refused by the kernel (busybox then falls
# back to read-only), writes fail.
if mount -t ext4 -o rw /dev/vdb /ro 2>/tmp/ro.err && ! grep -q "read-only" /tmp/ro.err &&
   ! grep -q " /ro .*[ ,]ro[ ,]" /proc/mounts; then
  echo "RO-MOUNT-RW-ACCEPTED"
fi
mount -t ext4 -o ro /dev/vdb /ro 2>/dev/null
cat /ro/hello.txt 2>/dev/null | sed 's/^/ro_content=/'
if echo x > /ro/new 2>/dev/null; then echo "RO-FILE-WRITE-ACCEPTED"; else echo "RO-FILE-WRITE-REFUSED"; fi
if dd if=/dev/zero of=/dev/vdb bs=4096 count=1 conv=fsync 2>/dev/null; then
  echo "RO-RAW-WRITE-ACCEPTED"
else
  echo "RO-RAW-WRITE-REFUSED"
fi
umount /ro 2>/dev/null
# Rough throughput figures (the page cache is bypassed by O_DIRECT).
t0=$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/vdc of=/dev/null bs=1M count=16 iflag=direct 2>/dev/null
t1=$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/zero of=/dev/vdc bs=1M count=16 seek=2 oflag=direct conv=fsync 2>/dev/null
t2=$(cut -d' ' -f1 /proc/uptime)
echo "DD-FIGURES read_16MiB_s=$(echo "$t0 $t1" | awk '{print $2-$1}') write_16MiB_s=$(echo "$t1 $t2" | awk '{print $2-$1}')"
# Flush: 1 MiB to the raw disk, fsync (VIRTIO_BLK_T_FLUSH), then the marker.
dd if=/dev/urandom of=/tmp/pattern bs=1M count=1 2>/dev/null
dd if=/tmp/pattern of=/dev/vdc bs=1M count=1 conv=fsync 2>/dev/null && sync
echo "FLUSH-MARK $(sha256sum /tmp/pattern | cut -c1-64)"
echo "BLK-BOOT2-DONE"
