#!/bin/bash
# t/bench/run.sh: mod_mauth against plain mod_ssl, new TLS connections with a
# client certificate chain, at several CRL sizes.  Not a test: it prints a
# table and PASS/MISS against the targets of issue 2 ("Speed"), and exits
# non-zero only when the benchmark itself cannot run or its sanity checks
# fail (a vhost not answering 200 to the benchmark client, a revoked
# certificate accepted, ...).
#
#   make -f Makefile.apxs bench            (builds the module, then runs this)
#   sh t/bench/run.sh                      (needs .libs/mod_mauth.so)
#
# Knobs (environment):
#   BENCH_SECONDS   seconds each vhost is driven               (default 10)
#   BENCH_SIZES     CRL sizes, revoked serials                 (default "0 100000 1000000")
#   BENCH_CLIENTS   parallel `openssl s_time -new` clients      (default 2)
#   BENCH_PORT      first of three loopback ports               (default 18443)
#   BENCH_MODULE    the mod_mauth.so to load            (default .libs/mod_mauth.so)
#   BENCH_MEM_SECONDS  load applied before reading memory       (default 3)
#   BENCH_ROUNDS    drive each vhost this many times, in turn, and keep
#                   the best rate (other jobs on the machine only ever
#                   lower a rate; the table shows the CPU they took)  (default 1)
#   BENCH_DEBUG     1: print the CPU accounting of every run
#   BENCH_VHOSTS    N: instead, the many-vhosts measurement (issue 10):
#                   N mutual vhosts sharing one root and the largest CRL of
#                   BENCH_SIZES, against one such vhost; start-up time and
#                   whole-server memory (make -f Makefile.apxs bench-vhosts)
#
# For each CRL size ONE sandboxed httpd (ServerRoot, logs, pid file under
# t/bench/work/; never /etc/apache2; mpm_event) serves three vhosts side by
# side, same server certificate, same static file, same MPM:
#   BENCH_PORT    plain mod_ssl: SSLVerifyClient require, SSLCACertificateFile
#                 root, SSLCARevocationFile root+intermediate CRLs, check chain
#   BENCH_PORT+1  mod_mauth's mutual vhost (optional_no_ca, no SSL CA
#                 settings, MAuthCA* with the same root and CRLs, check chain,
#                 MAuthRequireCertificate on)
#   BENCH_PORT+2  the same mutual vhost with its verdict cache disabled
#                 (MAuthVerdictCacheSize 1, MAuthVerdictCacheTimeout 0)
# Each vhost is driven alone, one after the other.  Memory is read from
# separate servers holding one vhost each (mod_ssl alone, mod_mauth alone),
# so that one module's CRL copy does not show up in the other's numbers.
#
# The PKI (EC P-256 root, intermediate, client leaf with clientAuth, a
# revoked client leaf, server certificate) and the CRLs are cached in
# t/bench/work/ and regenerated when missing or older than 20 days.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/../.." && pwd)
WORK="$BENCH_DIR/work"
PKI="$WORK/pki"
CRLDIR="$WORK/crl"
SRVROOT="$WORK/srv"
DOCROOT="$WORK/htdocs"

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
SIZES=${BENCH_SIZES:-0 100000 1000000}
CLIENTS=${BENCH_CLIENTS:-2}
PORT_BASE=${BENCH_PORT:-18443}
MEM_SECONDS=${BENCH_MEM_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-1}
APXS=${APXS:-apxs}
MODULE=${BENCH_MODULE:-$TOP/.libs/mod_mauth.so}

PORT_SSL=$PORT_BASE
PORT_MAUTH=$((PORT_BASE + 1))
PORT_NOCACHE=$((PORT_BASE + 2))

# The revoked test leaf carries the first serial of every CRL's list.
REVOKED_SERIAL_BASE=$((0x10000000))
REVOKED_SERIAL_STEP=7

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

# ------------------------------------------------------------ preconditions

for v in SECONDS_PER_RUN CLIENTS PORT_BASE MEM_SECONDS ROUNDS; do
    case ${!v} in
        '' | *[!0-9]*) die "$v must be a positive integer (got '${!v}')" ;;
    esac
    [ "${!v}" -gt 0 ] || die "$v must be a positive integer"
done
for n in $SIZES; do
    case $n in '' | *[!0-9]*) die "BENCH_SIZES: '$n' is not a number" ;; esac
done
[ -f "$MODULE" ] || die "$MODULE is missing: run 'make -f Makefile.apxs module' first"
for tool in openssl curl awk "$APXS" ps; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found"
done
LIBEXEC=$("$APXS" -q LIBEXECDIR) || die "apxs -q LIBEXECDIR failed"
HTTPD="$("$APXS" -q SBINDIR)/$("$APXS" -q progname)"
[ -x "$HTTPD" ] || HTTPD=$(command -v apache2 || command -v httpd || true)
[ -n "$HTTPD" ] && [ -x "$HTTPD" ] || die "no httpd binary (apxs -q SBINDIR/progname)"
# LoadModule lines for what the binary does not have compiled in
COMPILED_IN=$("$HTTPD" -l) || die "$HTTPD -l failed"
LOAD_MODULES=""
for m in mpm_event authz_core mime log_config ssl; do
    case $COMPILED_IN in *"mod_$m.c"*) continue ;; esac
    [ -f "$LIBEXEC/mod_$m.so" ] || die "$LIBEXEC/mod_$m.so is missing"
    LOAD_MODULES+="LoadModule ${m}_module \"$LIBEXEC/mod_$m.so\""$'\n'
done

RUN_AS_ROOT=0
[ "$(id -u)" = 0 ] && RUN_AS_ROOT=1

# ------------------------------------------------------------ cleanup

SERVER_PIDFILES=()
CLIENT_PIDS=()

