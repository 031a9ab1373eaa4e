#!/usr/bin/env bash
# The install artifact: target/xlpc-<version>-linux-<arch>.tar.gz, self-contained (a jlink'd Java runtime, no JDK
# needed on the host), laid out for /opt/xlpc:
#   bin/xlpc                                  the command (runtime/bin/java -jar lib/xlpc.jar)
#   lib/xlpc.jar                              the shaded jar mvn package builds
#   runtime/                                  the Java runtime, only the modules the jar uses
#   share/man/man1/xlpc*.1                    man pages, generated from the command definitions
#   share/bash-completion/completions/xlpc    bash completion, likewise
#   lib/systemd/system/xlpc.service           the daemon's unit
#   etc/xlpc/xlpc.conf.example, etc/default/xlpc
#   share/xlpc/xl                             the xl wrapper for `xl migrate --postcopy` (patches/xl/xl)
# Then it unpacks the tarball into a temporary directory and runs it: --version, daemon --check, and a TLS
# migration between two daemons of the packaged runtime on loopback (--no-smoke skips that).
#
#   scripts/package.sh            # build (mvn package), package, smoke-test
#   scripts/package.sh --no-build # package the jar already built
#   scripts/package.sh -o         # arguments it does not know go to mvn (-o: offline)
# The install recipe is in README.md, "Install".
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

build=1
smoke=1
mvn_args=()
for a in "$@"; do
    case "$a" in
        --no-build) build=0 ;;
        --no-smoke) smoke=0 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) mvn_args+=("$a") ;;
    esac
done

jar=migration-plugin/target/xlpc.jar
if [ "$build" = 1 ]; then
    mvn -q -B -ntp -DskipTests -pl migration-plugin -am package ${mvn_args[@]+"${mvn_args[@]}"}
fi
[ -f "$jar" ] || { echo "package: $jar is missing (run without --no-build)" >&2; exit 1; }
for tool in jlink jdeps; do
    command -v "$tool" >/dev/null || { echo "package: '$tool' is missing: it comes with a full JDK 17" >&2; exit 1; }
done

version="$(sed -n 's/^version=//p' migration-plugin/target/classes/org/xenpostcopy/migration/cli/version.properties)"
[ -n "$version" ] || { echo "package: no version in the build's version.properties" >&2; exit 1; }
name="xlpc-$version"
arch="$(uname -m)"
tarball="target/$name-linux-$arch.tar.gz"
stage="target/package/$name"
rm -rf "target/package"
mkdir -p "$stage"

# The modules the jar's classes refer to, plus what they find as services at run time, which jdeps cannot see:
# jdk.crypto.ec for the ECDSA P-256 certificates of TLS (xlpc tls init makes them), java.logging for slf4j-jdk14.
modules="$(jdeps --multi-release 17 --ignore-missing-deps --print-module-deps "$jar"),jdk.crypto.ec,java.logging"
echo "package: runtime modules $modules"
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$stage/runtime"

install -D -m 755 packaging/bin/xlpc "$stage/bin/xlpc"
install -D -m 644 "$jar" "$stage/lib/xlpc.jar"
install -d "$stage/share/man/man1"
install -m 644 migration-plugin/target/man/*.1 "$stage/share/man/man1/"
install -D -m 644 migration-plugin/target/completion/xlpc "$stage/share/bash-completion/completions/xlpc"
install -D -m 644 packaging/systemd/xlpc.service "$stage/lib/systemd/system/xlpc.service"
install -D -m 644 packaging/etc/xlpc.conf.example "$stage/etc/xlpc/xlpc.conf.example"
install -D -m 644 packaging/etc/default-xlpc "$stage/etc/default/xlpc"
install -D -m 755 patches/xl/xl "$stage/share/xlpc/xl"     # xl migrate --postcopy: see patches/README.md

mkdir -p target
# Owned by root, in name order: the same inputs give the same listing wherever it is built.
tar --owner=0 --group=0 --numeric-owner --sort=name -C target/package -czf "$tarball" "$name"
echo "package: $tarball ($(du -h "$tarball" | cut -f1), runtime $(du -sh "$stage/runtime" | cut -f1))"

[ "$smoke" = 1 ] || exit 0

# ---------------------------------------------------------------------------------------------------------------
# Smoke test: the tarball as an install would use it, nothing from the build tree or the JDK on the PATH.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/xlpc-package.XXXXXX")"
pids=()
cleanup() {
    for p in ${pids[@]+"${pids[@]}"}; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$scratch"
}
trap cleanup EXIT
tar -C "$scratch" -xzf "$tarball"
xlpc="$scratch/$name/bin/xlpc"
export XLPC_JAVA_OPTS=-Xmx512m
unset XLPC_CONFIG XLPC_DAEMON XLPC_LISTEN XLPC_TOKEN XLPC_STATE_DIR XLPC_TLS_DIR

got="$(PATH=/usr/bin:/bin "$xlpc" --version)"
[ "$got" = "xlpc $version" ] || { echo "package: bin/xlpc --version said '$got'" >&2; exit 1; }
empty="$scratch/empty.conf"
: >"$empty"
"$xlpc" --config "$empty" daemon --check --ephemeral >"$scratch/check.txt" \
    || { cat "$scratch/check.txt" >&2; echo "package: daemon --check failed on this machine" >&2; exit 1; }
"$xlpc" tls init "$scratch/tls" --hosts alpha,beta >/dev/null

start_daemon() {   # start_daemon NAME: sets $address to where it listens
    local out="$scratch/$1.out"
    PATH=/usr/bin:/bin "$xlpc" --config "$empty" daemon --name "$1" --ephemeral --listen 127.0.0.1:0 \
        --tls-dir "$scratch/tls/$1" --tls-allow alpha,beta >"$out" 2>"$scratch/$1.log" &
    pids+=($!)
    local deadline=$(( $(date +%s) + 60 ))
    until grep -q '^listening on ' "$out" 2>/dev/null; do
        if ! kill -0 "${pids[-1]}" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
            cat "$scratch/$1.log" >&2
            echo "package: the packaged daemon $1 did not start" >&2
            exit 1
        fi
        sleep 0.1
    done
    address="$(sed -n 's/^listening on //p' "$out")"
}
start_daemon alpha
alpha="$address"
start_daemon beta
beta="$address"
as_alpha=(--config "$empty" --tls-dir "$scratch/tls/alpha" --daemon "$alpha")
# The bundled BoringSSL must load from the packaged runtime (else TLS silently runs at the JDK's half speed).
grep -q 'with BoringSSL' "$scratch/alpha.out" "$scratch/alpha.log" \
    || { cat "$scratch/alpha.out" "$scratch/alpha.log" >&2; echo "package: the packaged daemon runs TLS without BoringSSL" >&2; exit 1; }
"$xlpc" "${as_alpha[@]}" create vm --memory 64 --workload stress-write:16M >/dev/null
"$xlpc" "${as_alpha[@]}" migrate --json vm "$beta" >"$scratch/report.json"
grep -Eq '"verified" : true' "$scratch/report.json" \
    || { cat "$scratch/report.json" >&2; echo "package: the packaged migration did not verify" >&2; exit 1; }
echo "package: smoke test passed (the packaged runtime: --version, daemon --check, a TLS post-copy migration with BoringSSL, verified)"
