#!/usr/bin/env bash
# Builds the real-Xen lab from Debian's packages into $LAB_WORK (default tests/xen-lab/work):
#   rootfs/               debootstrap'd bookworm dom0 with Xen 4.17's toolstack, hypervisor and kernel
#   xen-mempaging.elf     Debian's own hypervisor source rebuilt with patches/xen (CONFIG_MEM_PAGING)
#   jre/ + xlpc.jar       a jlink'd Java runtime and the project's jar, for `xlpc daemon --native` in dom0
#   guest-initrd.gz       the PVH guest's userland: busybox, memcheck, meminfo-report
#   dom0-initrd.cpio      dom0's whole root filesystem as an initramfs, with /init = dom0-init.sh
# Each stage is skipped when its output exists (delete it to redo; the hypervisor is also redone when
# patches/xen changes); the last two are rebuilt every time.
# The two slow stages (the dom0 tree, about 4 minutes, and the hypervisor, about 5) are also kept in a cache outside
# the checkout, so a fresh clone on the same machine skips them: $LAB_CACHE (default /var/cache/xen-postcopy-lab
# as root, else ~/.cache/xen-postcopy-lab; LAB_CACHE=off turns it off), one entry per key. The dom0 tree's key is
# the suite, mirror and package list below; the hypervisor's, Debian's xen version with the hash of patches/xen.
# Needs root (debootstrap, chroot) and network access to deb.debian.org and Maven Central.
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$LAB/../.." && pwd)
W=${LAB_WORK:-$LAB/work}
MIRROR=${LAB_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$W"
say() { echo "[lab-build $(date +%T)] $*"; }
if [ "$(id -u)" = 0 ]; then CACHE=${LAB_CACHE:-/var/cache/xen-postcopy-lab}
else CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-postcopy-lab}; fi
[ "$CACHE" = off ] || mkdir -p "$CACHE"
# cache_put FILE NAME / cache_get NAME FILE: whole files only (written aside, then renamed), so a build stopped
# half-way never leaves a cache entry that looks complete.
cache_put() { [ "$CACHE" = off ] && return 0
              { cp "$1" "$CACHE/.$2.tmp" && mv "$CACHE/.$2.tmp" "$CACHE/$2"; } || say "could not keep $2 in $CACHE"; }
cache_get() { [ "$CACHE" != off ] && [ -e "$CACHE/$1" ] && cp "$CACHE/$1" "$2"; }

say "host packages"
if ! command -v qemu-system-x86_64 >/dev/null || ! command -v debootstrap >/dev/null || ! command -v flex >/dev/null \
   || ! command -v dpkg-source >/dev/null || ! [ -x /bin/busybox ] || ! command -v cpio >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86 debootstrap \
        busybox-static cpio dpkg-dev bison flex gcc make libc6-dev python3 xz-utils >/dev/null
fi

