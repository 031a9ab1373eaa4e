#!/usr/bin/env bash
# The cluster lab: N `xlpc daemon` processes, each in its own network namespace, joined by veth pairs on a bridge
# that lives in a namespace of its own, every host's link shaped by tc (rate, latency, loss). Nothing of it is in
# the namespace this script runs in: the lab's traffic never leaves its namespaces, and deleting them deletes
# every veth and the bridge with them. Needs root, iproute2 (ip, tc) and a kernel with network namespaces.
#
#   tests/cluster/run.sh --hosts 4                 # start, print how to reach each daemon, stay up until Ctrl-C
#   tests/cluster/run.sh --scenario                # 3 hosts: create a guest on h1, post-copy it to h2, pre-copy
#                                                  #   it to h3, check both migrations verified; exit 0 on PASS
#   tests/cluster/run.sh --scenario concurrent     # 3 hosts, 8 guests: each migrated alone, then all 8 at once, over
#                                                  #   a FIFO link queue and over one with a band for demand pages
#   tests/cluster/run.sh --scenario evacuate       # 3 hosts: six guests (512 MiB-2 GiB, mixed workloads) on h1,
#                                                  #   xlpc evacuate h1 --to h2,h3; time against the link's limit
#                                                  #   (--warm: one guest round the daemons first, as in service)
#   tests/cluster/run.sh --down                    # remove what runs no longer alive left behind (after kill -9)
#   tests/cluster/run.sh --check                   # can the lab run here? exit 0, or 3 with the reason
# Run `tests/cluster/run.sh --help` for every option.
set -euo pipefail

# A shell started in the background by a non-interactive one inherits SIGINT ignored, and bash cannot trap a signal
# ignored at entry: start again with SIGINT at its default, so Ctrl-C or kill -INT always tears the lab down.
if [ -z "${XLPC_CLUSTER_SIGINT_RESET:-}" ] && (( 16#$(awk '/^SigIgn:/ {print $2}' /proc/$$/status) & 2 )); then
    XLPC_CLUSTER_SIGINT_RESET=1 exec env --default-signal=INT "$0" "$@"
fi

here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

# Every namespace of a run is named xlpc-<run>-sw (the bridge) or xlpc-<run>-h<i> (host i); <run> is unique per
# run, so parallel runs and leftovers never collide. Owner files say which process a run belongs to, for --down.
PREFIX=xlpc
OWNERS=/run/xlpc-cluster
SUBNET=10.77.0           # the same in every run: each run's bridge is in a namespace of its own
PORT=7410

hosts=""
rate=1gbit
delay=0.2ms
loss=0%
delay_given=0
loss_given=0
rate_given=0
mode=up
run=""
down_target=""
memory=128
workload=stress-write:32M
memory_given=0
workload_given=0
scenario=basic
guests=8
rounds=alone-fifo,together-fifo,alone-demand,together-demand
migrate_flags=""
warm=0
keep=0

usage() {
    cat <<EOF
Usage: tests/cluster/run.sh [--hosts N] [--rate R] [--delay D] [--loss P] [--scenario [concurrent|evacuate]] [--warm] [--run-id ID] [--keep-work]
       tests/cluster/run.sh --down [RUN-ID]
       tests/cluster/run.sh --check

Starts N xlpc daemons (default 3; at most 200), each in its own network namespace (xlpc-<run>-h<i>, address
$SUBNET.<i>:$PORT), joined by veth pairs on a bridge in namespace xlpc-<run>-sw, with mutual TLS (a lab CA from
xlpc tls init). Each host's outgoing link is shaped by tc: netem for latency and loss, tbf for the rate.
Everything is torn down on exit, Ctrl-C or SIGTERM.

  --hosts N       number of hosts (default 3)
  --rate R        link rate, tc units: 100mbit, 1gbit, 10gbit (default $rate)
  --delay D       one-way latency each host adds to what it sends, tc units: 0.2ms, 1ms, 500us (default $delay)
  --loss P        packet loss on each host's outgoing link, percent: 0%, 0.1% (default $loss)
  --scenario      run the scripted scenario on hosts h1..h3 (needs --hosts >= 3), then tear down; exit 0 on PASS
  --scenario concurrent
                  on hosts h1..h3, --guests guests (h1, h2, h3, h1, ...), each stepping to the next host (h1->h2->h3->h1)
                  in four rounds: one at a time, then all at once, over a FIFO link queue; the same two over a link
                  queue with a first band for demand pages (IP TOS 0x10). Prints per migration pages, MB/s, fault
                  latency p50/p99, the pager's p99 by what brought the page (a fetch or the push), verified; the
                  p99 ratio all-at-once/alone; Jain's index. Exit 0 if every migration verified and every guest is
                  on exactly its one host after each round. Defaults there: --rate 100mbit, --memory 64, --workload
                  kernel-compile
  --scenario evacuate
                  on hosts h1..h3 (h1 8 GiB for guests, h2 and h3 4 GiB each): six guests on h1 (2048 MiB
                  kernel-compile, 1536 stress-write:512M, 1024 stress-read:512M, 1024 netperf, 768 idle,
                  512 stress-write:128M), then xlpc evacuate h1 --to h2,h3 (--migrate-flags for more, e.g.
                  "--precopy" or "--parallel 4"). Prints each guest's placement, bytes, time, downtime and
                  degradation, and the total against the physical limit: the bytes DSB left to send / the link
                  rate. Exit 0 if every guest moved, verified, is on exactly its destination, and no destination
                  holds more than its memory
  --guests N      the concurrent scenario's guests (default $guests)
  --rounds LIST   the concurrent scenario's rounds, in order, of alone-fifo, together-fifo, alone-demand,
                  together-demand (default $rounds)
  --migrate-flags "F"  more flags for each round's xlpc migrate-many, e.g. "--checkpoint-ms 0", or for the
                  evacuate scenario's xlpc evacuate
  --memory MiB    the scenario guest's memory (default $memory)
  --workload W    the scenario guest's workload (default $workload)
  --run-id ID     name this run (letters, digits; default: random); namespaces are xlpc-ID-*
  --keep-work     keep the work directory (logs, TLS credentials, configs) after teardown
  --warm          before the evacuate scenario, warm the daemons as a daemon in service is: one 256 MiB guest
                  goes h1 -> h2 -> h3 -> h1 and is destroyed (fresh JVMs spend much of the 2 CPUs compiling)
  --down [ID]     tear down run ID, or without ID every run whose script is no longer alive
  --check         exit 0 if the lab can run here, else print why and exit 3

Environment: XLPC_JAR=path/to/xlpc.jar runs that jar with this JDK instead of ./xlpc (which builds if needed).
XLPC_JAVA_OPTS replaces the daemons' JVM options (default: -Xmx512m -XX:MaxDirectMemorySize=2g; keep a direct-memory
limit as large: busy guests' checkpoints are held there). Other commands (create, migrate, evacuate, list ...) run
on the JVM ./xlpc gives them: C1 alone and the serial collector.
Without a netem qdisc in the kernel (CONFIG_NET_SCH_NETEM), only the rate is applied: an explicit --delay or
--loss is then an error, the defaults are dropped with a warning.
EOF
}

die() { echo "cluster: $*" >&2; exit 1; }
usage_error() { echo "cluster: $*" >&2; echo "run tests/cluster/run.sh --help for the options" >&2; exit 2; }
say() { echo "cluster: $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --hosts) hosts="${2:?--hosts needs a number}"; shift 2 ;;
        --rate) rate="${2:?--rate needs a value}"; rate_given=1; shift 2 ;;
        --delay) delay="${2:?--delay needs a value}"; delay_given=1; shift 2 ;;
        --loss) loss="${2:?--loss needs a value}"; loss_given=1; shift 2 ;;
        --scenario) mode=scenario
            if [ $# -gt 1 ] && { [ "$2" = concurrent ] || [ "$2" = evacuate ] || [ "$2" = basic ]; }; then scenario="$2"; shift; fi
            shift ;;
        --guests) guests="${2:?--guests needs a number}"; shift 2 ;;
        --rounds) rounds="${2:?--rounds needs a list}"; shift 2 ;;
        --migrate-flags) migrate_flags="${2?--migrate-flags needs flags}"; shift 2 ;;
        --memory) memory="${2:?--memory needs MiB}"; memory_given=1; shift 2 ;;
        --workload) workload="${2:?--workload needs a spec}"; workload_given=1; shift 2 ;;
        --run-id) run="${2:?--run-id needs an id}"; shift 2 ;;
        --keep-work) keep=1; shift ;;
        --warm) warm=1; shift ;;
        --down) mode=down; if [ $# -gt 1 ] && [ "${2#-}" = "$2" ]; then down_target="$2"; shift; fi; shift ;;
        --check) mode=check; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage_error "unknown option '$1'" ;;
    esac
