#!/usr/bin/env bash
# Boots the lab built by build.sh under QEMU software emulation and turns dom0's report into a verdict.
#   tests/xen-lab/run.sh [LABS]      LABS: what dom0-init.sh runs (default "native")
# The serial log is kept in $LAB_WORK/logs/; the exit status is 0 only for "LAB-VERDICT: PASS".
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
W=${LAB_WORK:-$LAB/work}
LABS=${1:-native}
for f in xen-mempaging.elf vmlinuz dom0-initrd.cpio; do
    [ -e "$W/$f" ] || { echo "lab: $W/$f is missing: run tests/xen-lab/build.sh first" >&2; exit 2; }
done
mkdir -p "$W/logs"
LOG="$W/logs/serial-$(date +%Y%m%d-%H%M%S)-$LABS${LAB_TAG:+-$LAB_TAG}.log"
ln -sfn "$(basename "$LOG")" "$W/logs/latest.log"
echo "lab: booting Xen under QEMU (TCG); serial log $LOG"
cd "$W"
# -cpu: plain "max" crashes dom0 (#PF in create_bounce_frame) and a PVH guest dies on RDTSCP under TCG's SVM.
set +e
timeout "${LAB_TIMEOUT:-1500}" qemu-system-x86_64 -M pc -accel tcg -m "${LAB_MEM:-2048}" -smp 2 \
    -cpu "${LAB_CPU:-max,-smap,-smep,-rdtscp}" -display none -monitor none -serial "file:$LOG" -no-reboot \
    -kernel xen-mempaging.elf \
    -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all" \
    -initrd "vmlinuz console=hvc0 earlyprintk=xen rdinit=/init lab=$LABS ${LAB_DOM0_ARGS:-},dom0-initrd.cpio" &
QEMU=$!
# Show progress while it runs: every check's result as dom0 reports it.
tail -n +1 -F "$LOG" 2>/dev/null | grep --line-buffered -E '^LAB-(RESULT|VERDICT)|^LAB: ' &
TAIL=$!
wait $QEMU
RC=$?
sleep 1; kill $TAIL 2>/dev/null
set -e
[ $RC = 124 ] && echo "lab: QEMU timed out after ${LAB_TIMEOUT:-1500}s" >&2
VERDICT=$(grep -a '^LAB-VERDICT' "$LOG" | tail -1 | tr -d '\r')
echo "lab: ${VERDICT:-no verdict (dom0 did not finish; see $LOG)}"
[[ "$VERDICT" == "LAB-VERDICT: PASS" ]]
