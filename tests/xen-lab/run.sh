#!/usr/bin/env bash
# Builds the lab (build.sh), boots it under QEMU software emulation and turns dom0's report into a verdict.
#   tests/xen-lab/run.sh [native|short|migrate|paper|failback|cut|soak]
#     native   one Xen host: xlpc list, mem-set and DSB against the real toolstack, the Java pager paging a
#              running PVH guest out and back in (default)
#     short    what .ci/run gates on: migrate with a 96 MiB guest whose checker works a quarter of the time,
#              self-ballooned (DSB) before the post-copy hop, then pre-copy back; page checks on both hosts and the
#              wire checked for memory in clear (under 10 minutes with a warm cache, where migrate takes 20)
#     migrate  two Xen hosts linked by a QEMU socket network: post-copy of the running guest from one to the
#              other with xlpc, then pre-copy back as the baseline
#     paper    migrate with a guest shaped like the paper's: 1 GiB, two vCPUs with a checker on each, and DSB
#              before it goes (each QEMU host gets LAB_MEM=3072 MiB unless set)
#     failback migrate post-copy over a link shaped to 4 Mbit/s and SIGKILL the destination's daemon
#              LAB_KILL_AFTER seconds (default 120) after the guest arrived: its exit fence pauses the guest, the source
#              takes it back from the last reverse checkpoint, and the restarted destination daemon destroys its copy
#     cut      migrate post-copy over a link shaped to 4 Mbit/s, and cut the destination's link LAB_CUT_AT seconds
#              (default 30) after the guest arrived for LAB_CUT_S seconds (default 90, past the 30 s stall limit,
#              within a 10-minute lease, the most a destination accepts): both sides pause, the source
#              reconnects, the post-copy completes verified
#     soak     one host, the guest alone for LAB_SOAK seconds (default 600): does the emulated platform keep it alive
# Serial logs are kept in $LAB_WORK/logs/; the exit status is 0 only if every host says "LAB-VERDICT: PASS".
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
W=${LAB_WORK:-$LAB/work}
MODE=${1:-native}
case "$MODE" in native|short|migrate|paper|failback|cut|soak) ;; *) echo "usage: $0 [native|short|migrate|paper|failback|cut|soak]" >&2; exit 2;; esac
# Under QEMU's software emulation every page costs the pager a few milliseconds (a 128 MiB post-copy took 5 min and
# its pre-copy back had not ended 7 minutes later, 2026-12-03), and a checker that never idles takes a host CPU from
# the other host's dom0 (its daemon then took 140 s to listen instead of 40): short takes a quarter off the pages (at
# 64 MiB the guest's kernel does not fit: xl create fails) and quarters the checker's work.
if [ "$MODE" = short ]; then
    LAB_DOM0_ARGS="guest_mem=96 guest_mib=8 guest_duty=25 dsb=1 quick=1 ${LAB_DOM0_ARGS:-}"
    WIRE_MIN_MIB=32   # DSB leaves less than the guest's 96 MiB to send each way
fi
if [ "$MODE" = paper ]; then
    LAB_MEM=${LAB_MEM:-3072}
    LAB_DOM0_ARGS="guest_mem=1024 guest_vcpus=2 guest_mib=128 guest_duty=25 dsb=1 back=0 ${LAB_DOM0_ARGS:-}"
fi
if [ "$MODE" = failback ]; then
    # A 16 MiB checker: what one checkpoint carries must cross the 4 Mbit/s link well before the kill.
    LAB_DOM0_ARGS="kill=${LAB_KILL_AFTER:-120} link_mbps=4 guest_mib=16 guest_duty=25 back=0 ${LAB_DOM0_ARGS:-}"
fi
if [ "$MODE" = cut ]; then
    # The lease outlasts the cut, so the source waits for the destination instead of taking the guest back.
    LAB_DOM0_ARGS="cut=${LAB_CUT_S:-90} cut_at=${LAB_CUT_AT:-30} lease_ms=600000 link_mbps=4 guest_mib=16 guest_duty=25 back=0 ${LAB_DOM0_ARGS:-}"
fi
# Build (or bring up to date) first: the expensive stages are kept, the jar and initramfs are redone.
[ "${LAB_NO_BUILD:-0}" = 1 ] || "$LAB/build.sh"
for f in xen-mempaging.elf vmlinuz dom0-initrd.cpio; do
    [ -e "$W/$f" ] || { echo "lab: $W/$f is missing: run tests/xen-lab/build.sh" >&2; exit 2; }
done
mkdir -p "$W/logs"
STAMP=$(date +%Y%m%d-%H%M%S)
cd "$W"

