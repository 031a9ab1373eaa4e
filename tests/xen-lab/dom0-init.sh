#!/bin/bash
# dom0's /init in the real-Xen lab. Brings up the Xen toolstack, boots the PVH memcheck guest, then runs the
# lab's checks against the real hypervisor with xen-postcopy's native daemon. The serial console is the
# report: LAB-STEP / LAB-RC for every command, LAB-RESULT <check> PASS|FAIL <detail>, and one final
# LAB-VERDICT line that tests/xen-lab/run.sh turns into its exit status. Ends by rebooting, which (with
# QEMU's -no-reboot) stops the machine.
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/xlpc/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /run /tmp; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run
ip link set lo up
up() { cut -d' ' -f1 /proc/uptime; }
log() { echo "LAB: [$(up)s] $*"; }
step() { echo "LAB-STEP: [$(up)s] $*"; timeout "${TMO:-120}" "$@" 2>&1; local rc=$?; echo "LAB-RC: $rc <- $*"; return $rc; }
FAILED=0
CON=/var/log/xen/console/guest-memcheck.log
# What the guest and Xen were doing: printed after every failed check.
snapshot() { log "snapshot: $(xl list 2>&1 | awk 'NR>1{printf "%s(d%s,%sM,%s) ", $1, $2, $3, $5}')"
             tail -6 "$CON" 2>/dev/null | sed 's/^/LAB:   guest| /'; xl dmesg | tail -4 | sed 's/^/LAB:   xen| /'; }
result() { echo "LAB-RESULT: $1 $2 ${3:-}"; [ "$2" = PASS ] || { FAILED=$((FAILED + 1)); snapshot; }; }
# wait_for SECONDS DESCRIPTION COMMAND...: runs the command every second until it succeeds. Its arguments are
# expanded once, by the caller: anything that must be read afresh each time belongs in a function.
wait_for() { local t=$1 what=$2 i; shift 2
             for i in $(seq 1 "$t"); do "$@" >/dev/null 2>&1 && return 0; sleep 1
                 [ $((i % 20)) = 0 ] && log "waiting for $what (load $(cut -d' ' -f1-3 /proc/loadavg), $(free -m | awk '/Mem:/{print $7}') MiB available)" \
                     && [ -n "${WATCH:-}" ] && tail -3 "$WATCH" | sed 's/^/LAB:   | /'
             done
             log "gave up after ${t}s waiting for $what"; return 1; }
finish() { log "xl dmesg (tail):"; xl dmesg | tail -${1:-15}
           if [ "$FAILED" = 0 ]; then echo "LAB-VERDICT: PASS"; else echo "LAB-VERDICT: FAIL ($FAILED checks failed)"; fi
           sync; echo b > /proc/sysrq-trigger; sleep 30; }
# A heartbeat on the console, so a stall shows where it happened.
( while sleep 15; do echo "LAB-HB: [$(up)s] load $(cut -d' ' -f1-3 /proc/loadavg); $(free -m | awk '/Mem:/{print $7}') MiB available; top: $(ps -eo pcpu,comm --sort=-pcpu | sed -n 2,3p | tr -s ' ' | tr '\n' ',')"; done ) &
LABT=$(sed -n 's/.*lab=\([^ ]*\).*/\1/p' /proc/cmdline); LABT=${LABT:-native}
# jvm=noavx on the kernel command line keeps the JVM off AVX (a software-emulation diagnosis switch).
grep -q 'jvm=noavx' /proc/cmdline && export XLPC_JAVA_OPTS="-XX:UseAVX=0"
log "dom0 userspace reached; lab=$LABT; cpu: $(grep -m1 -o -w 'avx2\|avx512f\|xsaves\|xsaveopt' /proc/cpuinfo | sort -u | tr '\n' ' ')"

for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do modprobe $m || log "FAILED modprobe $m"; done
mount -t xenfs xenfs /proc/xen
mkdir -p /var/run/xen /var/run/xenstored /var/lib/xenstored /var/log/xen/console /var/lib/xen/save
xenstored --pid-file /var/run/xenstored.pid
wait_for 30 xenstored test -S /var/run/xenstored/socket
step xen-init-dom0
xenconsoled --pid-file=/var/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
step xl info | grep -E '^(xen_version|xen_caps|virt_caps|xen_commandline|total_memory|free_memory)'
if xl info | grep -q '^xen_version.*4\.17'; then result xen-boot PASS "$(xl info | sed -n 's/^xen_version *: //p')"
else result xen-boot FAIL "xl info did not answer"; finish; fi

