#!/bin/sh
# /init of the kernel-matrix initramfs (xtask/src/guest.rs builds it): the
# minimum system driver.sh needs, the plan, then power off. busybox's applets
# are symlinks in /bin, made when the archive is built.
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# Only emergencies on the console: kernel messages must not split result lines.
dmesg -n 1
# The kernel package's modules the plan needs (their BTF appears in /sys/kernel/btf).
for module in /corex/modules/*.ko; do
    [ -e "$module" ] || continue
    insmod "$module" || echo "@@corex warn insmod $module failed"
done
COREX=/bin/corex sh /corex/driver.sh /corex/plan
poweroff -f