done

# ---------------------------------------------------------------------------------------------------------------
# Can it run here?

# Prints the reason the lab cannot run here and returns 1, or returns 0.
prerequisites() {
    if [ "$(id -u)" != 0 ]; then
        echo "the cluster lab needs root (network namespaces, veth, tc); run it as root or under sudo"; return 1
    fi
    local tool
    for tool in ip tc; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "'$tool' is missing: install iproute2 (apt-get install iproute2)"; return 1
        fi
    done
    local probe="$PREFIX-probe$$"
    if ! ip netns add "$probe" 2>/dev/null; then
        echo "network namespaces are not permitted here ('ip netns add' failed)"; return 1
    fi
    local why=""
    if ! ip -n "$probe" link add br0 type bridge 2>/dev/null; then
        why="the kernel refuses a bridge inside a network namespace (CONFIG_BRIDGE)"
    elif ! ip -n "$probe" link add v0 type veth peer name v1 2>/dev/null; then
        why="the kernel refuses veth pairs (CONFIG_VETH)"
    elif ! tc -n "$probe" qdisc add dev v0 root tbf rate 1gbit burst 128k latency 50ms 2>/dev/null; then
        why="the kernel has no tbf qdisc (CONFIG_NET_SCH_TBF), so links cannot be rate-limited"
    fi
    ip netns del "$probe" 2>/dev/null || true
    if [ -n "$why" ]; then
        echo "$why"; return 1
    fi
    return 0
}

if [ "$mode" = check ]; then
    if reason="$(prerequisites)"; then
        echo "cluster: the lab can run here"; exit 0
    fi
    echo "cluster: cannot run here: $reason"; exit 3
fi

if ! reason="$(prerequisites)"; then
    die "cannot run here: $reason"
fi

# ---------------------------------------------------------------------------------------------------------------
# Teardown: by run id, from what the kernel knows (namespaces, the processes in them), so it works as well for
# this run's own trap as for --down after a kill -9.

namespaces_of() {   # every namespace of run $1
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$PREFIX-$1-(sw|h[0-9]+)\$" || true
}