has() { case "+$LABT+" in *+$1+*) return 0;; esac; return 1; }
# first=precopy|hybrid on the kernel command line (LAB_DOM0_ARGS): how the guest goes out; it comes back by pre-copy
FIRST=$(sed -n 's/.* first=\([a-z]*\).*/\1/p' /proc/cmdline); FIRST=${FIRST:-postcopy}
CFGDIR=/root/guest
# guest_tsc=default|always_emulate|native on the kernel command line: xl's tsc_mode for the guest instead of the
# config's "native" (why: guest/memcheck.cfg; `run.sh soak` shows the difference)
GTSC=$(sed -n 's/.* guest_tsc=\([a-z_]*\).*/\1/p' /proc/cmdline)
[ -n "$GTSC" ] && sed -i "s/^tsc_mode = .*/tsc_mode = \"$GTSC\"/" $CFGDIR/memcheck.cfg
log "guest $(grep '^tsc_mode' $CFGDIR/memcheck.cfg)"
# guest_mem=MiB guest_vcpus=N guest_mib=MiB on the kernel command line: a bigger guest than the config's 128 MiB
# and one vCPU (run.sh paper: 1 GiB, two vCPUs, one 128 MiB checker on each); dsb=1: migrations self-balloon it.
arg() { sed -n "s/.* $1=\([0-9a-z]*\).*/\1/p" /proc/cmdline; }
GMEM=$(arg guest_mem); GVCPUS=$(arg guest_vcpus); GMIB=$(arg guest_mib); GDUTY=$(arg guest_duty); DSB=$(arg dsb)
[ -n "$GMEM" ] && sed -i "s/^memory = .*/memory = $GMEM/; s/^maxmem = .*/maxmem = $GMEM/" $CFGDIR/memcheck.cfg
[ -n "$GVCPUS" ] && sed -i "s/^vcpus = .*/vcpus = $GVCPUS/" $CFGDIR/memcheck.cfg
[ -n "$GMIB" ] && sed -i "s/^extra = \"\(.*\)\"/extra = \"\1 MEMCHECK_MIB=$GMIB\"/" $CFGDIR/memcheck.cfg
# guest_duty=PERCENT: each checker works that share of every 100 ms and sleeps the rest (memcheck.c says why)
[ -n "$GDUTY" ] && sed -i "s/^extra = \"\(.*\)\"/extra = \"\1 MEMCHECK_DUTY=$GDUTY\"/" $CFGDIR/memcheck.cfg
log "guest $(grep -E '^(memory|vcpus|extra) ' $CFGDIR/memcheck.cfg | tr '\n' ' ')"
# The guest's vCPU runs only on physical CPU 1 and dom0's vCPUs only on CPU 0, so QEMU's software SVM never switches
# one CPU between dom0 (PV) and the guest (HVM). Shared, a busy dom0 killed the guest with a triple fault (a soak with
# dom0 compressing and the daemon answering, 704 s in, memcheck in user mode); pinned, the same soak ran its 900 s.
# guest_cpu=0 puts the guest on CPU 0 instead, guest_cpu=any leaves both unpinned (as before 2026-12-02).
GCPU=$(sed -n 's/.* guest_cpu=\([0-9a-z]*\).*/\1/p' /proc/cmdline); GCPU=${GCPU:-1}
[ "$GCPU" = any ] && GCPU=""
if [ -n "$GCPU" ]; then
    echo "cpus = \"$GCPU\"" >> $CFGDIR/memcheck.cfg
    step xl vcpu-pin Domain-0 all $((1 - GCPU))
    log "guest pinned to CPU $GCPU, dom0 to CPU $((1 - GCPU))"
fi
# grep -c prints 0 itself when nothing matches (and fails); a missing file counts as 0 too
ticks() { local n; n=$(grep -c 'MEMCHECK tick' "$CON" 2>/dev/null); echo "${n:-0}"; }
mismatches() { local n; n=$(grep -c 'MEMCHECK MISMATCH' "$CON" 2>/dev/null); echo "${n:-0}"; }
# ticks_since LINE N: at least N memcheck ticks on the console from line LINE on
ticks_since() { local n; n=$(tail -n +"$1" "$CON" 2>/dev/null | grep -c 'MEMCHECK tick'); [ "${n:-0}" -ge "$2" ]; }