DOM0_PACKAGES=xen-utils-4.17,xen-hypervisor-4.17-amd64,linux-image-amd64,kmod,busybox,procps,iproute2
ROOTFS_KEY=rootfs-$(printf '%s\n' bookworm "$MIRROR" "$DOM0_PACKAGES" | sha256sum | cut -c1-16).tar
if [ ! -e "$W/rootfs/.lab-complete" ]; then
    rm -rf "$W/rootfs"
    if [ "$CACHE" != off ] && [ -e "$CACHE/$ROOTFS_KEY" ]; then
        say "dom0 root filesystem from the cache ($CACHE/$ROOTFS_KEY)"
        tar -C "$W" -xf "$CACHE/$ROOTFS_KEY"
    else
        say "dom0 root filesystem (debootstrap bookworm; several minutes)"
        debootstrap --variant=minbase --include="$DOM0_PACKAGES" \
            bookworm "$W/rootfs" "$MIRROR" > "$W/debootstrap.log" 2>&1 || { tail -20 "$W/debootstrap.log"; exit 1; }
        touch "$W/rootfs/.lab-complete"
        if [ "$CACHE" != off ]; then
            { tar -C "$W" --exclude=./rootfs/proc/* --exclude=./rootfs/sys/* -cf "$CACHE/.$ROOTFS_KEY.tmp" ./rootfs \
                && mv "$CACHE/.$ROOTFS_KEY.tmp" "$CACHE/$ROOTFS_KEY"; } || say "could not keep the dom0 tree in $CACHE"
        fi
    fi
fi
XENVER=$(chroot "$W/rootfs" dpkg-query -W -f='${Version}' xen-hypervisor-4.17-amd64)
KV=$(ls "$W/rootfs/usr/lib/modules" | head -1)
say "dom0: Xen $XENVER, Linux $KV"

# The hypervisor is rebuilt when patches/xen changes, not only when it is missing.
XENSUM=$(cat "$REPO"/patches/xen/*.patch "$REPO"/patches/xen/*.config | sha256sum | cut -c1-16)
XEN_KEY=xen-$XENVER-$XENSUM
if { [ ! -e "$W/xen-mempaging.elf" ] || [ "$(cat "$W/xen-mempaging.sum" 2>/dev/null)" != "$XENSUM" ]; } \
   && cache_get "$XEN_KEY.elf" "$W/xen-mempaging.elf.new" && cache_get "$XEN_KEY.config" "$W/xen-mempaging.config"; then
    say "hypervisor from the cache ($CACHE/$XEN_KEY.elf)"
    mv "$W/xen-mempaging.elf.new" "$W/xen-mempaging.elf"
    echo "$XENSUM" > "$W/xen-mempaging.sum"
fi
if [ ! -e "$W/xen-mempaging.elf" ] || [ "$(cat "$W/xen-mempaging.sum" 2>/dev/null)" != "$XENSUM" ]; then
    say "hypervisor: Debian's xen $XENVER source with patches/xen (several minutes)"
    rm -f "$W/xen-mempaging.elf" "$W/xen-mempaging.sum"
    rm -rf "$W/xen-src" && mkdir -p "$W/xen-src/lists/partial"
    echo "deb-src $MIRROR bookworm main" > "$W/xen-src/sources.list"
    APT=(-o Dir::Etc::SourceList="$W/xen-src/sources.list" -o Dir::Etc::SourceParts=/nonexistent
         -o Dir::State::Lists="$W/xen-src/lists" -o APT::Sandbox::User=root)
    apt-get "${APT[@]}" update -q >/dev/null
    (cd "$W/xen-src" && apt-get "${APT[@]}" source -q "xen=$XENVER" >/dev/null)
    SRC=$(ls -d "$W"/xen-src/xen-*/)
    for p in "$REPO"/patches/xen/*.patch; do
        [ -e "$p" ] || continue
        say "applying $(basename "$p")"
        patch -d "$SRC" -p1 < "$p"
    done
    cp "$SRC/debian/xen-kconfig" "$SRC/xen/.config"
    grep -h '^CONFIG_' "$REPO"/patches/xen/*.config >> "$SRC/xen/.config"
    make -C "$SRC/xen" olddefconfig XEN_TARGET_ARCH=x86_64 > "$W/xen-build.log" 2>&1
    for opt in $(grep -h '^CONFIG_' "$REPO"/patches/xen/*.config); do
        grep -qx "$opt" "$SRC/xen/.config" || { echo "the hypervisor config lost $opt" >&2; exit 1; }
    done
    make -C "$SRC/xen" -j"$(nproc)" XEN_TARGET_ARCH=x86_64 >> "$W/xen-build.log" 2>&1 \
        || { tail -30 "$W/xen-build.log"; exit 1; }
    cp "$SRC/xen/.config" "$W/xen-mempaging.config"
    cp "$SRC/xen/xen" "$W/xen-mempaging.elf"     # QEMU's multiboot loader wants the uncompressed ELF
    echo "$XENSUM" > "$W/xen-mempaging.sum"
    cache_put "$W/xen-mempaging.config" "$XEN_KEY.config"
    cache_put "$W/xen-mempaging.elf" "$XEN_KEY.elf"
fi

say "xlpc jar and a jlink'd runtime for dom0"
(cd "$REPO" && mvn -q -B -ntp -DskipTests -pl migration-plugin -am package)
cp "$REPO/migration-plugin/target/xlpc.jar" "$W/xlpc.jar"
# jdk.crypto.ec is a provider jdeps cannot see: TLS needs it for P-256 keys and ECDHE. A runtime from before TLS
# lacks it and is made again.
# --generate-cds-archive: the JDK's own classes come mapped from a class-data-sharing archive instead of being
# parsed and verified at each start (the base the application's archive below builds on).
if [ ! -x "$W/jre/bin/java" ] || ! "$W/jre/bin/java" --list-modules | grep -q '^jdk.crypto.ec@' \
        || [ ! -e "$W/jre/lib/server/classes.jsa" ]; then
    rm -rf "$W/jre"
    MODS=$(jdeps --ignore-missing-deps --multi-release 17 --print-module-deps "$W/xlpc.jar" | tail -1)
    jlink --add-modules "$MODS,java.logging,jdk.crypto.ec" --strip-debug --no-header-files --no-man-pages --compress=2 \
        --generate-cds-archive --output "$W/jre" >/dev/null
fi

say "PVH guest userland: busybox, memcheck, meminfo-report"
G="$W/guest-root"
rm -rf "$G" && mkdir -p "$G"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$G/bin/"
gcc -O2 -static -Wall -o "$G/bin/memcheck" "$LAB/guest/memcheck.c"
gcc -O2 -static -Wall -o "$G/bin/meminfo-report" "$REPO/patches/guest/meminfo-report.c"
install -m 755 "$LAB/guest/init.sh" "$G/init"
(cd "$G" && find . | cpio -o -H newc --quiet | gzip -9 > "$W/guest-initrd.gz")

say "dom0 initramfs"
D="$W/dom0-root"
rm -rf "$D" && mkdir -p "$D"
tar -C "$W/rootfs" --exclude=./usr/share/doc --exclude=./usr/share/locale --exclude=./usr/share/man \
    --exclude=./usr/share/info --exclude=./var/cache/apt --exclude=./var/lib/apt/lists --exclude=./boot \
    --exclude=./usr/lib/modules --exclude=./usr/lib/firmware --exclude=./proc --exclude=./sys -cf - . | tar -C "$D" -xf -
mkdir -p "$D"/{proc,sys,boot} "$D/usr/lib/modules/$KV/kernel/drivers" "$D/root/guest" "$D/opt/xlpc/bin"
cp -a "$W/rootfs/usr/lib/modules/$KV"/modules.{order,builtin,builtin.modinfo} "$D/usr/lib/modules/$KV/"
cp -a "$W/rootfs/usr/lib/modules/$KV/kernel/drivers/xen" "$D/usr/lib/modules/$KV/kernel/drivers/"
mkdir -p "$D/usr/lib/modules/$KV/kernel/drivers/net/ethernet/intel"
cp -a "$W/rootfs/usr/lib/modules/$KV/kernel/drivers/net/ethernet/intel/e1000" \
    "$D/usr/lib/modules/$KV/kernel/drivers/net/ethernet/intel/"
chroot "$D" depmod "$KV"
cp "$W/rootfs/boot/vmlinuz-$KV" "$D/root/guest/vmlinuz"
cp "$W/guest-initrd.gz" "$LAB/guest/memcheck.cfg" "$D/root/guest/"
cp -a "$W/jre" "$D/opt/xlpc/jre"
cp "$W/xlpc.jar" "$D/opt/xlpc/"
cat > "$D/opt/xlpc/bin/xlpc" <<'SH'
#!/bin/sh
# Client-sized JVM flags: under software emulation, start-up dominates every call.
# The application's class-data-sharing archive (made below), if there is one; a stale one is ignored, silently.
CDS=""; [ -e /opt/xlpc/xlpc.jsa ] && CDS="-XX:SharedArchiveFile=/opt/xlpc/xlpc.jsa -Xlog:cds*=off"
exec /opt/xlpc/jre/bin/java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xmx256m $CDS ${XLPC_JAVA_OPTS:-} \
    -jar /opt/xlpc/xlpc.jar "$@"
SH
chmod 755 "$D/opt/xlpc/bin/xlpc"
# The xl wrapper of patches/xl, where the tarball puts it: the lab's post-copy hops go through `xl migrate --postcopy`.
install -D -m 755 "$REPO/patches/xl/xl" "$D/opt/xlpc/share/xlpc/xl"
# The two lab hosts' TLS credentials (a lab CA, a directory per host address; both hosts boot this same image).
java -jar "$W/xlpc.jar" tls init "$D/etc/xlpc/tls" --hosts 169.254.10.1,169.254.10.2 >/dev/null
# Under software emulation a daemon's cold JVM took 100-150 s to listen and its first TLS handshake more than the
# default 10 s (the client gave up, 2026-12-02): the lab's hosts give a handshake two minutes.
cat > "$D/etc/xlpc/xlpc.conf" <<'CONF'
# tests/xen-lab: dom0 under QEMU TCG is slow to start a JVM and to run its first TLS handshake.
limits.handshake-s = 120
CONF
# The application's classes, archived by one emulated TLS migration run in dom0's own root (the archive records
# the jar's path, which must be the one dom0 uses). A JVM start in dom0 maps them instead of loading them from
# the jar. Best effort: without it the lab is slower, not wrong.
rm -f "$D/opt/xlpc/xlpc.jsa"
if mount -t proc proc "$D/proc"; then
    chroot "$D" /opt/xlpc/jre/bin/java -XX:ArchiveClassesAtExit=/opt/xlpc/xlpc.jsa -XX:+UseSerialGC -Xmx512m \
        -jar /opt/xlpc/xlpc.jar lab --memory 64 --baseline-ms 0 --tls-dir /etc/xlpc/tls/169.254.10.1 --json \
        > "$W/cds-training.log" 2>&1 || say "no class-data archive for dom0 (see $W/cds-training.log); going on"
    umount "$D/proc"
fi
install -m 755 "$LAB/dom0-init.sh" "$D/init"
(cd "$D" && find . | cpio -o -H newc --quiet > "$W/dom0-initrd.cpio")
cp "$W/rootfs/boot/vmlinuz-$KV" "$W/vmlinuz"
say "done: $(du -h "$W/dom0-initrd.cpio" | cut -f1) dom0 initramfs, hypervisor $W/xen-mempaging.elf"