all_runs() {   # every run id that has a namespace or an owner file
    {
        ip netns list 2>/dev/null | awk '{print $1}' | sed -nE "s/^$PREFIX-([A-Za-z0-9]+)-(sw|h[0-9]+)\$/\1/p"
        if [ -d "$OWNERS" ]; then
            find "$OWNERS" -maxdepth 1 -name '*.owner' -printf '%f\n' | sed 's/\.owner$//'
        fi
    } | sort -u
}

owner_alive() {   # is the script that made run $1 still running?
    local file="$OWNERS/$1.owner" pid
    [ -f "$file" ] || return 1
    pid="$(awk 'NR==1 {print $1}' "$file")"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'cluster/run.sh'
}

teardown_run() {   # stop the daemons of run $1, delete its namespaces, its owner file and its work directory
    local id="$1" ns pids=() p deadline
    for ns in $(namespaces_of "$id"); do
        for p in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$p"); done
    done
    if [ ${#pids[@]} -gt 0 ]; then
        # SIGTERM first: a daemon detaches its domains and closes its connections; SIGKILL whatever is left.
        kill -TERM "${pids[@]}" 2>/dev/null || true
        deadline=$(( $(date +%s) + 30 ))
        for p in "${pids[@]}"; do
            while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
            kill -KILL "$p" 2>/dev/null || true
        done
    fi
    for ns in $(namespaces_of "$id"); do
        ip netns del "$ns" 2>/dev/null || echo "cluster: could not delete namespace $ns" >&2
    done
    local owner="$OWNERS/$id.owner" work
    if [ -f "$owner" ]; then
        work="$(awk 'NR==1 {print $2}' "$owner")"
        if [ -n "$work" ] && [ -d "$work" ] && [ "$(awk 'NR==1 {print $3}' "$owner")" != keep ]; then
            rm -rf "$work"
        fi
        rm -f "$owner"
    fi
}

if [ "$mode" = down ]; then
    removed=0
    for id in $(all_runs); do
        if [ -n "$down_target" ] && [ "$id" != "$down_target" ]; then continue; fi
        if [ -z "$down_target" ] && owner_alive "$id"; then
            say "run $id is still running (its script is alive); leaving it"; continue
        fi
        teardown_run "$id"
        say "removed run $id"
        removed=$((removed + 1))
    done
    [ "$removed" -gt 0 ] || say "nothing to remove"
    exit 0
fi

# ---------------------------------------------------------------------------------------------------------------
# Options, checked before anything is made.

if [ -z "$hosts" ]; then hosts=3; fi
[[ "$hosts" =~ ^[0-9]+$ ]] && [ "$hosts" -ge 1 ] && [ "$hosts" -le 200 ] || usage_error "--hosts must be 1..200, not '$hosts'"
if [ "$mode" = scenario ] && [ "$hosts" -lt 3 ]; then usage_error "--scenario needs at least 3 hosts"; fi
if [ "$mode" = scenario ] && [ "$scenario" = concurrent ]; then
    # Slow enough links that the links, not this machine's CPUs, are what the migrations share; guests small
    # enough that sixteen one-at-a-time migrations take a minute or two.
    [ "$rate_given" = 1 ] || rate=100mbit
    [ "$memory_given" = 1 ] || memory=64
    [ "$workload_given" = 1 ] || workload=kernel-compile
    [[ "$guests" =~ ^[0-9]+$ ]] && [ "$guests" -ge 1 ] && [ "$guests" -le 64 ] || usage_error "--guests must be 1..64, not '$guests'"
    for r in ${rounds//,/ }; do
        [[ "$r" =~ ^(alone|together)-(fifo|demand)$ ]] || usage_error "--rounds takes alone-fifo, together-fifo, alone-demand, together-demand, not '$r'"
    done
    command -v jq >/dev/null 2>&1 || die "the concurrent scenario reads the reports with jq: apt-get install jq"
fi
if [ "$warm" = 1 ] && { [ "$mode" != scenario ] || [ "$scenario" != evacuate ]; }; then
    usage_error "--warm goes with --scenario evacuate"
fi
if [ "$mode" = scenario ] && [ "$scenario" = evacuate ]; then
    command -v jq >/dev/null 2>&1 || die "the evacuate scenario reads the report with jq: apt-get install jq"
    # Room for the guests on h1, and on h2 and h3 together, but not on either alone: placement has to choose.
    daemon_memory=(8192 4096 4096)
fi
[[ "$rate" =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]] || usage_error "--rate must look like 100mbit or 1gbit, not '$rate'"
case "${BASH_REMATCH[2]}" in
    bit) unit=1 ;;
    kbit) unit=1000 ;;
    mbit) unit=1000000 ;;
    gbit) unit=1000000000 ;;
esac
rate_bits=$(( BASH_REMATCH[1] * unit ))
[ "$rate_bits" -gt 0 ] || usage_error "--rate must be above 0"
[[ "$delay" =~ ^[0-9]+(\.[0-9]+)?(us|ms|s)$ ]] || usage_error "--delay must look like 0.2ms, 1ms or 500us, not '$delay'"
[[ "$loss" =~ ^[0-9]+(\.[0-9]+)?%$ ]] || usage_error "--loss must look like 0% or 0.5%, not '$loss'"
[[ "$memory" =~ ^[0-9]+$ ]] || usage_error "--memory must be MiB, not '$memory'"
if [ -z "$run" ]; then run="r$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"; fi
[[ "$run" =~ ^[A-Za-z0-9]{1,20}$ ]] || usage_error "--run-id must be 1-20 letters or digits, not '$run'"
if [ -n "$(namespaces_of "$run")" ]; then die "run $run exists already (tests/cluster/run.sh --down $run removes it)"; fi