# start_daemon ADDRESS: xlpc daemon --native on ADDRESS:7410, configs from $CFGDIR; PASS/FAIL "daemon".
# Off loopback a daemon speaks TLS only: build.sh made the lab's credentials (xlpc tls init), one directory per
# host address; the daemon and this host's xlpc commands use the same one.
# launch_daemon ADDRESS then await_daemon does the same in two halves, so the JVM starts while something else runs.
start_daemon() { launch_daemon "$1"; await_daemon "$1"; }
launch_daemon() {
    export XLPC_LISTEN=$1:7410 XLPC_DAEMON=$1:7410 XLPC_TLS_DIR=/etc/xlpc/tls/$1
    DAEMON_T0=$(up)
    xlpc daemon --native --xl-config-dir $CFGDIR > /var/log/xlpc-daemon.log 2>&1 &
}
# await_daemon ADDRESS: PASS once it answers an xlpc list over TLS; with quick=1 on the kernel command line (run.sh
# short) once it listens: under TCG each xlpc command is a JVM start of a minute, and the migration that follows
# makes the first call anyway.
await_daemon() {
    local t0=$DAEMON_T0
    # 600 s: a dom0 JVM took 242 s to listen under TCG with the worker otherwise busy (2026-12-03, run 30).
    if WATCH=/var/log/xlpc-daemon.log wait_for 600 "xlpc daemon --native" grep -q '^listening on' /var/log/xlpc-daemon.log; then
        local listening; listening=$(awk -v a="$(up)" -v b="$t0" 'BEGIN{printf "%.0f", a-b}')
        if [ "$(arg quick)" = 1 ]; then
            result daemon PASS "listening on $1 after ${listening}s: $(grep 'xlpc daemon:' /var/log/xlpc-daemon.log | head -1)"
            return
        fi
        # A first call over TLS, as every later command makes: it warms the daemon's handshake and control path
        # (cold under TCG) before a migration counts on them. Three tries: a slow first one is not a failure.
        local i; for i in 1 2 3; do timeout 300 xlpc list > /tmp/first-list.txt 2>&1 && break; sleep 5; done
        if grep -q memcheck /tmp/first-list.txt || grep -q Domain-0 /tmp/first-list.txt; then
            result daemon PASS "listening on $1 after ${listening}s, answering over TLS after $(awk -v a="$(up)" -v b="$t0" 'BEGIN{printf "%.0f", a-b}')s: $(grep 'xlpc daemon:' /var/log/xlpc-daemon.log | head -1)"
        else
            result daemon FAIL "listening after ${listening}s but xlpc list failed 3 times: $(tail -2 /tmp/first-list.txt | tr '\n' ' ')"
            tail -20 /var/log/xlpc-daemon.log | sed 's/^/LAB:   | /'; finish
        fi
    else
        result daemon FAIL "see the daemon log below"; head -40 /var/log/xlpc-daemon.log | sed 's/^/LAB:   | /'; finish
    fi
}

# boot_guest: the PVH memcheck guest, ticking; PASS/FAIL "guest-boot"
boot_guest() {
    step xl create $CFGDIR/memcheck.cfg
    if wait_for 240 "the guest's memcheck to tick" grep -q 'MEMCHECK tick' "$CON"; then
        DOM=$(xl domid memcheck)
        result guest-boot PASS "PVH domain $DOM; $(grep -m1 'MEMCHECK start' "$CON")"
    else
        local d; d=$(xl domid memcheck 2>/dev/null)
        result guest-boot FAIL "no MEMCHECK tick on the guest console${d:+; $(died "$d" 1)}"
        [ -n "$d" ] && post_mortem "$d" 1
        finish
    fi
}

# link: the QEMU socket network between the two hosts; sets NIC, and the ME and PEER addresses
link() {
    modprobe e1000
    wait_for 30 "a network interface" sh -c "ls /sys/class/net | grep -qv lo"
    NIC=$(ls /sys/class/net | grep -v lo | head -1)
    ME=169.254.10.$1; PEER=169.254.10.$2
    ip addr add $ME/24 dev $NIC; ip link set $NIC up
    if wait_for 180 "the peer host" busybox ping -c1 -W1 $PEER; then result link PASS "$NIC $ME <-> $PEER"
    else result link FAIL "no answer from $PEER"; finish; fi
}

# died DOMID FROM_LINE: prints (and succeeds on) the first sign that the domain crashed rather than left:
# Xen's triple-fault or domain-crash message, or a panic on the guest's console since line FROM_LINE
died() { { xl dmesg | grep -a -E "d$1v[0-9]+ Triple fault|Domain $1 \(vcpu#[0-9]+\) crashed|domain_crash.*d$1"
           tail -n +"$2" "$CON" 2>/dev/null | grep -a -m1 'Kernel panic'; } | grep -m1 .; }