stop_server() {
    local pidfile=$1 pid kids i k
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill -0 "$pid" 2>/dev/null || return 0
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "httpd $pid did not stop on TERM within 30 s; killing it and its children"
        kill -KILL "$pid" 2>/dev/null || true
        for k in $kids; do
            # only what is still a child process of that httpd
            [ "$(ps -o ppid= -p "$k" 2>/dev/null | tr -d ' ')" = "$pid" ] && kill -KILL "$k" 2>/dev/null
        done
    fi
    rm -f "$pidfile"
}

cleanup() {
    local p f
    for p in "${CLIENT_PIDS[@]+"${CLIENT_PIDS[@]}"}"; do
        kill "$p" 2>/dev/null || true
    done
    for f in "${SERVER_PIDFILES[@]+"${SERVER_PIDFILES[@]}"}"; do
        stop_server "$f"
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ PKI

mkdir -p "$PKI" "$CRLDIR" "$SRVROOT" "$DOCROOT"

# openssl configuration for the certificates and for `openssl ca -gencrl`
write_openssl_conf() {
    cat >"$PKI/openssl.cnf" <<EOF
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ root_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ int_ext ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ client_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ server_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
authorityKeyIdentifier = keyid
[ ca ]
default_ca = ca_int
[ ca_int ]
database = $CRLDIR/index-int.txt
crlnumber = $CRLDIR/crlnumber-int
certificate = $PKI/int.pem
private_key = $PKI/int.key
default_md = sha256
default_crl_days = 30
unique_subject = no
[ ca_root ]
database = $CRLDIR/index-root.txt
crlnumber = $CRLDIR/crlnumber-root
certificate = $PKI/root.pem
private_key = $PKI/root.key
default_md = sha256
default_crl_days = 30
unique_subject = no
EOF
}

newkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null \
        || die "cannot generate EC key $1"
}

random_serial() { printf '0x1%s' "$(openssl rand -hex 15)"; }

# issue NAME SUBJECT EXT CA_NAME DAYS [SERIAL]
issue() {
    local name=$1 subject=$2 ext=$3 ca=$4 days=$5 serial=${6:-$(random_serial)}
    newkey "$PKI/$name.key"
    openssl req -new -config "$PKI/openssl.cnf" -key "$PKI/$name.key" -subj "$subject" \
        -out "$PKI/$name.csr" || die "csr for $name"
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.pem" -CAkey "$PKI/$ca.key" \
        -set_serial "$serial" -days "$days" -sha256 -extfile "$PKI/openssl.cnf" \
        -extensions "$ext" -out "$PKI/$name.pem" 2>/dev/null || die "certificate for $name"
    rm -f "$PKI/$name.csr"
}

pki_fresh() {
    local f
    for f in root int client revoked server; do
        [ -s "$PKI/$f.pem" ] && [ -s "$PKI/$f.key" ] || return 1
        # still valid for 30 days
        openssl x509 -in "$PKI/$f.pem" -noout -checkend 2592000 >/dev/null 2>&1 || return 1
    done
    [ -s "$PKI/client-ca.pem" ] && [ -s "$PKI/client-fullchain.pem" ] \
        && [ -s "$PKI/server-chain.pem" ] && [ -s "$PKI/revoked-fullchain.pem" ]
}