is_zero() { [[ "$1" =~ ^0+(\.0+)?(us|ms|s|%)$ ]]; }

# tbf's bucket: 1 ms of the rate, at least 64 KiB (so a full GSO packet over veth passes whole), at most 16 MiB.
burst=$(( rate_bits / 8 / 1000 ))
if [ "$burst" -lt 65536 ]; then burst=65536; fi
if [ "$burst" -gt 16777216 ]; then burst=16777216; fi

# The xlpc command: the jar a caller names, else the repository's wrapper, which builds on first use. The daemons: a
# small heap, but the direct memory of an installed daemon (its -Xmx2g allows 2 GiB): a busy guest's checkpoints are
# copies of what it dirtied, held there, and at 512 MiB two busy guests arriving at one host exhausted it. Every
# other command (xlpc_cli) runs as the wrapper runs it: C1 alone and the serial collector, as it only talks to a
# daemon (see ./xlpc).
java_opts="${XLPC_JAVA_OPTS:--Xmx512m -XX:MaxDirectMemorySize=2g}"
if [ -n "${XLPC_JAR:-}" ]; then
    [ -f "$XLPC_JAR" ] || die "XLPC_JAR=$XLPC_JAR does not exist"
    read -ra java_words <<<"$java_opts"
    xlpc=(java "${java_words[@]}" -jar "$(readlink -f "$XLPC_JAR")")
    # The options ./xlpc and packaging/bin/xlpc give a command that is not daemon, lab or bench.
    xlpc_cli=(java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$(readlink -f "$XLPC_JAR")")
else
    xlpc=(env "XLPC_JAVA_OPTS=$java_opts" "$repo/xlpc")
    xlpc_cli=(env -u XLPC_JAVA_OPTS "$repo/xlpc")   # the daemons' options are not the commands
    "$repo/xlpc" --version >/dev/null   # build now, once, not in N namespaces at the same time
fi

# ---------------------------------------------------------------------------------------------------------------
# Up.

work="$(mktemp -d "${TMPDIR:-/tmp}/xlpc-cluster-$run.XXXXXX")"
mkdir -p "$OWNERS"
echo "$$ $work $([ "$keep" = 1 ] && echo keep || echo remove)" >"$OWNERS/$run.owner"
daemon_pids=()

on_exit() {
    local rc=$?
    # Ignored, not reset, while the lab comes down: a second Ctrl-C, or the signal timeout(1) sends its whole process
    # group after its child, would otherwise kill the teardown half-way and leave namespaces and daemons behind.
    trap - EXIT
    trap '' INT TERM
    if [ "$rc" != 0 ] && [ "$mode" = scenario ]; then
        for log in "$work"/h*/daemon.log; do
            [ -f "$log" ] || continue
            echo "---- last lines of $log" >&2
            tail -n 20 "$log" >&2 || true
        done
    fi
    teardown_run "$run"
    if [ "$keep" = 1 ]; then say "work directory kept: $work"; fi
    say "run $run torn down"
    exit "$rc"
}
trap on_exit EXIT
# Each ignores both at once: a second signal between this and on_exit's own trap must not cut the teardown short.
trap 'trap "" INT TERM; exit 130' INT
trap 'trap "" INT TERM; exit 143' TERM

sw="$PREFIX-$run-sw"
host_ns() { echo "$PREFIX-$run-h$1"; }
host_names="$(seq -s, -f 'h%g' 1 "$hosts")"

ip netns add "$sw"
ip -n "$sw" link set lo up
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 up

# Latency and loss need netem; without it only the rate is applied (see --help).
netem=1
command -v modprobe >/dev/null 2>&1 && modprobe sch_netem 2>/dev/null || true
if ! tc -n "$sw" qdisc add dev lo root netem delay 0ms 2>/dev/null; then
    netem=0
    if { [ "$delay_given" = 1 ] && ! is_zero "$delay"; } || { [ "$loss_given" = 1 ] && ! is_zero "$loss"; }; then
        die "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM, module sch_netem): --delay and --loss cannot be applied"
    fi
    if ! is_zero "$delay" || ! is_zero "$loss"; then
        echo "cluster: warning: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): links get the rate only," \
             "not the default $delay latency and $loss loss" >&2
    fi
    delay=0ms
    loss=0%
else
    tc -n "$sw" qdisc del dev lo root
fi

for i in $(seq 1 "$hosts"); do
    ns="$(host_ns "$i")"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$sw" link add "p$i" type veth peer name eth0 netns "$ns"
    ip -n "$sw" link set "p$i" master br0 up
    ip -n "$ns" addr add "$SUBNET.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    # Each host shapes what it sends: host to host is one --delay one way, at most --rate per sender.
    if [ "$netem" = 1 ]; then
        tc -n "$ns" qdisc add dev eth0 root handle 1: netem delay "$delay" loss "$loss" limit 100000
        tc -n "$ns" qdisc add dev eth0 parent 1:1 handle 10: tbf rate "$rate" burst "$burst" latency 50ms
    else
        tc -n "$ns" qdisc add dev eth0 root handle 10: tbf rate "$rate" burst "$burst" latency 50ms
    fi
done

"${xlpc_cli[@]}" tls init "$work/tls" --hosts "$host_names" >/dev/null

mkdir -p "$work/bin"
for i in $(seq 1 "$hosts"); do
    mkdir -p "$work/h$i"
    {
        echo "# host h$i of cluster lab run $run (tests/cluster/run.sh)"
        echo "listen = $SUBNET.$i:$PORT"
        echo "daemon = $SUBNET.$i:$PORT"
        echo "tls.dir = $work/tls/h$i"
        echo "tls.allow = $host_names"
        for j in $(seq 1 "$hosts"); do echo "host.h$j = $SUBNET.$j:$PORT"; done
    } >"$work/h$i/xlpc.conf"
    # A command as a user on host i would type it: in its namespace, with its config.
    {
        echo '#!/bin/sh'
        printf 'exec ip netns exec %q' "$(host_ns "$i")"
        printf ' %q' "${xlpc_cli[@]}" --config "$work/h$i/xlpc.conf"
        echo ' "$@"'
    } >"$work/bin/h$i"
    chmod +x "$work/bin/h$i"
    ip netns exec "$(host_ns "$i")" "${xlpc[@]}" --config "$work/h$i/xlpc.conf" daemon --name "h$i" --ephemeral \
        --dsb-interval-ms 500 --memory "${daemon_memory[$((i - 1))]:-0}" >"$work/h$i/daemon.out" 2>"$work/h$i/daemon.log" &
    daemon_pids+=($!)
done

# A daemon is up once it prints its "listening on" line; one that exits first has failed.
for i in $(seq 1 "$hosts"); do
    deadline=$(( $(date +%s) + 120 ))
    until grep -q '^listening on ' "$work/h$i/daemon.out" 2>/dev/null; do
        if ! kill -0 "${daemon_pids[$((i - 1))]}" 2>/dev/null; then
            cat "$work/h$i/daemon.log" >&2
            die "daemon h$i exited before it listened"
        fi
        [ "$(date +%s)" -lt "$deadline" ] || die "daemon h$i did not listen within 120 s (log: $work/h$i/daemon.log)"
        sleep 0.1
    done
done

say "run $run: $hosts hosts on $SUBNET.0/24, links $rate, delay $delay, loss $loss$([ "$netem" = 1 ] || echo ' (no netem in this kernel: rate only)'), mutual TLS"
for i in $(seq 1 "$hosts"); do
    say "  h$i  $SUBNET.$i:$PORT  namespace $(host_ns "$i")  pid ${daemon_pids[$((i - 1))]}  log $work/h$i/daemon.log"
done
say "reach a daemon as a user on that host: $work/bin/h1 list   (or: $work/bin/h1 create vm1 --memory 256;"
say "  $work/bin/h1 migrate vm1 h2)"

if [ "$mode" = up ]; then
    say "ready; Ctrl-C tears it down"
    # Up until a signal, or until a daemon dies on its own (then the lab is broken: say so and tear down).
    set +e
    wait -n "${daemon_pids[@]}"
    rc=$?
    set -e
    die "a daemon exited (status $rc) on its own; see the logs in $work (--keep-work keeps them)"
fi

# ---------------------------------------------------------------------------------------------------------------
# Shared by the scenarios.

h() { local host="$1"; shift; "$work/bin/$host" "$@"; }

field() {   # field NAME FILE: a number or boolean of the report's JSON
    sed -nE "s/^  \"$1\" : ([^,]*),?\$/\1/p" "$2" | head -n 1
}

sent_bytes() {   # sent_bytes HOST-INDEX: bytes host i has sent through its shaped link so far
    tc -n "$(host_ns "$1")" -s qdisc show dev eth0 | sed -nE 's/^ *Sent ([0-9]+) bytes.*/\1/p' | head -n 1
}

# ---------------------------------------------------------------------------------------------------------------
# The concurrent scenario: guests g1..gN on h1, h2, h3, h1, ...; in each round every guest steps to the next host
# (h1 -> h2 -> h3 -> h1), so each host sends and receives at once, as in a cluster rebalancing. Four rounds:
#   alone-fifo       one at a time, each host's link one FIFO queue behind its rate limit (as tbf's in the others)
#   together-fifo    all at once, the same link
#   alone-demand     one at a time, each host's link queue with a first band for demand pages
#   together-demand  all at once, the same link
# The demand band: a class of the link's shaper, served first, that takes what the daemons mark IP TOS 0x10 (low
# delay): the demand connection, both ways (fetch requests and the pages they bring back); pushes and everything else
# wait in the other. Each queue is a byte FIFO as long as tbf's own (50 ms of the rate).

if [ "$scenario" = concurrent ]; then
    queue_bytes=$(( rate_bits / 8 / 20 + burst ))

    # Both modes shape with htb at the link's rate (this kernel class has no prio qdisc; htb is everywhere) over
    # byte FIFOs as long as tbf's queue; with netem, under it as tbf was.
    if [ "$netem" = 1 ]; then shaper_parent="parent 1:1"; else shaper_parent="root"; fi
    rate_kbit=$(( rate_bits / 1000 ))
    link_queue() {   # link_queue fifo|demand: the shaper and queues of every host's link
        local i ns
        for i in $(seq 1 "$hosts"); do
            ns="$(host_ns "$i")"
            tc -n "$ns" qdisc del dev eth0 $shaper_parent 2>/dev/null || true
            tc -n "$ns" qdisc add dev eth0 $shaper_parent handle 2: htb default 20 r2q 400
            tc -n "$ns" class add dev eth0 parent 2: classid 2:1 htb rate "$rate" ceil "$rate" burst "$burst" cburst "$burst"
            if [ "$1" = fifo ]; then
                tc -n "$ns" class add dev eth0 parent 2:1 classid 2:20 htb rate "$rate" ceil "$rate" burst "$burst" \
                    cburst "$burst" quantum 60000 prio 1
            else
                # Demand first: its class is served before the bulk class whenever it has a packet (prio 0), up to
                # half the link without borrowing and all of it with; the bulk class gets the rest.
                tc -n "$ns" class add dev eth0 parent 2:1 classid 2:10 htb rate "$(( rate_kbit / 2 ))kbit" ceil "$rate" \
                    burst "$burst" cburst "$burst" quantum 60000 prio 0
                tc -n "$ns" class add dev eth0 parent 2:1 classid 2:20 htb rate "$(( rate_kbit / 2 ))kbit" ceil "$rate" \
                    burst "$burst" cburst "$burst" quantum 60000 prio 1
                tc -n "$ns" qdisc add dev eth0 parent 2:10 handle 30: bfifo limit "$queue_bytes"
                tc -n "$ns" filter add dev eth0 parent 2: protocol ip prio 1 u32 match ip tos 0x10 0xff flowid 2:10
            fi
            tc -n "$ns" qdisc add dev eth0 parent 2:20 handle 40: bfifo limit "$queue_bytes"
        done
    }

    demand_band_bytes() {   # bytes every host sent through its demand class so far
        local i total=0 b
        for i in $(seq 1 "$hosts"); do
            b="$(tc -n "$(host_ns "$i")" -s class show dev eth0 classid 2:10 | sed -nE 's/^ *Sent ([0-9]+) bytes.*/\1/p' | head -n 1)"
            total=$(( total + ${b:-0} ))
        done
        echo "$total"
    }

    declare -A at    # guest -> the host it is on
    names=()
    for g in $(seq 1 "$guests"); do
        name="g$g"
        home="h$(( (g - 1) % 3 + 1 ))"
        h "$home" create "$name" --memory "$memory" --workload "$workload" --seed "$g" >/dev/null
        at[$name]="$home"
        names+=("$name")
    done
    next_host() { echo "h$(( ${1#h} % 3 + 1 ))"; }

    where_are_they() {   # every guest is on the host at[] says and on no other; dies otherwise
        local i listed name count
        declare -A seen=()
        for i in 1 2 3; do
            listed="$(h "h$i" list)" || die "xlpc list on h$i failed"
            for name in $(awk 'NR > 1 {print $1}' <<<"$listed"); do
                [[ "$name" =~ ^g[0-9]+$ ]] || continue
                seen[$name]="${seen[$name]:-}h$i "
            done
        done
        for name in "${names[@]}"; do
            count=$(wc -w <<<"${seen[$name]:-}")
            [ "$count" = 1 ] || die "$name is on ${count} hosts (${seen[$name]:-none}) after round $1"
            [ "${seen[$name]}" = "${at[$name]} " ] || die "$name is on ${seen[$name]}, not on ${at[$name]}, after round $1"
        done
    }

    declare -A p99 rate
    round() {   # round NAME PARALLEL: every guest to its next host, PARALLEL at a time (0 = all at once)
        local label="$1" parallel="$2" moves=() name json start ms band_before
        for name in "${names[@]}"; do moves+=("$name@${at[$name]}=$(next_host "${at[$name]}")"); done
        json="$work/$label.json"
        band_before="$(demand_band_bytes)"
        say "ROUND $label: ${#moves[@]} migrations, $([ "$parallel" = 0 ] && echo 'all at once' || echo "$parallel at a time")"
        start=$(date +%s%N)
        # The live lines and the table as a user sees them; the JSON for the checks below.
        # shellcheck disable=SC2086 # --migrate-flags are words
        h h1 migrate-many --parallel "$parallel" --baseline-ms 200 $migrate_flags --json-file "$json" "${moves[@]}" \
            | sed -u "s/^/  $label | /" || true
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        [ -s "$json" ] || die "round $label: xlpc migrate-many wrote no report"
        local rows
        rows="$(jq -r '.migrations[] | [.guest, .from, .to, .outcome, (.report.pagesTransferred // 0), .rateMBps,
                (.report.faultLatencyUs.p50 // -1), (.report.faultLatencyUs.p99 // -1), (.report.networkFaults // 0),
                (.report.pagerWaitsByArrival.byFetch.latencyUs.p99 // -1), (.report.pagerWaitsByArrival.byPush.latencyUs.p99 // -1),
                .verified] | @tsv' "$json")"
        # pagerP99us: the pager's p99 wait (off the ring until answered) for pages a fetch's reply brought, and for
        # pages the push brought: which of the two holds a guest's tail.
        local g from to outcome pages mbps p50 p99v faults byfetch bypush verified bad=0
        while IFS=$'\t' read -r g from to outcome pages mbps p50 p99v faults byfetch bypush verified; do
            printf 'cluster: MIGRATION %-16s %-4s %s->%s %-6s pages=%-6s MB/s=%-6.1f faults=%-5s p50us=%-7.0f p99us=%-7.0f pagerP99us=fetch:%.0f,push:%.0f verified=%s\n' \
                "$label" "$g" "$from" "$to" "$outcome" "$pages" "$mbps" "$faults" "$p50" "$p99v" "$byfetch" "$bypush" "$verified"
            p99[$label/$g]="$p99v"
            rate[$label/$g]="$mbps"
            if [ "$outcome" = moved ]; then at[$g]="$to"; fi
            if [ "$verified" != true ]; then bad=1; fi
        done <<<"$rows"
        say "ROUND $label: $(jq -r '.linkShare | "rates min \(.minMBps*10|round/10) median \(.medianMBps*10|round/10) max \(.maxMBps*10|round/10) MB/s; Jain \(.jain*1000|round/1000), of fair shares \(.jainOfShares*1000|round/1000), by sender \(.jainBySender|to_entries|map("\(.key) \(.value*1000|round/1000)")|join(", "))"' "$json") in $ms ms; demand band carried $(( $(demand_band_bytes) - band_before )) bytes"
        where_are_they "$label"
        [ "$bad" = 0 ] || die "round $label: a migration failed or did not verify (report: $json)"
    }

    scenario_start=$(date +%s%N)
    say "SCENARIO concurrent: $guests guests of $memory MiB ($workload) on h1..h3, links $rate each${migrate_flags:+, migrate-many $migrate_flags}; load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
    queue_now=""
    for r in ${rounds//,/ }; do
        if [ "${r#*-}" != "$queue_now" ]; then queue_now="${r#*-}"; link_queue "$queue_now"; fi
        round "$r" "$([ "${r%%-*}" = alone ] && echo 1 || echo 0)"
    done

    for q in fifo demand; do
        [ -n "${p99[alone-$q/${names[0]}]:-}" ] && [ -n "${p99[together-$q/${names[0]}]:-}" ] || continue
        say "SUMMARY $q: p99 fault latency all at once / alone, per guest (same guests, each stepping one host on)"
        printf 'cluster: %-6s %-6s %12s %14s %14s %7s\n' "$q" guest "MB/s at once" "p99 alone" "p99 at once" ratio
        worst=0
        for name in "${names[@]}"; do
            ratio="$(awk -v a="${p99[alone-$q/$name]}" -v t="${p99[together-$q/$name]}" 'BEGIN {printf "%.2f", (a > 0 ? t / a : 0)}')"
            printf 'cluster: %-6s %-6s %12.1f %11.0f us %11.0f us %7s\n' "$q" "$name" "${rate[together-$q/$name]}" \
                "${p99[alone-$q/$name]}" "${p99[together-$q/$name]}" "$ratio"
            worst="$(awk -v a="$worst" -v b="$ratio" 'BEGIN {print (b > a ? b : a)}')"
        done
        say "SCENARIO $q: worst p99 ratio all at once / alone $worst (target: at most 2)"
    done
    say "SCENARIO concurrent: PASS in $(( ($(date +%s%N) - scenario_start) / 1000000 )) ms (every migration verified, every guest on one host after each round); load $(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi

# ---------------------------------------------------------------------------------------------------------------
# The evacuate scenario: six guests on h1, 6.75 GiB in all, emptied onto h2 and h3 (4 GiB each) by one xlpc evacuate.
# The physical limit is the time the link needs for what must cross it: each guest's pages that DSB left to send
# ((vmPages - pagesSkippedBallooned) x 4096 bytes, from its report) over h1's rate.

if [ "$scenario" = evacuate ]; then
    evacuees=("e1 2048 kernel-compile" "e2 1536 stress-write:512M" "e3 1024 stress-read:512M" "e4 1024 netperf"
              "e5 768 idle" "e6 512 stress-write:128M")
    say "SCENARIO evacuate: ${#evacuees[@]} guests on h1 to h2, h3 (memory for guests ${daemon_memory[*]} MiB), links $rate${migrate_flags:+, evacuate $migrate_flags}; load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
    if [ "$warm" = 1 ]; then
        say "warming the daemons: a 256 MiB guest goes h1 -> h2 -> h3 -> h1, then is destroyed"
        h h1 create warm --memory 256 --workload stress-write:64M --seed 99 >/dev/null
        h h1 migrate warm h2 >/dev/null && h h2 migrate warm h3 >/dev/null && h h3 migrate warm h1 >/dev/null \
            || die "the warm-up migration failed; see the logs in $work (--keep-work keeps them)"
        h h1 destroy warm >/dev/null
    fi
    seed=11
    for e in "${evacuees[@]}"; do
        read -r name mib spec <<<"$e"
        h h1 create "$name" --memory "$mib" --workload "$spec" --seed "$seed" >/dev/null
        seed=$(( seed + 1 ))
    done
    json="$work/evacuate.json"
    before=$(sent_bytes 1)
    start=$(date +%s%N)
    # shellcheck disable=SC2086 # --migrate-flags are words
    h h1 evacuate h1 --to h2,h3 --json $migrate_flags >"$json" 2>"$work/evacuate.err" || true
    wall=$(( ($(date +%s%N) - start) / 1000000 ))
    sent=$(( $(sent_bytes 1) - before ))
    jq -e . "$json" >/dev/null 2>&1 || { cat "$work/evacuate.err" >&2; die "xlpc evacuate wrote no report"; }

    printf 'cluster: %-4s %6s %-4s %-9s %11s %9s %9s %9s %10s %12s %11s %s\n' guest MiB to outcome "to send MB" "sent MB" "total s" \
        "waited s" "downtime" "degradation" "verified" reason
    jq -r '.guests[] | [.guest, .sizeMiB, (if .destination == "" then "-" else .destination end), .outcome,
            (if .report then (.report.vmPages - .report.pagesSkippedBallooned) * 4096 / 1e6 else 0 end),
            (if .report then .report.bytesTransferred / 1e6 else 0 end), .totalMigrationMs / 1e3,
            (if .report then (.report.linkWaitMs // 0) / 1e3 else 0 end), .downtimeMs,
            (if .report and .report.mode == "postcopy" and .report.appThroughputBaseline > 0
                and .report.appThroughputDuring >= 0
             then "\((1 - .report.appThroughputDuring / .report.appThroughputBaseline) * 100 | round) %" else "-" end),
            .verified, (.reason // "")] | @tsv' "$json" |
    while IFS=$'\t' read -r g mib to outcome tosend sentmb total waited down degr verified reason; do
        printf 'cluster: %-4s %6s %-4s %-9s %11.0f %9.0f %9.1f %9.1f %7.0f ms %12s %11s %s\n' "$g" "$mib" "$to" "$outcome" \
            "$tosend" "$sentmb" "$total" "$waited" "$down" "$degr" "$verified" "$reason"
    done

    total_ms="$(jq -r .totalMs "$json")"
    to_send="$(jq -r '[.guests[] | select(.report) | (.report.vmPages - .report.pagesSkippedBallooned) * 4096] | add // 0' "$json")"
    limit_ms="$(awk -v b="$to_send" -v r="$rate_bits" 'BEGIN {printf "%.0f", b * 8 / r * 1000}')"
    ratio="$(awk -v t="$total_ms" -v l="$limit_ms" 'BEGIN {printf "%.2f", (l > 0 ? t / l : 0)}')"
    say "SCENARIO evacuate: total $(awk -v t="$total_ms" 'BEGIN {printf "%.1f", t / 1000}') s against a physical limit of $(awk -v l="$limit_ms" 'BEGIN {printf "%.1f", l / 1000}') s ($(( to_send / 1000000 )) MB to send at $rate): ratio $ratio (target: at most 1.2); h1's link sent $(( sent / 1000000 )) MB; the command took $wall ms"

    # Each guest moved, verified, and on its destination alone; no destination holds more than its memory.
    bad="$(jq -r '.guests[] | select(.outcome != "moved" or .verified != true) | .guest' "$json")"
    [ -z "$bad" ] || die "not moved or not verified: $(echo $bad) (report: $json)"
    declare -A placed_mib=()
    for i in 1 2 3; do
        listed="$(h "h$i" list)" || die "xlpc list on h$i failed"
        for e in "${evacuees[@]}"; do
            read -r name mib spec <<<"$e"
            dest="$(jq -r --arg g "$name" '.guests[] | select(.guest == $g) | .destination' "$json")"
            if awk 'NR > 1 {print $1}' <<<"$listed" | grep -qx "$name"; then
                [ "h$i" = "$dest" ] || die "$name is listed on h$i, but evacuate moved it to $dest"
                placed_mib[h$i]=$(( ${placed_mib[h$i]:-0} + mib ))
            elif [ "h$i" = "$dest" ]; then
                die "$name is not listed on h$i, where evacuate says it went"
            fi
        done
    done
    for i in 2 3; do
        [ "${placed_mib[h$i]:-0}" -le "${daemon_memory[$((i - 1))]}" ] \
            || die "h$i holds ${placed_mib[h$i]} MiB of guests in ${daemon_memory[$((i - 1))]} MiB"
    done
    say "SCENARIO evacuate: PASS (every guest moved, verified, on its destination alone; h2 holds ${placed_mib[h2]:-0} MiB of ${daemon_memory[1]}, h3 ${placed_mib[h3]:-0} of ${daemon_memory[2]}); load $(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi

# ---------------------------------------------------------------------------------------------------------------
# The scenario: a guest created on h1, post-copy to h2, pre-copy to h3; each migration must verify.

migrate_step() {   # migrate_step FROM TO MODE-FLAG LABEL
    local from="$1" to="$2" flag="$3" label="$4" json start end
    json="$work/$label.json"
    start=$(date +%s%N)
    if ! h "$from" migrate --json $flag vm1 "$to" >"$json" 2>"$work/$label.err"; then
        cat "$work/$label.err" >&2
        die "$label: xlpc migrate vm1 $from -> $to failed"
    fi
    end=$(date +%s%N)
    local verified total downtime mismatched
    verified="$(field verified "$json")"
    total="$(field totalMigrationMs "$json")"
    downtime="$(field downtimeMs "$json")"
    mismatched="$(field mismatchedPages "$json")"
    say "SCENARIO $label $from->$to: verified=$verified totalMigrationMs=$total downtimeMs=$downtime mismatchedPages=$mismatched commandMs=$(( (end - start) / 1000000 ))"
    [ "$verified" = true ] || die "$label: the guest did not verify at $to (mismatchedPages=$mismatched; report: $json)"
}

lists() {   # lists HOST: does HOST's daemon list vm1?
    local out
    out="$(h "$1" list)" || die "xlpc list on $1 failed"
    awk 'NR > 1 {print $1}' <<<"$out" | grep -cx vm1 >/dev/null
}

scenario_start=$(date +%s%N)
h h1 create vm1 --memory "$memory" --workload "$workload" --seed 17 >/dev/null
lists h1 || die "vm1 is not on h1 after xlpc create"
before=$(sent_bytes 1)
migrate_step h1 h2 --postcopy postcopy
# The guest's every page crossed h1's shaped link (no DSB here, so none stayed behind as a free page).
sent=$(( $(sent_bytes 1) - before ))
say "SCENARIO h1 sent $(( sent / 1048576 )) MiB through its shaped link for a $memory MiB guest"
[ "$sent" -ge $(( memory * 1048576 )) ] || die "h1 sent only $sent bytes through its link: the migration did not cross it"
lists h2 || die "vm1 is not on h2 after the post-copy migration"
! lists h1 || die "vm1 is still on h1 after it migrated to h2"
migrate_step h2 h3 --precopy precopy
lists h3 || die "vm1 is not on h3 after the pre-copy migration"
! lists h2 || die "vm1 is still on h2 after it migrated to h3"
say "SCENARIO: PASS in $(( ($(date +%s%N) - scenario_start) / 1000000 )) ms (guest $memory MiB, $workload; links $rate, delay $delay, loss $loss)"