# running_here: memcheck is a domain here and not paused
running_here() { xl list memcheck 2>/dev/null | awk 'NR==2{found=1; off=($5 ~ /[psc]/)} END{exit !(found && !off)}'; }
# gone_or_died DOMID FROM_LINE: memcheck has left this host (its domain is destroyed once the other host has it),
# or died here. Not merely "shut down": a migration's switch suspends the guest, which xl lists as shut down too.
gone_or_died() { ! xl domid memcheck >/dev/null 2>&1 || died "$1" "$2" >/dev/null; }
# post_mortem DOMID FROM_LINE: what a dead guest left behind - its vCPU registers and the code at rip (Debian's
# /boot/System.map is a placeholder, so no symbols), its console since FROM_LINE, Xen's messages (HVM context
# restores kept: they show who set the vCPU state) and the daemon's log
post_mortem() {
    log "guest vCPU 0 of domain $1 (xenctx):"
    timeout 60 xenctx -a -S "$1" 0 2>&1 | head -40 | sed 's/^/LAB:   ctx| /'
    log "guest console before it stopped:"; tail -n +"$2" "$CON" | tail -40 | sed 's/^/LAB:   guest| /'
    log "xl dmesg:"; xl dmesg | grep -v 'HVM.* save:' | tail -40 | sed 's/^/LAB:   xen| /'
    log "daemon log:"; tail -40 /var/log/xlpc-daemon.log | sed 's/^/LAB:   daemon| /'
}

# guest_checks LABEL FROM_LINE: memcheck on this host's console since line FROM_LINE: ticking, no mismatch
guest_checks() {
    local label=$1 from=$2
    since() { tail -n +"$from" "$CON" 2>/dev/null | grep -c 'MEMCHECK tick'; true; }
    if wait_for 300 "memcheck ticking after $label" ticks_since "$from" 5; then
        result "$label-guest-alive" PASS "memcheck ticked $(since) times here since; last: $(grep 'MEMCHECK tick' "$CON" | tail -1)"
    else result "$label-guest-alive" FAIL "memcheck did not tick here after $label"
         post_mortem "$(xl domid memcheck 2>/dev/null)" "$from"; fi
    if [ "$(mismatches)" = 0 ]; then result "$label-memcheck" PASS "no MEMCHECK MISMATCH on this host's console"
    else result "$label-memcheck" FAIL "$(grep -m3 'MEMCHECK MISMATCH' "$CON" | tr '\n' ' ')"; fi
}

