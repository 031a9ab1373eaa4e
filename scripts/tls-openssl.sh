#!/usr/bin/env bash
# tls-openssl.sh DIR HOST...: the same layout as `xlpc tls init DIR --hosts HOST,...`, made with openssl alone
# (OpenSSL 3): a CA in DIR (ca-cert.pem, ca-key.pem) and DIR/HOST/ with ca-cert.pem, server-cert.pem, server-key.pem,
# client-cert.pem, client-key.pem — ECDSA P-256, PKCS#8 keys, CN and DNS name = HOST. An existing CA is reused.
# For a real deployment, sign the hosts' requests with your own CA instead; the files and their roles are the same.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DIR HOST..." >&2; exit 2; }
dir=$1; shift
mkdir -p "$dir"
umask 077   # keys readable by their owner alone
if [ ! -f "$dir/ca-key.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 -subj "/CN=xlpc CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$dir/ca-key.pem" -out "$dir/ca-cert.pem" 2>/dev/null
fi
for host in "$@"; do
    mkdir -p "$dir/$host"
    cp "$dir/ca-cert.pem" "$dir/$host/ca-cert.pem"
    for role in server client; do
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$host" \
            -keyout "$dir/$host/$role-key.pem" -out "$dir/$host/$role.csr" 2>/dev/null
        printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%sAuth\nsubjectAltName=DNS:%s\n' \
            "$role" "$host" > "$dir/$host/$role.ext"
        openssl x509 -req -in "$dir/$host/$role.csr" -CA "$dir/ca-cert.pem" -CAkey "$dir/ca-key.pem" \
            -CAcreateserial -days 825 -extfile "$dir/$host/$role.ext" -out "$dir/$host/$role-cert.pem" 2>/dev/null
        rm "$dir/$host/$role.csr" "$dir/$host/$role.ext"
    done
    echo "$host: $dir/$host"
done
