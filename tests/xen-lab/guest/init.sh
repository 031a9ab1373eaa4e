#!/bin/busybox sh
# The PVH guest's /init: one memory checker per vCPU (each pinned to its vCPU, with its own seed and working set,
# so every vCPU writes and reads guest memory), the meminfo reporter beside them.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
CPUS=$(grep -c '^processor' /proc/cpuinfo)
echo "GUEST: up; $(grep MemTotal /proc/meminfo); $CPUS vCPUs"
/bin/meminfo-report 2 &
i=1
while [ "$i" -lt "$CPUS" ]; do
    /bin/memcheck ${MEMCHECK_MIB:-16} $((42 + i)) $i ${MEMCHECK_DUTY:-100} &
    i=$((i + 1))
done
exec /bin/memcheck ${MEMCHECK_MIB:-16} 42 0 ${MEMCHECK_DUTY:-100}