if has migrate-src; then
    log "===== two-host migration: source ====="
    link 1 2
    launch_daemon $ME
    boot_guest
    await_daemon $ME
    wait_for 600 "the destination's daemon" timeout 3 bash -c "</dev/tcp/$PEER/7410"
    case $FIRST in postcopy) HOW="--postcopy --prepaging bubble";; *) HOW="--$FIRST";; esac
    [ "$DSB" = 1 ] && HOW="$HOW --dsb"
    # A post-copy stall limit (and so the destination's lease) for TCG: with the default 5 s, dom0 JVMs starved of
    # CPU missed heartbeats, the session paused and recovered four times and then failed back (2026-12-02). A real
    # cut is not what this scenario tests. stall=MS on the kernel command line sets another.
    STALL=$(arg stall); HOW="$HOW --stall-ms ${STALL:-30000}"
    # link_mbps=N: the engine's link shaper, so post-copy lasts long enough for run.sh failback's kill
    [ -n "$(arg link_mbps)" ] && HOW="$HOW --link-mbps $(arg link_mbps)"
    # lease_ms=MS (run.sh cut): how long the destination may run the guest unheard before the source takes it back
    [ -n "$(arg lease_ms)" ] && HOW="$HOW --fail-back-ms $(arg lease_ms)"
    if [ -n "$(arg kill)" ]; then
        # run.sh failback: the destination's daemon is SIGKILLed mid post-copy. The migration must end with the
        # guest running here again from the last reverse checkpoint its daemon committed, its memory checked.
        FROM=$(($(wc -l < "$CON") + 1))
        TMO=1500 step xlpc migrate memcheck $PEER $HOW --no-verify > /tmp/failback.txt
        cat /tmp/failback.txt
        if grep -q 'runs here again' /tmp/failback.txt && running_here; then
            how=$(grep -o 'from checkpoint [0-9,]*\|as it was at the switch' /tmp/failback.txt | head -1)
            case "$how" in
                from*) result failback PASS "memcheck runs here again, restored $how: $(grep -o '[0-9,.]* ms after the destination.s last word' /tmp/failback.txt | head -1)";;
                *) result failback FAIL "memcheck runs here again but ${how:-from no checkpoint}: none had been committed";;
            esac
            guest_checks failback "$FROM"
        else
            result failback FAIL "$(tail -3 /tmp/failback.txt | tr '\n' ' ')"; tail -40 /var/log/xlpc-daemon.log | sed 's/^/LAB:   daemon| /'
        fi
        # Never on two hosts: the destination's restarted daemon hears the guest was taken back and destroys its
        # copy. Stay up (this daemon answers that question) until the other host lists no memcheck.
        gone_there() { timeout 120 xlpc -H $PEER list > /tmp/peer-list.txt 2>&1 && ! grep -q memcheck /tmp/peer-list.txt; }
        if wait_for 900 "the destination to destroy its copy" gone_there; then
            result one-host PASS "memcheck runs here and is gone from $PEER"
        else result one-host FAIL "$PEER still lists memcheck: $(grep memcheck /tmp/peer-list.txt)"; fi
        finish
    fi
    # Post-copy as an administrator starts it with Xen's own command: `xl migrate --postcopy` through patches/xl/xl,
    # which hands it to `xlpc migrate` (pre-copy and hybrid go to xlpc directly).
    XL_REAL=/usr/lib/xen-4.17/bin/xl
    if [ "$FIRST" = postcopy ]; then MIGRATE="env XL_REAL=$XL_REAL /opt/xlpc/share/xlpc/xl migrate"
    else MIGRATE="xlpc migrate"; fi
    TMO=1500 step $MIGRATE $HOW --no-verify --json memcheck $PEER > /tmp/$FIRST.json
    cat /tmp/$FIRST.json
    if grep -q '"pagesTransferred"' /tmp/$FIRST.json && ! xl domid memcheck >/dev/null 2>&1; then
        result $FIRST PASS "$(tr -d '\n ' < /tmp/$FIRST.json | grep -o '"\(downtimeMs\|totalMigrationMs\|prepareMs\|pagesTransferred\|pagesSkippedBallooned\|networkFaults\|duplicatePages\|rounds\|cuts\|pausedMs\|pagesResent\)":[0-9.]*' | tr '\n' ' ')"
        # The push's batches, one line per run of it (a cut starts another): their number and mean size say
        # whether a slow run sent small ones, each frame costing both ends a share that does not shrink with it.
        grep -a 'outgoing .*: push ' /var/log/xlpc-daemon.log | sed 's/.*: push /push /' | while read -r line; do
            log "$line"
        done
        if [ -n "$(arg cut)" ]; then
            # run.sh cut: the report must say the session paused for the cut and was mended, not that none came.
            cuts=$(tr -d '\n ' < /tmp/$FIRST.json | grep -o '"cuts":[0-9]*' | cut -d: -f2)
            if [ "${cuts:-0}" -ge 1 ]; then result cut-mended PASS "$cuts cut(s), mended by reconnecting; the post-copy completed"
            else result cut-mended FAIL "the report counts no cut: the link was not cut while pages were still coming"; fi
        fi
    else
        result $FIRST FAIL "$(tail -3 /tmp/$FIRST.json | tr '\n' ' ')"; tail -30 /var/log/xlpc-daemon.log | sed 's/^/LAB:   | /'
        finish
    fi
    # back=0 (run.sh paper): one hop only; a 1 GiB guest's pre-copy back would outlast QEMU's timeout under TCG.
    [ "$(arg back)" = 0 ] && finish
    # The baseline, back the other way: the destination's daemon sends it home by pre-copy.
    FROM=$(($(wc -l < "$CON") + 1))
    TMO=1500 step xlpc -H $PEER migrate memcheck $ME --precopy --no-verify --json > /tmp/precopy.json
    cat /tmp/precopy.json
    if grep -q '"pagesTransferred"' /tmp/precopy.json && xl domid memcheck >/dev/null 2>&1; then
        result precopy PASS "$(tr -d '\n ' < /tmp/precopy.json | grep -o '"\(downtimeMs\|totalMigrationMs\|prepareMs\|pagesTransferred\|rounds\)":[0-9.]*' | tr '\n' ' ')"
        guest_checks precopy "$FROM"
    else
        result precopy FAIL "$(tail -3 /tmp/precopy.json | tr '\n' ' ')"; tail -40 /var/log/xlpc-daemon.log | sed 's/^/LAB:   daemon| /'
    fi
    finish
