#!/bin/busybox sh
# The PVH guest's /init: the memory checker in the foreground, the meminfo reporter beside it.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "GUEST: up; $(grep MemTotal /proc/meminfo)"
/bin/meminfo-report 2 &
exec /bin/memcheck ${MEMCHECK_MIB:-16} 42