make_pki() {
    write_openssl_conf
    if pki_fresh; then
        say "PKI: cached in $PKI"
        return
    fi
    say "PKI: generating EC P-256 root, intermediate, client, revoked client, server"
    rm -f "$PKI"/*.pem "$PKI"/*.key "$CRLDIR"/*
    newkey "$PKI/root.key"
    openssl req -x509 -new -config "$PKI/openssl.cnf" -key "$PKI/root.key" \
        -subj "/O=mod_mauth bench/CN=Bench Root CA" -days 3650 -sha256 \
        -extensions root_ext -set_serial "$(random_serial)" -out "$PKI/root.pem" \
        || die "root certificate"
    issue int "/O=mod_mauth bench/CN=Bench Intermediate CA" int_ext root 1825
    issue client "/O=mod_mauth bench/CN=bench client" client_ext int 825
    issue revoked "/O=mod_mauth bench/CN=bench revoked client" client_ext int 825 \
        "$(printf '0x%08X' "$REVOKED_SERIAL_BASE")"
    issue server "/O=mod_mauth bench/CN=localhost" server_ext int 825
    cat "$PKI/int.pem" "$PKI/root.pem" >"$PKI/client-ca.pem"
    cat "$PKI/client.pem" "$PKI/int.pem" >"$PKI/client-fullchain.pem"
    cat "$PKI/revoked.pem" "$PKI/int.pem" >"$PKI/revoked-fullchain.pem"
    cat "$PKI/server.pem" "$PKI/int.pem" >"$PKI/server-chain.pem"
    openssl verify -CAfile "$PKI/root.pem" -untrusted "$PKI/int.pem" -purpose sslclient \
        "$PKI/client.pem" >/dev/null || die "generated client chain does not verify"
}

der_size() { openssl crl -in "$1" -outform DER | wc -c; }

# CRL file for N revoked serials: root's (empty) + intermediate's, PEM.
crl_stale() {
    local f=$1
    [ -s "$f" ] || return 0
    [ "$PKI/int.pem" -nt "$f" ] && return 0
    [ -n "$(find "$f" -mtime +20 2>/dev/null)" ] && return 0
    return 1
}

make_crls() {
    local n=$1 int t0 t1 listed
    int="$CRLDIR/int-crl-$n.pem"
    if crl_stale "$CRLDIR/root-crl.pem"; then
        : >"$CRLDIR/index-root.txt"
        echo 'unique_subject = no' >"$CRLDIR/index-root.txt.attr"
        echo 01 >"$CRLDIR/crlnumber-root"
        openssl ca -config "$PKI/openssl.cnf" -name ca_root -gencrl \
            -out "$CRLDIR/root-crl.pem" 2>"$CRLDIR/ca.log" \
            || die "openssl ca -gencrl (root): $(cat "$CRLDIR/ca.log")"
    fi
    if crl_stale "$int"; then
        say "CRL: generating the intermediate's CRL with $n revoked serials"
        t0=$(date +%s.%N)
        awk -v n="$n" -v base="$REVOKED_SERIAL_BASE" -v step="$REVOKED_SERIAL_STEP" 'BEGIN {
                for (i = 0; i < n; i++)
                    printf "R\t351231235959Z\t240101000000Z\t%08X\tunknown\t/CN=revoked %d\n",
                        base + i * step, i
            }' >"$CRLDIR/index-int.txt"
        echo 'unique_subject = no' >"$CRLDIR/index-int.txt.attr"
        echo 01 >"$CRLDIR/crlnumber-int"
        openssl ca -config "$PKI/openssl.cnf" -name ca_int -gencrl \
            -out "$int.tmp" 2>"$CRLDIR/ca.log" \
            || die "openssl ca -gencrl ($n entries): $(cat "$CRLDIR/ca.log")"
        rm -f "$CRLDIR/index-int.txt" "$CRLDIR"/index-int.txt.*
        listed=$(openssl crl -in "$int.tmp" -noout -text | grep -c 'Serial Number:' || true)
        [ "$listed" = "$n" ] || die "the CRL generated for $n entries lists $listed serials"
        mv "$int.tmp" "$int"
        t1=$(date +%s.%N)
        say "CRL: $n entries, $(der_size "$int") bytes DER, generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
    else
        say "CRL: $n entries cached ($int)"
    fi
    cat "$CRLDIR/root-crl.pem" "$int" >"$CRLDIR/crls-$n.pem"
}

# ------------------------------------------------------------ servers

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# write_conf DIR CRLFILE VHOST...   (VHOST: ssl | mauth | nocache)
write_conf() {
    local dir=$1 crls=$2 v user=""
    shift 2
    rm -rf "$dir"
    mkdir -p "$dir/logs" "$dir/run"
    [ "$RUN_AS_ROOT" = 1 ] && user=$'User nobody\nGroup nogroup'
    cat >"$dir/httpd.conf" <<EOF
# generated by t/bench/run.sh
ServerRoot "$dir"
ServerName localhost
DefaultRuntimeDir "$dir/run"
PidFile "$dir/run/httpd.pid"
ErrorLog "$dir/logs/error.log"
LogLevel warn
$LOAD_MODULES
LoadModule mauth_module "$MODULE"
$user
# fixed process count: two children of 25 threads, never recycled
StartServers 2
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 25
MaxSpareThreads 75
MaxConnectionsPerChild 0
KeepAlive Off
TypesConfig /dev/null
AddType text/html .html
DocumentRoot "$DOCROOT"
<Directory />
    Require all denied
</Directory>
<Directory "$DOCROOT">
    Require all granted
</Directory>
LogFormat "%{local}p %>s" bench
CustomLog "$dir/logs/access.log" bench
# every s_time -new connection is a full handshake; no resumption anywhere
SSLSessionCache none
SSLSessionTickets off
EOF
    for v in "$@"; do
        case $v in
            ssl)
                cat >>"$dir/httpd.conf" <<EOF
Listen 127.0.0.1:$PORT_SSL
<VirtualHost 127.0.0.1:$PORT_SSL>
    SSLEngine on
    SSLCertificateFile "$PKI/server-chain.pem"
    SSLCertificateKeyFile "$PKI/server.key"
    SSLVerifyClient require
    SSLVerifyDepth 3
    SSLCACertificateFile "$PKI/root.pem"
    SSLCARevocationFile "$crls"
    SSLCARevocationCheck chain
</VirtualHost>
EOF
                ;;
            mauth | nocache)
                local port=$PORT_MAUTH crlfile=$crls cache=""
                if [ "$v" = nocache ]; then
                    # same trust as the cached vhost, a verdict cache of its own
                    port=$PORT_NOCACHE
                    cache=$'    MAuthVerdictCacheSize 1\n    MAuthVerdictCacheTimeout 0'
                fi
                cat >>"$dir/httpd.conf" <<EOF
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    SSLEngine on
    SSLCertificateFile "$PKI/server-chain.pem"
    SSLCertificateKeyFile "$PKI/server.key"
    SSLVerifyClient optional_no_ca
    MAuthEngine on
    MAuthRole mutual
    MAuthCACertificateFile "$PKI/root.pem"
    MAuthCARevocationFile "$crlfile"
    MAuthCARevocationCheck chain
$cache
    <Location />
        MAuthRequireCertificate on
    </Location>
</VirtualHost>
EOF
                ;;
            *) die "write_conf: unknown vhost $v" ;;
        esac
    done
}

port_of() {
    case $1 in ssl) echo "$PORT_SSL" ;; mauth) echo "$PORT_MAUTH" ;; nocache) echo "$PORT_NOCACHE" ;; esac
}

# start_server DIR VHOST...
start_server() {
    local dir=$1 v p i pid=""
    shift
    for v in "$@"; do
        p=$(port_of "$v")
        port_busy "$p" && die "port $p is already in use (set BENCH_PORT)"
    done
    "$HTTPD" -t -d "$dir" -f "$dir/httpd.conf" >"$dir/logs/configtest.log" 2>&1 \
        || die "httpd -t failed for $dir/httpd.conf: $(cat "$dir/logs/configtest.log")"
    SERVER_PIDFILES+=("$dir/run/httpd.pid")
    "$HTTPD" -d "$dir" -f "$dir/httpd.conf" -k start >"$dir/logs/start.log" 2>&1 \
        || die "httpd did not start: $(cat "$dir/logs/start.log"; tail -n 20 "$dir/logs/error.log" 2>/dev/null)"
    for i in $(seq 1 1200); do
        if [ -s "$dir/run/httpd.pid" ]; then
            pid=$(cat "$dir/run/httpd.pid")
            kill -0 "$pid" 2>/dev/null || die "httpd exited during start-up: $(tail -n 20 "$dir/logs/error.log")"
            local up=1
            for v in "$@"; do
                port_busy "$(port_of "$v")" || up=0
            done
            if [ "$up" = 1 ] && [ "$(ps -o pid= --ppid "$pid" | wc -l)" -ge 2 ]; then
                return 0
            fi
        fi
        sleep 0.1
    done
    die "httpd in $dir not listening after 120 s: $(tail -n 20 "$dir/logs/error.log" 2>/dev/null)"
}

# ------------------------------------------------------------ clients

# curl_status PORT CERTFILE|- KEYFILE|- BODYFILE -> prints the status (000 on failure)
curl_status() {
    local port=$1 cert=$2 key=$3 body=$4 args=()
    [ "$cert" != - ] && args+=(--cert "$cert" --key "$key")
    curl -sS --max-time 30 --cacert "$PKI/root.pem" "${args[@]+"${args[@]}"}" \
        -o "$body" -w '%{http_code}' "https://127.0.0.1:$port/index.html" 2>"$body.err" || true
}

log_lines() { wc -l <"$1/logs/access.log" 2>/dev/null || echo 0; }

# statuses logged for PORT since line FROM: "total ok"
log_statuses() {
    local dir=$1 port=$2 from=$3
    tail -n +"$((from + 1))" "$dir/logs/access.log" \
        | awk -v p="$port" '$1 == p { t++; if ($2 == 200) ok++ } END { printf "%d %d\n", t, ok }'
}

# CPU ticks: machine-wide busy and total (/proc/stat), and one server's
# processes (utime + stime of the parent and its children)
stat_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
server_ticks() {
    local pid p sum=0 t
    pid=$(cat "$1/run/httpd.pid")
    for p in "$pid" $(ps -o pid= --ppid "$pid"); do
        t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)
        sum=$((sum + t))
    done
    echo "$sum"
}

# drive DIR PORT SECONDS CLIENTS TAG -> prints "connections rate idle% other% ms"
# where idle% is the machine's idle CPU during the run, other% the CPU used
# by anything but this server and its clients, and ms the server's CPU time
# (all its processes, user + system) per connection; fails loudly.
drive() {
    local dir=$1 port=$2 secs=$3 nclients=$4 tag=$5 i out pids=() total=0 rate=0 c
    local from busy0 all0 busy1 all1 srv0 srv1 cli=0 ct
    from=$(log_lines "$dir")
    read -r busy0 all0 < <(stat_ticks)
    srv0=$(server_ticks "$dir")
    for i in $(seq 1 "$nclients"); do
        out="$dir/logs/s_time-$tag-$i"
        (
            s=$(date +%s.%N) rc=0 me=0
            openssl s_time -connect "127.0.0.1:$port" -new -cert "$PKI/client.pem" \
                -key "$PKI/client.key" -CAfile "$PKI/client-ca.pem" -time "$secs" \
                -www /index.html >"$out.out" 2>&1 </dev/null || rc=$?
            e=$(date +%s.%N)
            # CPU of the finished s_time: this subshell's cutime + cstime
            me=$BASHPID
            ct=$(awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$me/stat")
            echo "$rc $s $e $ct" >"$out.time"
        ) &
        pids+=($!)
        CLIENT_PIDS+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || true; done
    CLIENT_PIDS=()
    srv1=$(server_ticks "$dir")
    read -r busy1 all1 < <(stat_ticks)
    for i in $(seq 1 "$nclients"); do
        out="$dir/logs/s_time-$tag-$i"
        read -r rc s e ct <"$out.time"
        [ "$rc" = 0 ] || die "s_time against port $port exited $rc: $(tail -n 5 "$out.out")"
        c=$(awk '/ connections in [0-9.]+s;/ { print $1; exit }' "$out.out")
        [ -n "$c" ] || die "cannot read s_time's result in $out.out"
        total=$((total + c))
        cli=$((cli + ct))
        rate=$(awk -v r="$rate" -v c="$c" -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", r + c / (e - s) }')
    done
    # every connection must have fetched the page: status 200 in the log
    read -r logged ok < <(log_statuses "$dir" "$port" "$from")
    if [ "$ok" != "$logged" ] || [ "$logged" -lt "$total" ]; then
        die "port $port ($tag): s_time made $total connections, the access log has $logged requests of which $ok answered 200 (see $dir/logs)"
    fi
    [ -z "${BENCH_DEBUG:-}" ] || say "cpu: busy $((busy1 - busy0)) of $((all1 - all0)), server $((srv1 - srv0)), clients $cli"
    awk -v t="$total" -v r="$rate" -v b="$((busy1 - busy0))" -v a="$((all1 - all0))" \
        -v ours="$((srv1 - srv0 + cli))" -v srv="$((srv1 - srv0))" -v hz="$(getconf CLK_TCK)" 'BEGIN {
            idle = a > 0 ? 100 * (a - b) / a : 0
            other = a > 0 ? 100 * (b - ours) / a : 0
            if (other < 0) other = 0
            printf "%d %s %.0f %.0f %.3f\n", t, r, idle, other, (t > 0 ? 1000 * srv / hz / t : 0)
        }'
}

# ------------------------------------------------------------ checks

expect_status() {
    local what=$1 want=$2 got=$3 body=$4
    if [ "$got" != "$want" ]; then
        die "$what: expected HTTP $want, got $got ($(head -c 300 "$body" 2>/dev/null) $(cat "$body.err" 2>/dev/null))"
    fi
}

sanity_checks() {
    local dir=$1 n=$2 b st
    b="$dir/logs/check"
    # 1. the benchmark chain (leaf + intermediate, as curl -E fullchain sends it)
    st=$(curl_status "$PORT_SSL" "$PKI/client-fullchain.pem" "$PKI/client.key" "$b")
    expect_status "mod_ssl, client chain" 200 "$st" "$b"
    grep -q 'mod_mauth bench page' "$b" || die "mod_ssl: unexpected body"
    for v in mauth nocache; do
        st=$(curl_status "$(port_of "$v")" "$PKI/client-fullchain.pem" "$PKI/client.key" "$b")
        expect_status "mod_mauth ($v), client chain" 200 "$st" "$b"
        grep -q 'mod_mauth bench page' "$b" || die "mod_mauth ($v): unexpected body"
        # 2. the leaf alone must be refused by mod_mauth: proves 200 means validated
        st=$(curl_status "$(port_of "$v")" "$PKI/client.pem" "$PKI/client.key" "$b")
        expect_status "mod_mauth ($v), leaf without its intermediate" 403 "$st" "$b"
        grep -q 'Certificate Error' "$b" || die "mod_mauth ($v): no Certificate Error page for a leaf alone"
        st=$(curl_status "$(port_of "$v")" - - "$b")
        expect_status "mod_mauth ($v), no certificate" 403 "$st" "$b"
        grep -q 'No client certificate provided' "$b" || die "mod_mauth ($v): wrong page without certificate"
    done
    # 3. a revoked leaf, listed in every non-empty CRL
    if [ "$n" -gt 0 ]; then
        st=$(curl_status "$PORT_SSL" "$PKI/revoked-fullchain.pem" "$PKI/revoked.key" "$b")
        [ "$st" != 200 ] || die "mod_ssl accepted the revoked client certificate"
        for v in mauth nocache; do
            st=$(curl_status "$(port_of "$v")" "$PKI/revoked-fullchain.pem" "$PKI/revoked.key" "$b")
            expect_status "mod_mauth ($v), revoked leaf" 403 "$st" "$b"
            grep -qi 'revoked' "$b" || die "mod_mauth ($v): the page for a revoked leaf does not say revoked: $(cat "$b")"
        done
        say "  checks: chain 200 on all vhosts; leaf alone and no certificate 403 on mod_mauth; revoked refused by all"
    else
        say "  checks: chain 200 on all vhosts; leaf alone and no certificate 403 on mod_mauth (no revoked check: empty CRL)"
    fi
    # 4. s_time itself (auto-chains the intermediate from -CAfile): 1 s per vhost, all 200
    for v in ssl mauth nocache; do
        drive "$dir" "$(port_of "$v")" 1 1 "check-$v" >/dev/null
    done
    say "  checks: openssl s_time gets 200 on every connection of every vhost"
}

# ------------------------------------------------------------ memory

# mem DIR -> "procs max_rss sum_rss sum_pss max_anon_rss sum_anon_pss" (kB)
# The deltas use the anonymous parts (RssAnon, Pss_Anon): file pages of
# shared libraries move with whatever else maps them on the machine.
mem() {
    local dir=$1 pid p procs=0 max=0 trss=0 tpss=0 amax=0 tapss=0 rss anon pss apss
    pid=$(cat "$dir/run/httpd.pid")
    for p in "$pid" $(ps -o pid= --ppid "$pid"); do
        read -r rss anon < <(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } END { print r, a }' "/proc/$p/status")
        read -r pss apss < <(awk '/^Pss:/ { p = $2 } /^Pss_Anon:/ { a = $2 } END { print p, a }' "/proc/$p/smaps_rollup")
        [ -n "$rss" ] && [ -n "$anon" ] && [ -n "$pss" ] && [ -n "$apss" ] \
            || die "cannot read the memory of process $p"
        procs=$((procs + 1))
        trss=$((trss + rss))
        tpss=$((tpss + pss))
        tapss=$((tapss + apss))
        [ "$rss" -gt "$max" ] && max=$rss
        [ "$anon" -gt "$amax" ] && amax=$anon
    done
    echo "$procs $max $trss $tpss $amax $tapss"
}

# measure_memory N ssl|mauth -> sets MEM_RESULT (see mem)
measure_memory() {
    local n=$1 which=$2 dir="$SRVROOT/mem-$2-$1"
    write_conf "$dir" "$CRLDIR/crls-$n.pem" "$which"
    start_server "$dir" "$which"
    drive "$dir" "$(port_of "$which")" "$MEM_SECONDS" "$CLIENTS" "mem" >/dev/null
    sleep 1
    MEM_RESULT=$(mem "$dir")
    stop_server "$dir/run/httpd.pid"
}

# ------------------------------------------------------------ many vhosts

f() { awk -v x="$1" -v d="${2:-0}" 'BEGIN { printf "%.*f", d, x }'; }
div() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b == 0) print "n/a"; else printf "%.*f", d, a / b }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
verdict() { awk -v x="$1" -v op="$2" -v t="$3" 'BEGIN { if (x == "n/a") print "n/a"; else if ((op == ">=" && x + 0 >= t) || (op == "<=" && x + 0 <= t)) print "PASS"; else print "MISS" }'; }

# write_vhosts_conf DIR CRLFILE COUNT: COUNT mutual vhosts on PORT_MAUTH,
# PORT_MAUTH + 1, ..., all with the same root and CRLs.
write_vhosts_conf() {
    local dir=$1 crls=$2 count=$3 i port
    write_conf "$dir" "$crls"
    for i in $(seq 0 $((count - 1))); do
        port=$((PORT_MAUTH + i))
        port_busy "$port" && die "port $port is already in use (set BENCH_PORT)"
        cat >>"$dir/httpd.conf" <<EOF
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    SSLEngine on
    SSLCertificateFile "$PKI/server-chain.pem"
    SSLCertificateKeyFile "$PKI/server.key"
    SSLVerifyClient optional_no_ca
    MAuthEngine on
    MAuthRole mutual
    MAuthCACertificateFile "$PKI/root.pem"
    MAuthCARevocationFile "$crls"
    MAuthCARevocationCheck chain
    <Location />
        MAuthRequireCertificate on
    </Location>
</VirtualHost>
EOF
    done
}

# vhosts_run CRLFILE COUNT ENTRIES -> "seconds anon_pss_kB": the time from
# the start to the last vhost listening; the memory after every vhost
# answered the chain with 200 (and a revoked leaf with 403 when the CRL
# lists it) and the first and last took s_time load.
vhosts_run() {
    local crls=$1 count=$2 n=$3 dir="$SRVROOT/vhosts-$2-$3" t0 t1 i port st b apss
    write_vhosts_conf "$dir" "$crls" "$count"
    t0=$(date +%s.%N)
    start_server "$dir"
    for i in $(seq 1 2400); do
        port_busy $((PORT_MAUTH + count - 1)) && break
        sleep 0.05
    done
    t1=$(date +%s.%N)
    b="$dir/logs/check"
    for i in $(seq 0 $((count - 1))); do
        port=$((PORT_MAUTH + i))
        st=$(curl_status "$port" "$PKI/client-fullchain.pem" "$PKI/client.key" "$b")
        expect_status "mod_mauth vhost $i of $count, client chain" 200 "$st" "$b"
        if [ "$n" -gt 0 ]; then
            st=$(curl_status "$port" "$PKI/revoked-fullchain.pem" "$PKI/revoked.key" "$b")
            expect_status "mod_mauth vhost $i of $count, revoked leaf" 403 "$st" "$b"
        fi
    done
    drive "$dir" "$PORT_MAUTH" "$MEM_SECONDS" "$CLIENTS" "mem" >/dev/null
    drive "$dir" $((PORT_MAUTH + count - 1)) 1 "$CLIENTS" "mem-last" >/dev/null
    sleep 1
    read -r _ _ _ _ _ apss <<<"$(mem "$dir")"
    if grep -E '\[(emerg|alert|crit|error)\]|segfault' "$dir/logs/error.log" >/dev/null; then
        die "errors in $dir/logs/error.log: $(grep -E '\[(emerg|alert|crit|error)\]' "$dir/logs/error.log" | head -n 5)"
    fi
    stop_server "$dir/run/httpd.pid"
    awk -v a="$t0" -v b="$t1" -v m="$apss" 'BEGIN { printf "%.2f %d\n", b - a, m }'
}

vhosts_report() {
    local count=$1 n=0 m der t0 m0 t1 m1 te me tn mn r1 rn rt
    for m in $SIZES; do [ "$m" -gt "$n" ] && n=$m; done
    der=$(($(der_size "$CRLDIR/root-crl.pem") + $(der_size "$CRLDIR/int-crl-$n.pem")))
    say "many vhosts: 1 and $count mutual vhosts sharing one root and a CRL of $n entries ($der bytes DER)"
    read -r t0 m0 <<<"$(vhosts_run "$CRLDIR/crls-0.pem" 1 0)"
    read -r t1 m1 <<<"$(vhosts_run "$CRLDIR/crls-$n.pem" 1 "$n")"
    read -r te me <<<"$(vhosts_run "$CRLDIR/crls-0.pem" "$count" 0)"
    read -r tn mn <<<"$(vhosts_run "$CRLDIR/crls-$n.pem" "$count" "$n")"
    # what the CRL costs: over the same server with an empty CRL, so the
    # vhosts' own TLS contexts are not counted as CRL memory
    r1=$(div "$(( (m1 - m0) * 1024 ))" "$der")
    rn=$(div "$(( (mn - me) * 1024 ))" "$der")
    rt=$(div "$tn" "$t1")
    echo
    echo "Many vhosts: mutual vhosts sharing one root and one CRL of $n entries ($der bytes DER); parent + 2 children"
    printf '%-28s %12s %14s %26s\n' "server" "start-up s" "anon PSS MB" "(PSS - same, empty) / DER"
    printf '%-28s %12s %14s %26s\n' "1 vhost, empty CRL" "$t0" "$(mb "$m0")" "-"
    printf '%-28s %12s %14s %26s\n' "1 vhost, $n entries" "$t1" "$(mb "$m1")" "$r1"
    printf '%-28s %12s %14s %26s\n' "$count vhosts, empty CRL" "$te" "$(mb "$me")" "-"
    printf '%-28s %12s %14s %26s\n' "$count vhosts, $n entries" "$tn" "$(mb "$mn")" "$rn"
    echo "Targets (issue 10) -- a report, not a test:"
    echo "  $(verdict "$rn" '<=' 2)  whole-server memory for the CRL with $count vhosts <= 2 x DER: $rn x"
    echo "  $(verdict "$rt" '<=' 2)  start-up with $count vhosts <= 2 x one vhost's: $rt x"
}

# ------------------------------------------------------------ main

declare -A DER RATE_SSL RATE_MAUTH RATE_NC CONN_SSL CONN_MAUTH CONN_NC MEM_SSL MEM_MAUTH
declare -A IDLE_SSL IDLE_MAUTH IDLE_NC OTHER_SSL OTHER_MAUTH OTHER_NC MS_SSL MS_MAUTH MS_NC

say "httpd: $HTTPD ($("$HTTPD" -v | sed -n 's/^Server version: //p')), $(openssl version)"
say "module: $MODULE"
say "clients: $CLIENTS x openssl s_time -new, $SECONDS_PER_RUN s per vhost, best of $ROUNDS round(s); CRL sizes: $SIZES"
OTHER_HTTPD=$(ps -e -o comm= | grep -c -E '^(apache2|httpd)$' || true)
say "load average: $(cut -d' ' -f1-3 /proc/loadavg); other httpd processes running: $OTHER_HTTPD"
[ "$OTHER_HTTPD" = 0 ] || say "WARNING: other httpd processes share the CPUs: rates will be lower and noisier"
# CPU already busy before we start (other jobs on the machine skew every rate)
cpu_busy_percent() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        t = y[2] - x[2]; printf "%d", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }'
}
BUSY_BEFORE=$(cpu_busy_percent)
say "CPU busy before the benchmark: $BUSY_BEFORE% of $(nproc) CPUs"
[ "$BUSY_BEFORE" -lt 10 ] || say "WARNING: the machine is busy before the benchmark starts: rates will be lower and noisier"
make_pki
printf '<html><body>mod_mauth bench page</body></html>\n' >"$DOCROOT/index.html"
chmod -R a+rX "$DOCROOT"
if [ "$RUN_AS_ROOT" = 1 ] && command -v runuser >/dev/null 2>&1; then
    runuser -u nobody -- test -r "$DOCROOT/index.html" \
        || die "$DOCROOT/index.html is not readable by nobody (the server's children run as nobody)"
fi
for n in $SIZES; do make_crls "$n"; done
if [ "${BENCH_VHOSTS:-0}" -gt 0 ]; then
    make_crls 0
    vhosts_report "$BENCH_VHOSTS"
    exit 0
fi

for n in $SIZES; do
    crls="$CRLDIR/crls-$n.pem"
    DER[$n]=$(($(der_size "$CRLDIR/root-crl.pem") + $(der_size "$CRLDIR/int-crl-$n.pem")))
    dir="$SRVROOT/bench-$n"
    say "CRL $n entries (${DER[$n]} bytes DER): one httpd, vhosts mod_ssl :$PORT_SSL, mod_mauth :$PORT_MAUTH, mod_mauth no cache :$PORT_NOCACHE"
    write_conf "$dir" "$crls" ssl mauth nocache
    t0=$(date +%s.%N)
    start_server "$dir" ssl mauth nocache
    say "  started in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
    sanity_checks "$dir" "$n"
    for r in $(seq 1 "$ROUNDS"); do
        for v in ssl mauth nocache; do
            result=$(drive "$dir" "$(port_of "$v")" "$SECONDS_PER_RUN" "$CLIENTS" "$v-$r")
            read -r conns rate idle other ms <<<"$result"
            say "  round $r $(printf '%-8s' "$v"): $conns connections, $rate /s, server CPU $ms ms/connection (CPU idle $idle%, other processes $other%)"
            case $v in
                ssl) var=SSL ;; mauth) var=MAUTH ;; nocache) var=NC ;;
            esac
            declare -n best_rate="RATE_$var" best_conn="CONN_$var" best_idle="IDLE_$var" \
                best_other="OTHER_$var" best_ms="MS_$var"
            if [ -z "${best_rate[$n]:-}" ] || awk -v a="$rate" -v b="${best_rate[$n]}" 'BEGIN { exit !(a > b) }'; then
                best_rate[$n]=$rate best_conn[$n]=$conns best_idle[$n]=$idle best_other[$n]=$other
            fi
            # the server's CPU per connection: the lowest of the rounds
            if [ -z "${best_ms[$n]:-}" ] || awk -v a="$ms" -v b="${best_ms[$n]}" 'BEGIN { exit !(a < b) }'; then
                best_ms[$n]=$ms
            fi
            unset -n best_rate best_conn best_idle best_other best_ms
        done
    done
    if grep -E '\[(emerg|alert|crit|error)\]|AH00051|AH00052|segfault' "$dir/logs/error.log" >/dev/null; then
        die "errors in $dir/logs/error.log: $(grep -E '\[(emerg|alert|crit|error)\]|AH00051|AH00052|segfault' "$dir/logs/error.log" | head -n 5)"
    fi
    stop_server "$dir/run/httpd.pid"

    say "  memory: mod_ssl alone, then mod_mauth alone, $MEM_SECONDS s of load each"
    measure_memory "$n" ssl
    MEM_SSL[$n]=$MEM_RESULT
    measure_memory "$n" mauth
    MEM_MAUTH[$n]=$MEM_RESULT
done

# ------------------------------------------------------------ report

has0=0
for n in $SIZES; do [ "$n" = 0 ] && has0=1; done

echo
echo "mod_mauth benchmark: $CLIENTS parallel 'openssl s_time -new' clients, $SECONDS_PER_RUN s per vhost, best of $ROUNDS round(s), EC P-256 chain (leaf + intermediate sent), $(nproc) CPUs"
echo "$("$HTTPD" -v | sed -n 's/^Server version: //p'), $(openssl version); mpm_event 2 x 25 threads; CRLs: root (empty) + intermediate (N entries)"
echo "CPU busy before the run: $BUSY_BEFORE%; other httpd processes at start: $OTHER_HTTPD; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Throughput (new TLS connections per second, each a full handshake + GET /index.html -> 200)"
printf '%-10s %10s %10s %10s %10s %10s %12s %10s %10s\n' \
    "entries" "DER bytes" "mod_ssl" "mauth" "mauth/ssl" "mauth/own0" "mauth nocache" "nc/ssl" "nc/own0"
for n in $SIZES; do
    own0=n/a nown0=n/a
    if [ "$has0" = 1 ]; then
        own0=$(div "${RATE_MAUTH[$n]}" "${RATE_MAUTH[0]}")
        nown0=$(div "${RATE_NC[$n]}" "${RATE_NC[0]}")
    fi
    printf '%-10s %10s %10s %10s %10s %10s %12s %10s %10s\n' "$n" "${DER[$n]}" \
        "$(f "${RATE_SSL[$n]}")" "$(f "${RATE_MAUTH[$n]}")" "$(div "${RATE_MAUTH[$n]}" "${RATE_SSL[$n]}")" \
        "$own0" "$(f "${RATE_NC[$n]}")" "$(div "${RATE_NC[$n]}" "${RATE_SSL[$n]}")" "$nown0"
done
echo "Server CPU per connection (ms, user + system, all httpd processes; clients excluded, so less sensitive to other load)"
printf '%-10s %10s %10s %10s %10s %12s %10s\n' "entries" "mod_ssl" "mauth" "ssl/mauth" "mauth/own0" "mauth nocache" "ssl/nc"
for n in $SIZES; do
    own0=n/a
    [ "$has0" = 1 ] && own0=$(div "${MS_MAUTH[$n]}" "${MS_MAUTH[0]}")
    printf '%-10s %10s %10s %10s %10s %12s %10s\n' "$n" "${MS_SSL[$n]}" "${MS_MAUTH[$n]}" \
        "$(div "${MS_SSL[$n]}" "${MS_MAUTH[$n]}")" "$own0" "${MS_NC[$n]}" "$(div "${MS_SSL[$n]}" "${MS_NC[$n]}")"
done
echo
echo "CPU during each run, % of all CPUs: idle / used by other processes than this server and its clients"
printf '%-10s %14s %14s %14s\n' "entries" "mod_ssl" "mauth" "mauth nocache"
NOISY=0
for n in $SIZES; do
    printf '%-10s %14s %14s %14s\n' "$n" "${IDLE_SSL[$n]} / ${OTHER_SSL[$n]}" \
        "${IDLE_MAUTH[$n]} / ${OTHER_MAUTH[$n]}" "${IDLE_NC[$n]} / ${OTHER_NC[$n]}"
    for o in "${OTHER_SSL[$n]}" "${OTHER_MAUTH[$n]}" "${OTHER_NC[$n]}"; do
        [ "$o" -le 5 ] || NOISY=1
    done
done
[ "$NOISY" = 0 ] || echo "WARNING: other processes took more than 5% of the CPUs during some runs: those rates are unreliable"
echo
echo "Memory after $MEM_SECONDS s of load: one server per module (parent + 2 children); MB; deltas over the 0-CRL server of the"
echo "same module, divided by the CRL's DER size, from anonymous memory: largest process RssAnon, and Pss_Anon summed"
printf '%-10s %-9s %5s %10s %10s %10s %10s %10s %10s\n' \
    "entries" "server" "procs" "RSS/proc" "PSS sum" "anonRSS/p" "anonPSS" "dRSS/p÷DER" "dPSS÷DER"
for n in $SIZES; do
    for which in ssl mauth; do
        if [ "$which" = ssl ]; then m=${MEM_SSL[$n]}; m0=${MEM_SSL[0]:-}; label=mod_ssl
        else m=${MEM_MAUTH[$n]}; m0=${MEM_MAUTH[0]:-}; label=mod_mauth; fi
        read -r procs maxrss _ sumpss amax apss <<<"$m"
        drss=n/a dpss=n/a
        if [ -n "$m0" ] && [ "$n" != 0 ]; then
            read -r _ _ _ _ amax0 apss0 <<<"$m0"
            drss=$(div "$(( (amax - amax0) * 1024 ))" "${DER[$n]}")
            dpss=$(div "$(( (apss - apss0) * 1024 ))" "${DER[$n]}")
        fi
        printf '%-10s %-9s %5s %10s %10s %10s %10s %10s %10s\n' "$n" "$label" "$procs" \
            "$(mb "$maxrss")" "$(mb "$sumpss")" "$(mb "$amax")" "$(mb "$apss")" "$drss" "$dpss"
    done
done
echo
echo "Targets (issue 2, Speed) -- a report, not a test:"
for n in $SIZES; do
    if [ "$n" = 100000 ]; then
        r=$(div "${RATE_MAUTH[$n]}" "${RATE_SSL[$n]}")
        rn=$(div "${RATE_NC[$n]}" "${RATE_SSL[$n]}")
        echo "  $(verdict "$r" '>=' 1.5)  100,000 entries: mod_mauth >= 1.5 x mod_ssl: $r x (without verdict cache: $rn x, $(verdict "$rn" '>=' 1.5))"
    fi
    if [ "$n" = 1000000 ]; then
        if [ "$has0" = 1 ]; then
            r=$(div "${RATE_MAUTH[$n]}" "${RATE_MAUTH[0]}")
            rn=$(div "${RATE_NC[$n]}" "${RATE_NC[0]}")
        else r=n/a rn=n/a; fi
        echo "  $(verdict "$r" '>=' 0.9)  1,000,000 entries: mod_mauth >= 0.9 x its own 0-CRL rate: $r x (without verdict cache: $rn x, $(verdict "$rn" '>=' 0.9))"
    fi
done
for n in $SIZES; do
    [ "$n" = 0 ] && continue
    if [ "${DER[$n]}" -lt 1048576 ]; then
        echo "  n/a   $n entries: mod_mauth memory for the CRL <= 2 x DER: a CRL under 1 MB is lost in the noise"
        continue
    fi
    if [ "$has0" = 1 ]; then
        read -r _ _ _ _ amax apss <<<"${MEM_MAUTH[$n]}"
        read -r _ _ _ _ amax0 apss0 <<<"${MEM_MAUTH[0]}"
        r=$(div "$(( (amax - amax0) * 1024 ))" "${DER[$n]}")
        rp=$(div "$(( (apss - apss0) * 1024 ))" "${DER[$n]}")
        worst=$(awk -v a="$r" -v b="$rp" 'BEGIN { print (a > b ? a : b) }')
    else r=n/a rp=n/a worst=n/a; fi
    echo "  $(verdict "$worst" '<=' 2)  $n entries: mod_mauth memory for the CRL <= 2 x DER: largest process anon RSS +$r x, whole server anon PSS +$rp x"
done
echo
echo "Logs and configurations: $SRVROOT/"