fi
if has migrate-dst; then
    log "===== two-host migration: destination ====="
    link 2 1
    start_daemon $ME
    # It exists (paused) from the prepare on; it has arrived when it runs: after the last pre-copy round, or at
    # once after prepare for post-copy.
    if wait_for 1500 "the migrated guest to arrive" running_here; then
        log "memcheck arrived as domain $(xl domid memcheck)"
        guest_checks $FIRST 1
        # patches/xen/0001: the resume's vcpu_info / FIFO event pages that had to wait for the pager
        log "resume waited for paged-out pages: $(xl dmesg | grep -c 'paged out; retrying'); $(xl dmesg | grep 'paged out; retrying' | head -3 | tr '\n' ' ')"
    else
        result postcopy-arrival FAIL "no memcheck domain arrived"; tail -30 /var/log/xlpc-daemon.log | sed 's/^/LAB:   | /'; finish
    fi
    if [ -n "$(arg cut)" ]; then
        # run.sh cut: this host's link goes down mid post-copy for cut= seconds, longer than the stall limit, so
        # both sides call it a cut and pause; the guest runs on here on its lease, a vCPU that needs a page still
        # at the source waiting for it. The source reconnects on its own once the link is back.
        CUT_AT=$(arg cut_at); sleep "${CUT_AT:-30}"
        if grep -q 'session .*: complete;' /var/log/xlpc-daemon.log; then
            result cut-timing FAIL "post-copy completed before the cut: nothing to cut (lower link_mbps)"
        fi
        ip link set "$NIC" down && log "link $NIC cut for $(arg cut) s" || result cut FAIL "could not take $NIC down"
        sleep "$(arg cut)"
        ip link set "$NIC" up; log "link $NIC up again"
        grep -iE 'pause|cut|reconnect|resum' /var/log/xlpc-daemon.log | tail -8 | sed 's/^/LAB:   | /'
    fi
    if [ -n "$(arg kill)" ]; then
        # run.sh failback: SIGKILL this host's daemon kill=SECONDS after the guest arrived, mid post-copy. Its exit
        # fence pauses the guest at once (on Xen a domain outlives its daemon); the source waits out the lease and
        # takes the guest back; a new daemon here asks the source, hears so, and destroys the paused copy.
        sleep "$(arg kill)"
        if grep -q 'session .*: complete;' /var/log/xlpc-daemon.log; then
            result failback-kill FAIL "post-copy completed before the kill: nothing to fail back (lower link_mbps)"
        fi
        # The daemon says when the first checkpoint reaches the source and when taking them spaces them wider.
        grep -i 'checkpoint' /var/log/xlpc-daemon.log | tail -8 | sed 's/^/LAB:   | /'
        fences() { ps -eo pid,args | grep -c "[t]rap '' HUP INT TERM PIPE"; }
        log "the exit fence: $(fences) process(es); killing the daemon"
        DPID=$(ss -Htlnp "( sport = :7410 )" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
        [ -n "$DPID" ] && kill -9 "$DPID"
        log "SIGKILLed the daemon (pid ${DPID:-none found}); the fence: $(fences) process(es) left"
        paused_here() { xl list memcheck 2>/dev/null | awk 'NR==2{exit !($5 ~ /p/)} END{if (NR<2) exit 1}'; }
        if wait_for 30 "the exit fence to pause the guest" paused_here; then
            result fence PASS "the daemon was SIGKILLed; memcheck stands paused here: $(xl list memcheck | awk 'NR==2{print $5}')"
        else result fence FAIL "memcheck still runs here without its daemon: $(xl list memcheck 2>&1 | tail -1)"; fi
        mv /var/log/xlpc-daemon.log /var/log/xlpc-daemon.killed.log
        start_daemon $ME
        gone() { ! xl domid memcheck >/dev/null 2>&1; }
        if WATCH=/var/log/xlpc-daemon.log wait_for 900 "the restarted daemon to destroy the taken-back copy" gone; then
            result taken-back PASS "$(grep -m1 'taken back' /var/log/xlpc-daemon.log | sed 's/.*session/session/')"
        else result taken-back FAIL "memcheck is still here: $(xl list memcheck 2>&1 | tail -1)"; fi
        tail -20 /var/log/xlpc-daemon.log | sed 's/^/LAB:   | /'
        client_gone() { [ -z "$(ss -Htn state established "( sport = :7410 )" 2>/dev/null)" ]; }
        wait_for 300 "the other host's client to hang up" client_gone
        finish
    fi
    if [ "$(arg back)" = 0 ]; then
        # One hop: done when the last page has landed here (the source's report then says PASS), alive and clean.
        complete() { grep -q 'session .*: complete;' /var/log/xlpc-daemon.log; }
        if WATCH=/var/log/xlpc-daemon.log wait_for 2000 "the post-copy to complete" complete; then
            result postcopy-complete PASS "$(grep -m1 'session .*: complete;' /var/log/xlpc-daemon.log | sed 's/.*session/session/')"
            guest_checks after-postcopy "$(($(wc -l < "$CON") + 1))"
        else result postcopy-complete FAIL "no completion in the daemon log"; fi
        tail -20 /var/log/xlpc-daemon.log | sed 's/^/LAB:   | /'
        client_gone() { [ -z "$(ss -Htn state established "( sport = :7410 )" 2>/dev/null)" ]; }
        wait_for 300 "the other host's daemon to hang up" client_gone
        finish
    fi
    # The source sends it back by pre-copy; this host is done when it has left - alive, not by crashing.
    DOM=$(xl domid memcheck 2>/dev/null); FROM=$(($(wc -l < "$CON") + 1))
    if wait_for 900 "the guest to leave again" gone_or_died "$DOM" "$FROM"; then
        if died "$DOM" "$FROM"; then
            result precopy-departure FAIL "memcheck (domain $DOM) died here instead of leaving: $(died "$DOM" "$FROM" | head -1)"
            post_mortem "$DOM" "$FROM"
        else result precopy-departure PASS "memcheck left"; fi
    else result precopy-departure FAIL "memcheck is still here"; fi
    tail -20 /var/log/xlpc-daemon.log | sed 's/^/LAB:   | /'
    # The other host's `xlpc -H` client still waits for this daemon's report: stay up until it has hung up.
    client_gone() { [ -z "$(ss -Htn state established "( sport = :7410 )" 2>/dev/null)" ]; }
    wait_for 300 "the other host's xlpc client to hang up" client_gone
    finish
fi

if has soak; then
    # The emulated platform alone: the guest runs memcheck, nothing of ours runs. soak=SECONDS (default 600).
    SOAK=$(sed -n 's/.* soak=\([0-9]*\).*/\1/p' /proc/cmdline); SOAK=${SOAK:-600}
    log "===== soak: the PVH guest alone for ${SOAK}s ====="
    boot_guest
    # busy=N on the kernel command line: dom0 is not idle meanwhile - N shell loops compressing zeros, and (N > 0)
    # the native daemon answering `xlpc list` every 5 s, as in the other scenarios (is a busy dom0 what kills it?)
    BUSY=$(sed -n 's/.* busy=\([0-9]*\).*/\1/p' /proc/cmdline)
    if [ "${BUSY:-0}" -gt 0 ]; then
        for i in $(seq 1 "$BUSY"); do ( while :; do head -c 64M /dev/zero | gzip -1 > /dev/null; done ) & done
        xlpc daemon --native --xl-config-dir $CFGDIR > /var/log/xlpc-daemon.log 2>&1 &
        ( while sleep 5; do xlpc list > /dev/null 2>&1; done ) &
        log "dom0 busy: $BUSY compressors, the daemon and a list every 5 s"
    fi
    T0=$(up); END=$(awk -v a="$T0" -v s="$SOAK" 'BEGIN{print int(a+s)}')
    alive_for() { awk -v a="$(up)" -v b="$T0" 'BEGIN{printf "%.0f", a-b}'; }
    while [ "$(cut -d. -f1 /proc/uptime)" -lt "$END" ] && ! died "$DOM" 1 >/dev/null && running_here; do sleep 10; done
    if died "$DOM" 1 >/dev/null || ! running_here; then
        result soak FAIL "the guest stopped after $(alive_for)s of ${SOAK}s ($(ticks) memcheck ticks): $(died "$DOM" 1)"
        post_mortem "$DOM" 1
    else result soak PASS "alive for ${SOAK}s: $(ticks) memcheck ticks, last: $(grep 'MEMCHECK tick' "$CON" | tail -1)"; fi
    if [ "$(mismatches)" = 0 ]; then result soak-memcheck PASS "no MEMCHECK MISMATCH"
    else result soak-memcheck FAIL "$(grep -m3 'MEMCHECK MISMATCH' "$CON" | tr '\n' ' ')"; fi
    finish
fi

# ---- one host: the native bindings against the real hypervisor ----------------------------------------
# ---- the guest ---------------------------------------------------------------------------------------------
step xl create /root/guest/memcheck.cfg
if wait_for 240 "the guest's memcheck to tick" grep -q 'MEMCHECK tick' "$CON"; then
    DOM=$(xl domid memcheck)
    result guest-boot PASS "PVH domain $DOM; $(grep -m1 'MEMCHECK start' "$CON")"
else
    result guest-boot FAIL "no MEMCHECK tick on the guest console"; tail -20 "$CON"; finish
fi
step xl list

# ---- xen-postcopy's native daemon --------------------------------------------------------------------------
T0=$(up)
xlpc daemon --native > /var/log/xlpc-daemon.log 2>&1 &
if WATCH=/var/log/xlpc-daemon.log wait_for 300 "xlpc daemon --native" grep -q '^listening on' /var/log/xlpc-daemon.log; then
    result daemon PASS "listening after $(awk -v a="$(up)" -v b="$T0" 'BEGIN{printf "%.0f", a-b}')s: $(grep 'xlpc daemon:' /var/log/xlpc-daemon.log | head -1)"
else
    result daemon FAIL "see the daemon log below"; head -40 /var/log/xlpc-daemon.log | sed 's/^/LAB:   | /'; finish
fi

xlpc list > /tmp/list.txt 2>&1; cat /tmp/list.txt
if grep -q 'memcheck' /tmp/list.txt && grep -q 'Domain-0' /tmp/list.txt; then
    result list PASS "$(grep memcheck /tmp/list.txt | tr -s ' ')"
else result list FAIL "$(cat /tmp/list.txt | tr '\n' ' ')"; fi

# ---- mem-set: xl's semantics through our daemon; the guest's real balloon driver follows -------------------
XS=/local/domain/$DOM
guest_total() { xenstore-read $XS/data/meminfo_total 2>/dev/null || echo 0; }
below() { [ "$(guest_total)" -gt 0 ] && [ "$(guest_total)" -lt "$1" ]; }
above() { [ "$(guest_total)" -ge "$1" ]; }
wait_for 60 "the guest's meminfo report" xenstore-read $XS/data/meminfo_total
BEFORE=$(guest_total)
step xlpc mem-set memcheck 96
TARGET=$(xenstore-read $XS/memory/target)
if [ "$TARGET" = 98304 ] && wait_for 90 "the balloon to inflate" below $((BEFORE - 16384)); then
    DOWN=$(guest_total)
    step xlpc mem-set memcheck 128
    if wait_for 90 "the balloon to deflate" above $((BEFORE - 4096)); then
        result mem-set PASS "target 98304 KiB: guest MemTotal ${BEFORE} -> ${DOWN} kB; back to 128 MiB: $(guest_total) kB"
    else result mem-set FAIL "guest MemTotal stayed at $(guest_total) kB after mem-set 128"; fi
else
    result mem-set FAIL "target=$TARGET, guest MemTotal ${BEFORE} -> $(guest_total) kB"
fi
step xlpc mem-set memcheck 200 && result mem-set-limit FAIL "200 MiB above static-max was accepted" \
    || result mem-set-limit PASS "200 MiB above static-max refused"
snapshot

# ---- DSB: the controller over the real xenstored and the guest's reports -----------------------------------
target() { xenstore-read $XS/memory/target; }
target_below() { [ "$(target)" -lt "$1" ]; }
step xlpc dsb start memcheck
if wait_for 120 "self-ballooning to lower the target" target_below 131072; then
    LOWEST=$(target)
    step xlpc dsb status memcheck
    step xlpc dsb stop memcheck
    if [ "$(target)" = 131072 ]; then
        result dsb PASS "target lowered to $LOWEST KiB from the guest's reports; restored to 131072 on stop"
    else result dsb FAIL "target $(target) KiB after stop, expected 131072"; fi
else
    step xlpc dsb status memcheck; step xlpc dsb stop memcheck
    result dsb FAIL "target never went below 131072 KiB"
fi
wait_for 90 "the balloon to deflate after DSB" above $((BEFORE - 4096))

# ---- the Java pager against the real paging interface ------------------------------------------------------
TB=$(($(wc -l < "$CON") + 1))
TMO=300 step xlpc page-out memcheck 16384 --hold 20 | tee /tmp/pageout.txt
xl debug-keys q >/dev/null 2>&1; xl dmesg | grep -a 'paged_pages' | tail -1
if grep -q '^paged out' /tmp/pageout.txt; then
    EV=$(sed -n 's/^paged out \([0-9]*\) of.*/\1/p' /tmp/pageout.txt)
    LF=$(sed -n 's/.* \([0-9]*\) pages loaded on fault.*/\1/p' /tmp/pageout.txt)
    LE=$(sed -n 's/.* \([0-9]*\) loaded back at the end.*/\1/p' /tmp/pageout.txt)
    if [ "${EV:-0}" -gt 0 ] && [ $((LF + LE)) = "$EV" ]; then
        result page-out PASS "$(grep '^paged out' /tmp/pageout.txt)"
    else result page-out FAIL "evicted=$EV loaded on fault=$LF at end=$LE: $(grep '^paged out' /tmp/pageout.txt)"; fi
else
    result page-out FAIL "$(tr '\n' ' ' < /tmp/pageout.txt)"
    log "xlpc daemon log (tail):"; tail -20 /var/log/xlpc-daemon.log
fi
TA=$(($(wc -l < "$CON") + 1))
if wait_for 60 "the checker to tick again" ticks_since "$TA" 3; then
    result guest-alive PASS "memcheck ticked $(tail -n +"$TB" "$CON" | grep -c 'MEMCHECK tick') times during the page-out and on after it"
else result guest-alive FAIL "memcheck stopped ticking (last: $(grep 'MEMCHECK tick' "$CON" | tail -1))"; fi
log "guest console (tail):"; tail -4 "$CON"
if [ "$(mismatches)" = 0 ]; then result memcheck PASS "$(grep 'MEMCHECK tick' "$CON" | tail -1)"
else result memcheck FAIL "$(grep -m3 'MEMCHECK MISMATCH' "$CON" | tr '\n' ' ')"; fi

step xl destroy memcheck
finish