# boot NAME LABS NETDEV MAC: one Xen host in the background; its serial log is logs/serial-STAMP-NAME.log
boot() {
    local log="$W/logs/serial-$STAMP-$1.log" net=()
    [ -n "$3" ] && net=(-netdev "$3" -device "e1000,netdev=n0,mac=$4")
    # The source's side of the link, as captured by QEMU (every frame between the two dom0s): checked below for
    # guest memory crossing in clear.
    [ -n "$3" ] && [ "$1" = source ] && net+=(-object "filter-dump,id=wire,netdev=n0,file=$W/logs/wire-$STAMP.pcap")
    echo "lab: booting $1 (Xen under QEMU TCG); serial log $log"
    ln -sfn "$(basename "$log")" "$W/logs/latest-$1.log"
    # -cpu: plain "max" crashes dom0 (#PF in create_bounce_frame) and a PVH guest dies on RDTSCP under TCG's
    # SVM. Without -xsave, dom0's processes get their SSE/AVX registers corrupted once a JVM runs there beside
    # a PVH guest (general-protection faults in libc's malloc, JVM crashes); with FXSAVE only, they do not.
    timeout "${LAB_TIMEOUT:-2400}" ${LAB_QEMU:-qemu-system-x86_64} -M pc -accel tcg -m "${LAB_MEM:-2048}" -smp 2 \
        -cpu "${LAB_CPU:-max,-smap,-smep,-rdtscp,-xsave,-avx,-avx2}" -display none -monitor none \
        -serial "file:$log" -no-reboot "${net[@]}" \
        -kernel xen-mempaging.elf \
        -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all" \
        -initrd "vmlinuz console=hvc0 earlyprintk=xen rdinit=/init lab=$2 ${LAB_DOM0_ARGS:-},dom0-initrd.cpio" &
    PIDS+=($!)
    LOGS+=("$log")
    # Progress while it runs: every check's result as dom0 reports it.
    tail -n +1 -F "$log" 2>/dev/null | grep --line-buffered -a -E '^LAB-(RESULT|VERDICT)|^LAB: ' \
        | sed -u "s/^/[$1] /" &
    TAILS+=($!)
}

PIDS=(); LOGS=(); TAILS=()
if [ "$MODE" = native ]; then
    boot native native "" ""
elif [ "$MODE" = soak ]; then
    LAB_DOM0_ARGS="${LAB_DOM0_ARGS:-} soak=${LAB_SOAK:-600}" boot soak soak "" ""
else
    PORT=$((20000 + RANDOM % 20000))
    boot source migrate-src "socket,id=n0,listen=127.0.0.1:$PORT" 52:54:00:00:10:01
    sleep 2   # the listening side must exist before the other connects
    boot destination migrate-dst "socket,id=n0,connect=127.0.0.1:$PORT" 52:54:00:00:10:02
fi
set +e
for p in "${PIDS[@]}"; do wait "$p"; done
sleep 1; kill "${TAILS[@]}" 2>/dev/null
set -e
OK=1
for log in "${LOGS[@]}"; do
    v=$(grep -a '^LAB-VERDICT' "$log" | tail -1 | tr -d '\r')
    echo "lab: $(basename "$log"): ${v:-no verdict (dom0 did not finish; read the log)}"
    [[ "$v" == "LAB-VERDICT: PASS" ]] || OK=0
done
# Nothing of the guest's memory in clear on the wire between the dom0s (they speak mutual TLS). Strings that are
# in every copy of this guest's memory — its kernel's banner and memcheck's own report format, which sit in its
# RAM as code and data — would be in the capture if any page crossed unencrypted. The capture must also hold at
# least the guest's memory size in bytes (a third of it for short, whose guest self-balloons first), so a check of an
# empty capture cannot pass.
if [ "$MODE" = migrate ] || [ "$MODE" = short ] || [ "$MODE" = paper ] || [ "$MODE" = cut ]; then
    PCAP="$W/logs/wire-$STAMP.pcap"
    size=$(stat -c %s "$PCAP" 2>/dev/null || echo 0)
    clear=$(grep -a -c -e 'MEMCHECK tick %llu' -e 'Linux version 6\.' "$PCAP" 2>/dev/null || true)
    if ! grep -a -q 'MEMCHECK tick %llu' "$W/guest-root/bin/memcheck"; then
        echo "lab: wire: the guest's memcheck no longer holds the string this check looks for: fix the check"; OK=0
    elif [ "$size" -lt $((${WIRE_MIN_MIB:-64} << 20)) ]; then
        echo "lab: wire: the capture holds $size bytes, less than ${WIRE_MIN_MIB:-64} MiB: no verdict on encryption"; OK=0
    elif [ "${clear:-0}" != 0 ]; then
        echo "lab: wire: FAIL: guest memory in clear between the hosts ($clear frames with the guest's strings; $PCAP)"
        OK=0
    else
        echo "lab: wire: PASS: $((size >> 20)) MiB captured between the dom0s, none of the guest's strings in clear"
        rm -f "$PCAP"
    fi
fi
[ $OK = 1 ]
