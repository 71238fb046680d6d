#!/bin/bash
# t/bench/run.sh: mod_mauth against mod_ssl.  Not a test: it prints tables
# and PASS/MISS against the targets of issues 2, 9 and 10 ("Speed" in the
# README), and exits non-zero when the benchmark cannot run or one of its
# sanity checks fails (a connection logged without the certificate or
# without a 200, a revoked certificate accepted, a CRL refresh refused, ...).
#
#   make -f Makefile.apxs bench            (builds the module, then runs this)
#   sh t/bench/run.sh                      (needs .libs/mod_mauth.so, build/mauth-admin)
#
# Knobs (environment):
#   BENCH_SECONDS   seconds each configuration is driven        (default 10)
#   BENCH_SIZES     CRL sizes, revoked serials                  (default "0 100000 1000000")
#   BENCH_CLIENTS   parallel clients                            (default 2)
#   BENCH_PORT      first of the loopback ports used            (default 17443;
#                   not 18443, t/install/system-install.sh's test port)
#   BENCH_MODULE    the mod_mauth.so to load            (default .libs/mod_mauth.so)
#   BENCH_ADMIN     the mauth-admin to set up the store (default build/mauth-admin)
#   BENCH_MEM_SECONDS  load applied before reading memory       (default 3)
#   BENCH_ROUNDS    drive each configuration this many times and keep
#                   the best rate (other jobs on the machine only ever
#                   lower a rate; the table shows the CPU they took)  (default 1)
#   BENCH_REFRESH_EVERY  seconds between two CRL replacements in the
#                   refresh run (MAuthCARevocationRefresh 1)    (default 3)
#   BENCH_KA_REQUESTS    requests per keep-alive connection     (default 1000)
#   BENCH_OCSP_DELAY_MS  the OCSP responder this far away: each exchange
#                   waits this long (t/bench/ocsp_delay.pl); a CA's responder
#                   is a network round trip away, not on loopback
#                   (default 20; 0: loopback)
#   BENCH_PROFILE   0: no perf profile                          (default 1)
#   BENCH_ONLY      a subset of: tls keepalive profile refresh ocsp memory
#                   (default: all of them)
#   BENCH_DEBUG     1: print the CPU accounting of every run
#   BENCH_VHOSTS    N: instead, the many-vhosts measurement (issue 10):
#                   N mutual vhosts sharing one root and the largest CRL of
#                   BENCH_SIZES, against one such vhost; start-up time and
#                   whole-server memory (make -f Makefile.apxs bench-vhosts)
#
# Every configuration runs in an httpd of its own (ServerRoot, logs, pid
# file under t/bench/work/srv/; never /etc/apache2): started, warmed up,
# driven, measured, stopped, one after the other, never two at once.  The
# same server certificate, static file and MPM (event, 2 children of 25
# threads, no keep-alive, no TLS session resumption) everywhere:
#   none     mod_ssl, no client certificate asked (SSLVerifyClient none)
#   nca      mod_ssl, optional_no_ca with nothing trusted: the client's
#            certificate is received and not verified (the TLS cost alone)
#   ssl      mod_ssl, SSLVerifyClient require, root + CRLs, check chain
#   mauth    mod_mauth's mutual vhost (optional_no_ca, MAuthCA* with the
#            same root and CRLs, check chain, MAuthRequireCertificate on),
#            verdict cache warm (the default)
#   nocache  the same, verdict cache off (MAuthVerdictCacheSize 1,
#            MAuthVerdictCacheTimeout 0): every handshake verifies the chain
# none and nca have no CRL: they run once, at the first CRL size.  Each
# run is BENCH_CLIENTS `openssl s_time -new` clients sending leaf +
# intermediate (the intermediate from -CAfile) for BENCH_SECONDS; the rate
# counts only the connections the access log shows with the certificate
# (and, where verified, the verification's SUCCESS) and a 200; a run with any
# other line, or with fewer lines than s_time's connections, stops the
# benchmark.  Server CPU per connection is the utime + stime of the httpd
# processes (/proc/PID/stat) over the run, divided by those connections.
#
# Then (BENCH_ONLY):
#   keepalive  an enforced user (store set up with mauth-admin: org with the
#              switch on, the permission, the certificate uploaded, a
#              session token sent as Authorization: Bearer) making
#              BENCH_KA_REQUESTS requests per TLS connection with curl,
#              against plain mod_ssl (require, same CRL) serving the same file
#   profile    perf record -g of the mauth server (warm, then cold cache) at
#              the largest CRL: the share of the server's samples in
#              mod_mauth.so (its core is linked into it statically), libssl,
#              libcrypto, httpd + APR, the kernel and the rest (issue 10)
#   refresh    a 1 M-entry CRL (the largest size) replaced by rename every
#              BENCH_REFRESH_EVERY s with a newer one during the run, against
#              the same server whose file does not change (issue 9)
#   ocsp       MAuthOCSP leaf with its response cache warm against mod_ssl's
#              SSLOCSPEnable, one `openssl ocsp` responder for both (issue 9)
#   memory     whole-server PSS of mod_mauth with the largest CRL, 4 children
#              each loaded, minus the same server with an empty CRL; then
#              after one CRL refresh; plus the files in its runtime
#              directory (on tmpfs) (issue 9)
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
PORT_BASE=${BENCH_PORT:-17443}
MEM_SECONDS=${BENCH_MEM_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-1}
REFRESH_EVERY=${BENCH_REFRESH_EVERY:-3}
KA_REQUESTS=${BENCH_KA_REQUESTS:-1000}
OCSP_DELAY=${BENCH_OCSP_DELAY_MS:-20}
PROFILE=${BENCH_PROFILE:-1}
ONLY=${BENCH_ONLY:-tls keepalive profile refresh ocsp memory}
APXS=${APXS:-apxs}
MODULE=${BENCH_MODULE:-$TOP/.libs/mod_mauth.so}
ADMIN_BIN=${BENCH_ADMIN:-$TOP/build/mauth-admin}

# one server at a time listens on PORT; the OCSP responder on PORT + 1; the
# many-vhosts mode uses PORT_MAUTH and up
PORT=$PORT_BASE
PORT_OCSP=$((PORT_BASE + 1))
PORT_MAUTH=$((PORT_BASE + 1))

# The revoked test leaf carries the first serial of every CRL's list.
REVOKED_SERIAL_BASE=$((0x10000000))
REVOKED_SERIAL_STEP=7

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

# ------------------------------------------------------------ preconditions

for v in SECONDS_PER_RUN CLIENTS PORT_BASE MEM_SECONDS ROUNDS REFRESH_EVERY KA_REQUESTS; do
    case ${!v} in
        '' | *[!0-9]*) die "$v must be a positive integer (got '${!v}')" ;;
    esac
    [ "${!v}" -gt 0 ] || die "$v must be a positive integer"
done
case $OCSP_DELAY in '' | *[!0-9]*) die "BENCH_OCSP_DELAY_MS must be a number of milliseconds" ;; esac
for n in $SIZES; do
    case $n in '' | *[!0-9]*) die "BENCH_SIZES: '$n' is not a number" ;; esac
done
[ -f "$MODULE" ] || die "$MODULE is missing: run 'make -f Makefile.apxs module' first"
for w in $ONLY; do
    case $w in tls | keepalive | profile | refresh | ocsp | memory) ;; *) die "BENCH_ONLY: unknown part '$w'" ;; esac
done
wants() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
if wants keepalive; then
    [ -x "$ADMIN_BIN" ] || die "$ADMIN_BIN is missing: run 'make -f Makefile.apxs tools' first (the keep-alive run sets up its store with it)"
fi
if wants profile && [ "$PROFILE" = 1 ]; then
    command -v perf >/dev/null 2>&1 || die "perf not found (Debian: apt-get install linux-perf), or set BENCH_PROFILE=0"
fi
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
for m in mpm_event authz_core mime log_config ssl dbd socache_shmcb; do
    case $COMPILED_IN in *"mod_$m.c"*) continue ;; esac
    [ -f "$LIBEXEC/mod_$m.so" ] || die "$LIBEXEC/mod_$m.so is missing"
    LOAD_MODULES+="LoadModule ${m}_module \"$LIBEXEC/mod_$m.so\""$'\n'
done

RUN_AS_ROOT=0
[ "$(id -u)" = 0 ] && RUN_AS_ROOT=1

# ------------------------------------------------------------ cleanup

SERVER_PIDFILES=()
CLIENT_PIDS=()
# responder, CRL replacer, perf: background helpers of this script
BG_PIDS=()

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
    for p in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
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

# the intermediate CA database listing N revoked serials
write_int_index() {
    awk -v n="$1" -v base="$REVOKED_SERIAL_BASE" -v step="$REVOKED_SERIAL_STEP" 'BEGIN {
            for (i = 0; i < n; i++)
                printf "R\t351231235959Z\t240101000000Z\t%08X\tunknown\t/CN=revoked %d\n",
                    base + i * step, i
        }' >"$CRLDIR/index-int.txt"
    echo 'unique_subject = no' >"$CRLDIR/index-int.txt.attr"
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
        write_int_index "$n"
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

# make_refresh_crls N K: K newer CRLs of the intermediate, listing the same N
# serials, CRL numbers 2 .. K+1 (crls-N.pem's is 1), generated one after the
# other (thisUpdate never goes back); refresh-N-I.pem holds the root's CRL and
# the I-th of them, like crls-N.pem.  For the refresh runs: the module takes
# only a CRL that is not older than the one in use.
make_refresh_crls() {
    local n=$1 k=$2 i f need=0
    for i in $(seq 1 "$k"); do
        f="$CRLDIR/refresh-$n-$i.pem"
        if crl_stale "$f" || [ "$CRLDIR/int-crl-$n.pem" -nt "$f" ] \
            || { [ "$i" -gt 1 ] && [ "$CRLDIR/refresh-$n-$((i - 1)).pem" -nt "$f" ]; }; then
            need=1
        fi
    done
    if [ "$need" = 0 ]; then
        say "CRL: $k newer CRLs of $n entries cached (refresh-$n-*.pem)"
        return
    fi
    say "CRL: generating $k newer CRLs of $n entries for the refresh runs"
    write_int_index "$n"
    echo 02 >"$CRLDIR/crlnumber-int"
    for i in $(seq 1 "$k"); do
        openssl ca -config "$PKI/openssl.cnf" -name ca_int -gencrl \
            -out "$CRLDIR/refresh-int.tmp" 2>"$CRLDIR/ca.log" \
            || die "openssl ca -gencrl ($n entries, refresh $i): $(cat "$CRLDIR/ca.log")"
        cat "$CRLDIR/root-crl.pem" "$CRLDIR/refresh-int.tmp" >"$CRLDIR/refresh-$n-$i.pem"
    done
    rm -f "$CRLDIR/refresh-int.tmp" "$CRLDIR/index-int.txt" "$CRLDIR"/index-int.txt.*
}

# ------------------------------------------------------------ servers

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The access log: one tab-separated line a request, what the sanity checks
# read (check_log): local port, final status, the child's pid, the request's
# number on its connection (0: the first), mod_ssl's view of the client
# certificate (subject, SSL_CLIENT_VERIFY) and mod_mauth's (its verdict, its
# decision, the user, enforced or not, which upload matched).
LOG_FORMAT='%{local}p\t%>s\t%P\t%k\t%{SSL_CLIENT_S_DN}x\t%{SSL_CLIENT_VERIFY}x\t%{MAUTH_CLIENT_VERIFY}e\t%{MAUTH_DECISION}e\t%{MAUTH_USER}e\t%{MAUTH_ENFORCED}e\t%{MAUTH_CERT_MATCHED}e'

# write_conf DIR KIND [CRLFILE]: an httpd of its own serving one vhost of
# KIND on PORT (see the top of this file; also ocsp-ssl, ocsp-mauth).
# Set for one call (NAME=value write_conf ...):
#   C_CHILDREN   processes, 25 threads each (2)     C_KEEPALIVE  On|Off (Off)
#   C_RUNDIR     DefaultRuntimeDir ($DIR/run)       C_LOGLEVEL   (warn)
#   C_GLOBAL     lines at server scope              C_VHOST      lines in the vhost
#   C_LOCATION   lines in the vhost's <Location />
write_conf() {
    local dir=$1 kind=$2 crls=${3:-} user="" body children=${C_CHILDREN:-2}
    local rundir=${C_RUNDIR:-$1/run}
    rm -rf "$dir"
    mkdir -p "$dir/logs" "$dir/run" "$rundir"
    [ "$RUN_AS_ROOT" = 1 ] && user=$'User nobody\nGroup nogroup'
    local tls="    SSLEngine on
    SSLCertificateFile \"$PKI/server-chain.pem\"
    SSLCertificateKeyFile \"$PKI/server.key\""
    local mauth="    SSLVerifyClient optional_no_ca
    MAuthEngine on
    MAuthRole mutual
    MAuthCACertificateFile \"$PKI/root.pem\""
    case $kind in
        bare) body="" ;;
        none) body=$tls ;;
        nca) body="$tls
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 5" ;;
        ssl) body="$tls
    SSLVerifyClient require
    SSLVerifyDepth 3
    SSLCACertificateFile \"$PKI/root.pem\"
    SSLCARevocationFile \"$crls\"
    SSLCARevocationCheck chain" ;;
        mauth | nocache) body="$tls
$mauth
    MAuthCARevocationFile \"$crls\"
    MAuthCARevocationCheck chain
    <Location />
        MAuthRequireCertificate on
${C_LOCATION:-}
    </Location>"
            [ "$kind" = nocache ] && body+=$'\n    MAuthVerdictCacheSize 1\n    MAuthVerdictCacheTimeout 0' ;;
        ocsp-ssl) body="$tls
    SSLVerifyClient require
    SSLVerifyDepth 3
    SSLCACertificateFile \"$PKI/root.pem\"
    SSLOCSPEnable leaf
    SSLOCSPDefaultResponder http://127.0.0.1:$PORT_OCSP/
    SSLOCSPOverrideResponder on" ;;
        ocsp-mauth) body="$tls
$mauth
    MAuthOCSP leaf
    MAuthOCSPResponder http://127.0.0.1:$PORT_OCSP/
    <Location />
        MAuthRequireCertificate on
    </Location>" ;;
        *) die "write_conf: unknown kind $kind" ;;
    esac
    cat >"$dir/httpd.conf" <<EOC
# generated by t/bench/run.sh: $kind
ServerRoot "$dir"
ServerName localhost
DefaultRuntimeDir "$rundir"
PidFile "$dir/run/httpd.pid"
ErrorLog "$dir/logs/error.log"
LogLevel ${C_LOGLEVEL:-warn}
$LOAD_MODULES
LoadModule mauth_module "$MODULE"
$user
# a fixed process count, never recycled
StartServers $children
ServerLimit $children
ThreadsPerChild 25
MaxRequestWorkers $((children * 25))
MinSpareThreads 25
MaxSpareThreads $((children * 25 + 25))
MaxConnectionsPerChild 0
KeepAlive ${C_KEEPALIVE:-Off}
MaxKeepAliveRequests 0
KeepAliveTimeout 5
TypesConfig /dev/null
AddType text/html .html
DocumentRoot "$DOCROOT"
<Directory />
    Require all denied
</Directory>
<Directory "$DOCROOT">
    Require all granted
</Directory>
LogFormat "$LOG_FORMAT" bench
CustomLog "$dir/logs/access.log" bench
# every s_time -new connection is a full handshake; no resumption anywhere
SSLSessionCache none
SSLSessionTickets off
${C_GLOBAL:-}
EOC
    [ "$kind" = bare ] && return 0
    cat >>"$dir/httpd.conf" <<EOC
Listen 127.0.0.1:$PORT
<VirtualHost 127.0.0.1:$PORT>
$body
${C_VHOST:-}
</VirtualHost>
EOC
}

# start_server DIR [PORT [CHILDREN]]: started, listening, its children up
start_server() {
    local dir=$1 port=${2:-$PORT} children=${3:-2} i pid=""
    port_busy "$port" && die "port $port is already in use (set BENCH_PORT)"
    "$HTTPD" -t -d "$dir" -f "$dir/httpd.conf" >"$dir/logs/configtest.log" 2>&1 \
        || die "httpd -t failed for $dir/httpd.conf: $(cat "$dir/logs/configtest.log")"
    SERVER_PIDFILES+=("$dir/run/httpd.pid")
    "$HTTPD" -d "$dir" -f "$dir/httpd.conf" -k start >"$dir/logs/start.log" 2>&1 \
        || die "httpd did not start: $(cat "$dir/logs/start.log"; tail -n 20 "$dir/logs/error.log" 2>/dev/null)"
    for i in $(seq 1 1200); do
        if [ -s "$dir/run/httpd.pid" ]; then
            pid=$(cat "$dir/run/httpd.pid")
            kill -0 "$pid" 2>/dev/null || die "httpd exited during start-up: $(tail -n 20 "$dir/logs/error.log")"
            if port_busy "$port" && [ "$(ps -o pid= --ppid "$pid" | wc -l)" -ge "$children" ]; then
                return 0
            fi
        fi
        sleep 0.1
    done
    die "httpd in $dir not listening after 120 s: $(tail -n 20 "$dir/logs/error.log" 2>/dev/null)"
}

server_pids() {
    local pid
    pid=$(cat "$1/run/httpd.pid")
    echo "$pid" $(ps -o pid= --ppid "$pid")
}

# the error log must not show an error, a crash or a child that exited
check_error_log() {
    local dir=$1 re='\[(emerg|alert|crit|error)\]|AH00051|AH00052|segfault'
    if grep -E "$re" "$dir/logs/error.log" >/dev/null; then
        die "errors in $dir/logs/error.log: $(grep -E "$re" "$dir/logs/error.log" | head -n 5)"
    fi
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

# check_log DIR FROM EXPECT -> "lines verified" for the access log's lines
# after line FROM; the lines that are not what EXPECT says go to
# DIR/logs/bad-lines (the first 20).  EXPECT:
#   none      200, no client certificate
#   cert      200, the client's certificate (subject CN=bench client)
#   ssl       cert, and mod_ssl's SSL_CLIENT_VERIFY SUCCESS
#   mauth     cert, and mod_mauth's MAUTH_CLIENT_VERIFY SUCCESS, decision pass
#   enforced  mauth, and the user BENCH_USER, enforced, the upload matched
#             for that user
check_log() {
    local dir=$1 from=$2 expect=$3
    tail -n +"$((from + 1))" "$dir/logs/access.log" | awk -F '\t' -v e="$expect" \
        -v u="${BENCH_USER:-benchuser}" -v bad="$dir/logs/bad-lines" '
        BEGIN { printf "" > bad }
        {
            t++
            good = ($2 == 200)
            cert = ($5 ~ /(^|,)CN=bench client(,|$)/)
            if (e == "none") good = good && ($5 == "-" || $5 == "")
            else good = good && cert
            if (e == "ssl") good = good && $6 == "SUCCESS"
            if (e == "mauth" || e == "enforced") good = good && $7 == "SUCCESS" && $8 == "pass"
            if (e == "enforced") good = good && $9 == u && $10 == "true" && $11 == "user"
            if (good) ok++
            else if (nbad++ < 20) print > bad
        }
        END { printf "%d %d\n", t, ok }'
}

# distinct children that logged a request after line FROM
children_seen() {
    tail -n +"$(($2 + 1))" "$1/logs/access.log" | awk -F '\t' '{ print $3 }' | sort -u | wc -l
}

# CPU ticks: machine-wide busy and total (/proc/stat), and one server's
# processes (utime + stime of the parent and its children)
stat_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
server_ticks() {
    local p sum=0 t
    for p in $(server_pids "$1"); do
        t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)
        sum=$((sum + t))
    done
    echo "$sum"
}
# the OCSP responder's ticks, while it runs (its CPU is part of the run, not other load)
helper_ticks() {
    if [ -n "${OCSP_PID:-}" ] && [ -r "/proc/$OCSP_PID/stat" ]; then
        awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$OCSP_PID/stat"
    else
        echo 0
    fi
}

# client_sessions PORT SECS OUT CLIENT: one client, BENCH_SECONDS of
# CLIENT traffic; writes "rc start end cpu_ticks units" to OUT.time, where
# units is what the client says it made (connections or requests)
#   s_time   openssl s_time -new with the client chain (leaf + intermediate)
#   s_none   openssl s_time -new without a certificate
#   ka       curl: connections of KA_REQUESTS requests each, for SECS,
#            with the chain and, when BENCH_TOKEN is set, the session token
client_session() {
    local port=$1 secs=$2 out=$3 client=$4
    local s e rc=0 ct units=0 end args=() me
    s=$(date +%s.%N)
    case $client in
        s_time | s_none)
            [ "$client" = s_time ] && args=(-cert "$PKI/client.pem" -key "$PKI/client.key" -CAfile "$PKI/client-ca.pem")
            openssl s_time -connect "127.0.0.1:$port" -new "${args[@]+"${args[@]}"}" \
                -time "$secs" -www /index.html >"$out.out" 2>&1 </dev/null || rc=$?
            units=$(awk '/ connections in [0-9.]+s;/ { print $1; exit }' "$out.out")
            [ -n "$units" ] || units=-1
            ;;
        ka)
            [ -n "${BENCH_TOKEN:-}" ] && args=(-H "Authorization: Bearer $BENCH_TOKEN")
            end=$(awk -v s="$s" -v d="$secs" 'BEGIN { printf "%.3f", s + d }')
            : >"$out.out"
            while awk -v n="$(date +%s.%N)" -v e="$end" 'BEGIN { exit !(n < e) }'; do
                curl -sS --cacert "$PKI/root.pem" --cert "$PKI/client-fullchain.pem" \
                    --key "$PKI/client.key" "${args[@]+"${args[@]}"}" \
                    "https://127.0.0.1:$port/index.html?[1-$KA_REQUESTS]" >/dev/null 2>>"$out.out" \
                    || { rc=$?; break; }
                units=$((units + KA_REQUESTS))
            done
            ;;
    esac
    e=$(date +%s.%N)
    # CPU of the finished clients: this subshell's cutime + cstime (its pid
    # taken here: inside $(...) BASHPID would be that of the substitution)
    me=$BASHPID
    ct=$(awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$me/stat")
    echo "$rc $s $e $ct $units" >"$out.time"
}

# drive DIR SECONDS CLIENTS TAG EXPECT [CLIENT] -> prints
#   "verified rate idle% other% ms"
# rate: the connections (requests for ka) the access log shows as EXPECT,
# per second of the run; idle%: the machine's idle CPU during the run;
# other%: the CPU used by anything but this server and its clients; ms: the
# server's CPU time (all its processes, user + system) per verified
# connection (request).  Any line that is not EXPECT, or fewer lines than
# the clients counted, stops the benchmark.
drive() {
    local dir=$1 secs=$2 nclients=$3 tag=$4 expect=$5 client=${6:-s_time}
    local i out pids=() total=0 from busy0 all0 busy1 all1 srv0 srv1 cli=0
    local rc s e ct units smin="" emax="" lines ok hlp0 hlp1
    from=$(log_lines "$dir")
    read -r busy0 all0 < <(stat_ticks)
    srv0=$(server_ticks "$dir")
    hlp0=$(helper_ticks)
    for i in $(seq 1 "$nclients"); do
        client_session "${DRIVE_PORT:-$PORT}" "$secs" "$dir/logs/client-$tag-$i" "$client" &
        pids+=($!)
        CLIENT_PIDS+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || true; done
    CLIENT_PIDS=()
    srv1=$(server_ticks "$dir")
    hlp1=$(helper_ticks)
    read -r busy1 all1 < <(stat_ticks)
    for i in $(seq 1 "$nclients"); do
        out="$dir/logs/client-$tag-$i"
        read -r rc s e ct units <"$out.time"
        [ "$rc" = 0 ] || die "$client against $dir ($tag) exited $rc: $(tail -n 5 "$out.out")"
        [ "$units" -ge 0 ] || die "cannot read the client's result in $out.out"
        total=$((total + units))
        cli=$((cli + ct))
        if [ -z "$smin" ] || awk -v a="$s" -v b="$smin" 'BEGIN { exit !(a < b) }'; then smin=$s; fi
        if [ -z "$emax" ] || awk -v a="$e" -v b="$emax" 'BEGIN { exit !(a > b) }'; then emax=$e; fi
    done
    read -r lines ok < <(check_log "$dir" "$from" "$expect")
    if [ "$ok" != "$lines" ] || [ "$lines" -lt "$total" ] || [ "$lines" = 0 ]; then
        die "$dir ($tag): the clients counted $total, the access log has $lines lines of which $ok are '$expect' (not: $dir/logs/bad-lines: $(head -n 3 "$dir/logs/bad-lines")); a request from anything but the benchmark's clients (another program on port $PORT) fails it too"
    fi
    [ -z "${BENCH_DEBUG:-}" ] || say "cpu: busy $((busy1 - busy0)) of $((all1 - all0)), server $((srv1 - srv0)), clients $cli; lines $lines, clients counted $total"
    awk -v t="$ok" -v s="$smin" -v e="$emax" -v b="$((busy1 - busy0))" -v a="$((all1 - all0))" \
        -v ours="$((srv1 - srv0 + cli + hlp1 - hlp0))" -v srv="$((srv1 - srv0))" -v hz="$(getconf CLK_TCK)" 'BEGIN {
            idle = a > 0 ? 100 * (a - b) / a : 0
            other = a > 0 ? 100 * (b - ours) / a : 0
            if (other < 0) other = 0
            printf "%d %.3f %.0f %.0f %.4f\n", t, t / (e - s), idle, other, (t > 0 ? 1000 * srv / hz / t : 0)
        }'
}

# ------------------------------------------------------------ checks

expect_status() {
    local what=$1 want=$2 got=$3 body=$4
    if [ "$got" != "$want" ]; then
        die "$what: expected HTTP $want, got $got ($(head -c 300 "$body" 2>/dev/null) $(cat "$body.err" 2>/dev/null))"
    fi
}

# sanity_checks DIR KIND N: what a 200 means on this server
sanity_checks() {
    local dir=$1 kind=$2 n=$3 b="$dir/logs/check" st
    case $kind in
        none | nca | ssl | ocsp-ssl)
            st=$(curl_status "$PORT" "$PKI/client-fullchain.pem" "$PKI/client.key" "$b")
            expect_status "$kind, client chain" 200 "$st" "$b"
            grep -q 'mod_mauth bench page' "$b" || die "$kind: unexpected body"
            ;;
    esac
    case $kind in
        ssl | ocsp-ssl)
            # a leaf alone does not verify: mod_ssl needs the intermediate
            st=$(curl_status "$PORT" "$PKI/client.pem" "$PKI/client.key" "$b")
            [ "$st" != 200 ] || die "$kind accepted a leaf without its intermediate"
            if [ "$n" -gt 0 ] || [ "$kind" = ocsp-ssl ]; then
                st=$(curl_status "$PORT" "$PKI/revoked-fullchain.pem" "$PKI/revoked.key" "$b")
                [ "$st" != 200 ] || die "$kind accepted the revoked client certificate"
            fi
            ;;
        mauth | nocache | ocsp-mauth)
            st=$(curl_status "$PORT" "$PKI/client-fullchain.pem" "$PKI/client.key" "$b")
            if [ -n "${BENCH_TOKEN:-}" ]; then
                # the enforced location: without the token the module declines
                st=$(curl -sS --max-time 30 --cacert "$PKI/root.pem" --cert "$PKI/client-fullchain.pem" \
                    --key "$PKI/client.key" -H "Authorization: Bearer $BENCH_TOKEN" \
                    -o "$b" -w '%{http_code}' "https://127.0.0.1:$PORT/index.html" 2>"$b.err" || true)
            fi
            expect_status "$kind, client chain" 200 "$st" "$b"
            grep -q 'mod_mauth bench page' "$b" || die "$kind: unexpected body"
            # the leaf alone must be refused: proves that 200 means validated
            st=$(curl_status "$PORT" "$PKI/client.pem" "$PKI/client.key" "$b")
            expect_status "$kind, leaf without its intermediate" 403 "$st" "$b"
            grep -q 'Certificate Error' "$b" || die "$kind: no Certificate Error page for a leaf alone"
            st=$(curl_status "$PORT" - - "$b")
            expect_status "$kind, no certificate" 403 "$st" "$b"
            grep -q 'No client certificate provided' "$b" || die "$kind: wrong page without certificate"
            if [ "$n" -gt 0 ] || [ "$kind" = ocsp-mauth ]; then
                st=$(curl_status "$PORT" "$PKI/revoked-fullchain.pem" "$PKI/revoked.key" "$b")
                expect_status "$kind, revoked leaf" 403 "$st" "$b"
                grep -qi 'revoked' "$b" || die "$kind: the page for a revoked leaf does not say revoked: $(cat "$b")"
            fi
            ;;
    esac
}

# ------------------------------------------------------------ memory

# mem DIR -> "procs max_rss sum_rss sum_pss max_anon_rss sum_anon_pss" (kB)
mem() {
    local dir=$1 p procs=0 max=0 trss=0 tpss=0 amax=0 tapss=0 rss anon pss apss
    for p in $(server_pids "$dir"); do
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

# rundir_files DIR RUNDIR -> "files kB unmapped_kB": the files under the
# server's runtime directory (but its pid file), their allocated size, and
# the part of it no server process maps (a mapped file's resident pages are
# in the processes' PSS already)
rundir_files() {
    local dir=$1 rundir=$2 f n=0 kb=0 un=0 k p mapped
    while IFS= read -r f; do
        [ "$f" = "$dir/run/httpd.pid" ] && continue
        k=$(du -k "$f" | cut -f1)
        n=$((n + 1))
        kb=$((kb + k))
        mapped=0
        for p in $(server_pids "$dir"); do
            grep -qF "$f" "/proc/$p/maps" 2>/dev/null && mapped=1 && break
        done
        [ "$mapped" = 1 ] || un=$((un + k))
        say "    runtime file $f: $k kB, $([ "$mapped" = 1 ] && echo mapped || echo not mapped)"
    done < <(find "$rundir" -type f 2>/dev/null)
    echo "$n $kb $un"
}

# ------------------------------------------------------------ one configuration

# run_config KIND N TAG EXPECT [CLIENT]: KIND's server of its own with the
# CRL of N entries (C_* as write_conf), checked, warmed up, driven ROUNDS
# times, stopped.  Sets R_RATE R_MS R_IDLE R_OTHER R_CONN (the best round).
# With BENCH_HOOK set, runs that function with the server's DIR once warm,
# instead of the rounds (the profile).
run_config() {
    local kind=$1 n=$2 tag=$3 expect=$4 client=${5:-s_time} dir="$SRVROOT/$3" r t0
    local conns rate idle other ms
    write_conf "$dir" "$kind" "$CRLDIR/crls-$n.pem"
    t0=$(date +%s.%N)
    start_server "$dir" "$PORT" "${C_CHILDREN:-2}"
    say "  $tag: started in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
    sanity_checks "$dir" "$kind" "$n"
    # warm-up, checked like the rest: 1 s, one client
    drive "$dir" 1 1 "$tag-warm" "$expect" "$client" >/dev/null
    R_RATE="" R_MS="" R_IDLE="" R_OTHER="" R_CONN=""
    for r in $(seq 1 "$ROUNDS"); do
        read -r conns rate idle other ms < <(drive "$dir" "$SECONDS_PER_RUN" "$CLIENTS" "$tag-$r" "$expect" "$client")
        say "  $tag round $r: $conns verified, $rate /s, server CPU $ms ms each (CPU idle $idle%, other processes $other%)"
        if [ -z "$R_RATE" ] || awk -v a="$rate" -v b="$R_RATE" 'BEGIN { exit !(a > b) }'; then
            R_RATE=$rate R_CONN=$conns R_IDLE=$idle R_OTHER=$other
        fi
        if [ -z "$R_MS" ] || awk -v a="$ms" -v b="$R_MS" 'BEGIN { exit !(a < b) }'; then R_MS=$ms; fi
    done
    check_error_log "$dir"
    stop_server "$dir/run/httpd.pid"
}

# ------------------------------------------------------------ keep-alive

BENCH_USER=benchuser
# setup_store N -> the session token on stdout: an organisation with the
# switch on, an enforced user, the client's certificate uploaded for the
# user (checked by mauth-admin against the root and the CRL of N entries)
setup_store() {
    local n=$1 db="$WORK/store/mauth.db" admin token
    rm -rf "$WORK/store"
    mkdir -p "$WORK/store"
    admin=("$ADMIN_BIN" --driver sqlite3 --params "$db" --ca-file "$PKI/root.pem" --crl-file "$CRLDIR/crls-$n.pem")
    {
        "${admin[@]}" init
        "${admin[@]}" org add Bench
        "${admin[@]}" org enable Bench
        "${admin[@]}" user add Bench "$BENCH_USER"
        "${admin[@]}" grant user "$BENCH_USER"
        "${admin[@]}" cert add --user "$BENCH_USER" --chain "$PKI/int.pem" "$PKI/client.pem"
    } >"$WORK/store/setup.log" 2>&1 || die "store set-up with mauth-admin failed: $(tail -n 5 "$WORK/store/setup.log")"
    token=$("${admin[@]}" session create "$BENCH_USER" --ttl 86400 2>>"$WORK/store/setup.log") \
        || die "mauth-admin session create failed: $(tail -n 5 "$WORK/store/setup.log")"
    token=$(printf '%s\n' "$token" | tail -n 1 | tr -d '[:space:]')
    [ -n "$token" ] || die "mauth-admin session create printed no token"
    "${admin[@]}" lookup --session "$token" --cert "$PKI/client.pem" >>"$WORK/store/setup.log" 2>&1 \
        || die "mauth-admin lookup does not resolve the session: $(tail -n 5 "$WORK/store/setup.log")"
    # the children run as nobody: SQLite reads the file and writes beside it
    [ "$RUN_AS_ROOT" = 1 ] && chown -R nobody:nogroup "$WORK/store"
    echo "$token"
}

# connections the keep-alive run made: lines whose request was the first
connections_in_log() {
    tail -n +"$(($2 + 1))" "$1/logs/access.log" | awk -F '\t' '$4 == 0 { c++ } END { print c + 0 }'
}

# ------------------------------------------------------------ profile

# classify the samples of `perf report --sort dso` (percentages on stdin)
# into: mauth ssl crypto libc httpd kernel other
perf_classes() {
    awk '$1 ~ /%$/ {
            p = $1; sub(/%/, "", p); d = $2
            if (d ~ /^mod_mauth\.so/) c = "mauth"
            else if (d ~ /^libssl\.so/) c = "ssl"
            else if (d ~ /^libcrypto\.so/) c = "crypto"
            else if (d ~ /^(apache2|httpd)$/ || d ~ /^libapr(util)?-1\.so/ || d ~ /^mod_.*\.so/) c = "httpd"
            else if (d ~ /^libc\.so/) c = "libc"
            else if (d ~ /^\[kernel/ || d ~ /vmlinux/) c = "kernel"
            else c = "other"
            s[c] += p
        }
        END { printf "%.2f %.2f %.2f %.2f %.2f %.2f %.2f\n", s["mauth"], s["ssl"], s["crypto"], s["libc"], s["httpd"], s["kernel"], s["other"] }'
}

# profile_hook DIR: perf record -g of every process of the server while the
# clients drive it; sets P_* (shares, %) and P_MS, P_RATE
profile_hook() {
    local dir=$1 data="$1/logs/perf.data" pids perf_pid conns rate idle other ms
    pids=$(server_pids "$dir" | tr ' ' ',')
    perf record -g -o "$data" -p "$pids" -- sleep "$((SECONDS_PER_RUN + 1))" >"$dir/logs/perf-record.log" 2>&1 &
    perf_pid=$!
    BG_PIDS+=("$perf_pid")
    sleep 0.5
    read -r conns rate idle other ms < <(drive "$dir" "$SECONDS_PER_RUN" "$CLIENTS" "$P_TAG" mauth)
    wait "$perf_pid" || die "perf record failed: $(tail -n 5 "$dir/logs/perf-record.log")"
    BG_PIDS=()
    perf report -i "$data" --no-children --sort dso --stdio -q -g none --percentage absolute \
        >"$dir/logs/perf-dso.txt" 2>"$dir/logs/perf-report.err" \
        || die "perf report failed: $(tail -n 5 "$dir/logs/perf-report.err")"
    [ -s "$dir/logs/perf-dso.txt" ] || die "perf recorded no samples of the server ($dir/logs/perf-record.log)"
    read -r P_MAUTH P_SSL P_CRYPTO P_LIBC P_HTTPD P_KERNEL P_OTHER < <(perf_classes <"$dir/logs/perf-dso.txt")
    perf report -i "$data" --no-children --sort sym --dsos mod_mauth.so --stdio -q -g none \
        --percentage absolute 2>/dev/null | awk '$1 ~ /%$/' | head -n 8 >"$dir/logs/perf-mauth-syms.txt" || true
    perf report -i "$data" --no-children --sort sym --dsos libc.so.6 --stdio -q -g none \
        --percentage absolute 2>/dev/null | awk '$1 ~ /%$/' | head -n 6 >"$dir/logs/perf-libc-syms.txt" || true
    # what mod_mauth's frames cost with their callees (from the frame-pointer
    # call chains: Debian's libcrypto has none, so a lower bound)
    P_INCL=$(perf report -i "$data" --children --sort dso --stdio -q -g none --percentage absolute 2>/dev/null \
        | awk '$3 ~ /^mod_mauth\.so/ { sub(/%/, "", $1); print $1; exit }')
    P_INCL=${P_INCL:-n/a}
    P_MS=$ms P_RATE=$rate
    say "  $P_TAG: $conns verified, $rate /s under perf, server CPU $ms ms each; samples: mod_mauth $P_MAUTH%, libssl $P_SSL%, libcrypto $P_CRYPTO%, libc $P_LIBC%, httpd+apr $P_HTTPD%, kernel $P_KERNEL%, other $P_OTHER%"
}

# profile_run KIND N TAG: the server of run_config, profiled instead of timed
profile_run() {
    local kind=$1 n=$2 dir="$SRVROOT/$3"
    P_TAG=$3
    write_conf "$dir" "$kind" "$CRLDIR/crls-$n.pem"
    start_server "$dir"
    sanity_checks "$dir" "$kind" "$n"
    drive "$dir" 1 1 "$3-warm" mauth >/dev/null
    profile_hook "$dir"
    check_error_log "$dir"
    stop_server "$dir/run/httpd.pid"
}

# ------------------------------------------------------------ refresh

# refresh_run N WITH(0|1): the warm mod_mauth server with
# MAuthCARevocationRefresh 1 on a copy of crls-N.pem; with 1, the copy is
# replaced by rename every REFRESH_EVERY s by the next newer CRL during each
# round.  Sets R_* as run_config and F_REPLACED, F_REFRESHED (MAUTH00092
# lines: one a child a refresh), F_REFUSED (MAUTH00090 lines).
refresh_run() {
    local n=$1 with=$2 tag="refresh$2-$1" dir="$SRVROOT/refresh$2-$1" r i next=1 per
    local conns rate idle other ms mark rep_pid
    per=$((SECONDS_PER_RUN / REFRESH_EVERY))
    C_LOGLEVEL="warn mauth:info" C_VHOST="    MAuthCARevocationRefresh 1" \
        write_conf "$dir" mauth "$dir/crls.pem"
    cp "$CRLDIR/crls-$n.pem" "$dir/crls.pem"
    if [ "$with" = 1 ]; then
        # in place before the start: a rename is all the run does
        for i in $(seq 1 $((per * ROUNDS))); do cp "$CRLDIR/refresh-$n-$i.pem" "$dir/next-$i.pem"; done
    fi
    start_server "$dir"
    sanity_checks "$dir" mauth "$n"
    drive "$dir" 1 1 "$tag-warm" mauth >/dev/null
    mark=$(wc -l <"$dir/logs/error.log")
    R_RATE="" R_MS="" F_REPLACED=0
    for r in $(seq 1 "$ROUNDS"); do
        if [ "$with" = 1 ]; then
            (
                for i in $(seq "$next" $((next + per - 1))); do
                    sleep "$REFRESH_EVERY"
                    mv "$dir/next-$i.pem" "$dir/crls.pem"
                    echo "$(date +%s.%N) replaced by refresh-$n-$i.pem" >>"$dir/logs/replacements"
                done
            ) &
            rep_pid=$!
            BG_PIDS+=("$rep_pid")
        fi
        read -r conns rate idle other ms < <(drive "$dir" "$SECONDS_PER_RUN" "$CLIENTS" "$tag-$r" mauth)
        if [ "$with" = 1 ]; then
            wait "$rep_pid" || die "the CRL replacer failed"
            BG_PIDS=()
            next=$((next + per))
        fi
        say "  $tag round $r: $conns verified, $rate /s, server CPU $ms ms each (CPU idle $idle%, other processes $other%)"
        if [ -z "$R_RATE" ] || awk -v a="$rate" -v b="$R_RATE" 'BEGIN { exit !(a > b) }'; then
            R_RATE=$rate R_CONN=$conns R_IDLE=$idle R_OTHER=$other
        fi
        if [ -z "$R_MS" ] || awk -v a="$ms" -v b="$R_MS" 'BEGIN { exit !(a < b) }'; then R_MS=$ms; fi
    done
    [ "$with" = 1 ] && F_REPLACED=$(wc -l <"$dir/logs/replacements")
    # the last replacement's refresh: at most a second, let it finish
    sleep 2
    F_REFRESHED=$(tail -n +"$((mark + 1))" "$dir/logs/error.log" | grep -c 'MAUTH00092' || true)
    F_REFUSED=$(tail -n +"$((mark + 1))" "$dir/logs/error.log" | grep -c 'MAUTH00090' || true)
    check_error_log "$dir"
    stop_server "$dir/run/httpd.pid"
}

# ------------------------------------------------------------ OCSP

OCSP_DIR="$WORK/ocsp"
# the responder's database: the client leaf good, the revoked leaf revoked
write_ocsp_index() {
    local s
    mkdir -p "$OCSP_DIR"
    : >"$OCSP_DIR/index.txt"
    s=$(openssl x509 -in "$PKI/client.pem" -noout -serial | cut -d= -f2)
    printf 'V\t351231235959Z\t\t%s\tunknown\t/CN=bench client\n' "$s" >>"$OCSP_DIR/index.txt"
    s=$(openssl x509 -in "$PKI/revoked.pem" -noout -serial | cut -d= -f2)
    printf 'R\t351231235959Z\t240101000000Z\t%s\tunknown\t/CN=bench revoked client\n' "$s" >>"$OCSP_DIR/index.txt"
    echo 'unique_subject = no' >"$OCSP_DIR/index.txt.attr"
}

OCSP_PID=""
PROXY_PID=""
# start_responder LOG: `openssl ocsp` on PORT_OCSP, or, with
# BENCH_OCSP_DELAY_MS, on PORT_OCSP + 1 behind ocsp_delay.pl on PORT_OCSP
start_responder() {
    local log=$1 i port=$PORT_OCSP
    [ "$OCSP_DELAY" -gt 0 ] && port=$((PORT_OCSP + 1))
    for i in "$PORT_OCSP" "$port"; do
        port_busy "$i" && die "port $i (the OCSP responder's) is already in use (set BENCH_PORT)"
    done
    # signed by the intermediate itself, the leaf's issuer; nextUpdate in an hour
    openssl ocsp -index "$OCSP_DIR/index.txt" -port "$port" -rsigner "$PKI/int.pem" \
        -rkey "$PKI/int.key" -CA "$PKI/int.pem" -nmin 60 -ignore_err >"$log" 2>&1 &
    OCSP_PID=$!
    BG_PIDS+=("$OCSP_PID")
    # not by connecting: openssl ocsp serves one connection at a time
    for i in $(seq 1 100); do
        grep -q 'waiting for' "$log" 2>/dev/null && break
        kill -0 "$OCSP_PID" 2>/dev/null || die "openssl ocsp exited: $(cat "$log")"
        sleep 0.05
    done
    if [ "$OCSP_DELAY" -gt 0 ]; then
        perl "$BENCH_DIR/ocsp_delay.pl" "$PORT_OCSP" "$port" "$OCSP_DELAY" 2>"$log.delay" &
        PROXY_PID=$!
        BG_PIDS+=("$PROXY_PID")
        for i in $(seq 1 100); do
            grep -q 'waiting for' "$log.delay" 2>/dev/null && break
            kill -0 "$PROXY_PID" 2>/dev/null || die "ocsp_delay.pl exited: $(cat "$log.delay")"
            sleep 0.05
        done
    fi
    sleep 0.1
}
stop_responder() {
    local p
    for p in $OCSP_PID $PROXY_PID; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    OCSP_PID="" PROXY_PID="" BG_PIDS=()
}

# ocsp_run KIND: KIND's server (ocsp-ssl | ocsp-mauth) against a responder of
# its own; sets R_* and O_REQUESTS (requests the responder logged), O_CPU_MS
# (its CPU over the whole run, checks and warm-up included)
ocsp_run() {
    local kind=$1 log="$OCSP_DIR/responder-$1.log"
    start_responder "$log"
    run_config "$kind" 0 "$kind" "$([ "$kind" = ocsp-ssl ] && echo ssl || echo mauth)"
    # the responder's own CPU (utime + stime), ms
    O_CPU_MS=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f", 1000 * ($12 + $13) / hz }' "/proc/$OCSP_PID/stat")
    stop_responder
    O_REQUESTS=$(grep -c "Received request" "$log" || true)
}

# mem_run KIND N TAG [REFRESH]: KIND's server with 4 children and its
# runtime directory on tmpfs, the CRL of N entries; load until every child
# served (BENCH_MEM_SECONDS at a time), then the whole server's memory.
# Sets M_PROCS M_PSS M_APSS (kB, summed over parent and children) and
# M_FILES M_FILEKB M_UNMAPPED (the runtime directory).  With REFRESH=1 (a
# mod_mauth server): then the CRL file replaced by a newer one, every child's
# refresh awaited (MAUTH00092), load on every child again, and the same as
# M2_*.
MEM_CHILDREN=4
SETTLE_SECONDS=12
mem_load() {
    local dir=$1 expect=$2 from try seen=0
    from=$(log_lines "$dir")
    for try in 1 2 3 4 5; do
        drive "$dir" "$MEM_SECONDS" "$CLIENTS" "mem-$try-$(date +%s%N)" "$expect" >/dev/null
        seen=$(children_seen "$dir" "$from")
        [ "$seen" -ge "$MEM_CHILDREN" ] && return 0
    done
    die "$dir: only $seen of $MEM_CHILDREN children served a request after 5 x $MEM_SECONDS s of load"
}
mem_run() {
    local kind=$1 n=$2 tag=$3 refresh=${4:-0} dir="$SRVROOT/$3" rundir="$SHM/$3" expect=mauth
    local vhost="" mark i got
    [ "$kind" = ssl ] && expect=ssl
    [ "$kind" = mauth ] && vhost="    MAuthCARevocationRefresh 1"
    C_CHILDREN=$MEM_CHILDREN C_RUNDIR="$rundir" C_LOGLEVEL="warn mauth:info" C_VHOST="$vhost" \
        write_conf "$dir" "$kind" "$dir/crls.pem"
    cp "$CRLDIR/crls-$n.pem" "$dir/crls.pem"
    start_server "$dir" "$PORT" "$MEM_CHILDREN"
    sanity_checks "$dir" "$kind" "$n"
    mem_load "$dir" "$expect"
    sleep 1
    read -r M_PROCS _ _ M_PSS _ M_APSS < <(mem "$dir")
    read -r M_FILES M_FILEKB M_UNMAPPED < <(rundir_files "$dir" "$rundir")
    say "  $tag: $M_PROCS processes, PSS $(mb "$M_PSS") MB (anonymous $(mb "$M_APSS") MB), runtime files $M_FILES ($M_FILEKB kB, $M_UNMAPPED kB not mapped)"
    if [ "$refresh" = 1 ]; then
        mark=$(wc -l <"$dir/logs/error.log")
        cp "$CRLDIR/refresh-$n-1.pem" "$dir/next.pem"
        mv "$dir/next.pem" "$dir/crls.pem"
        got=0
        for i in $(seq 1 600); do
            got=$(tail -n +"$((mark + 1))" "$dir/logs/error.log" | grep -c 'MAUTH00092' || true)
            [ "$got" -ge "$MEM_CHILDREN" ] && break
            tail -n +"$((mark + 1))" "$dir/logs/error.log" | grep -q 'MAUTH00090' \
                && die "$tag: the refresh was refused: $(grep 'MAUTH00090' "$dir/logs/error.log" | tail -n 1)"
            sleep 0.2
        done
        [ "$got" -ge "$MEM_CHILDREN" ] || die "$tag: $got of $MEM_CHILDREN children logged the CRL refresh (MAUTH00092) within 120 s"
        M2_REFRESHED=$got
        mem_load "$dir" "$expect"
        sleep 1
        read -r M2_PROCS _ _ M2_PSS _ M2_APSS < <(mem "$dir")
        read -r M2_FILES M2_FILEKB M2_UNMAPPED < <(rundir_files "$dir" "$rundir")
        say "  $tag after a refresh ($got children refreshed): PSS $(mb "$M2_PSS") MB (anonymous $(mb "$M2_APSS") MB), runtime files $M2_FILES ($M2_FILEKB kB, $M2_UNMAPPED kB not mapped)"
        # a child that took the new CRL before the parent wrote its shared
        # copy holds one of its own until its next look after the parent's
        # monitor tick (about 10 s): the state the server settles in
        sleep "$SETTLE_SECONDS"
        mem_load "$dir" "$expect"
        sleep 1
        read -r M3_PROCS _ _ M3_PSS _ M3_APSS < <(mem "$dir")
        read -r M3_FILES M3_FILEKB M3_UNMAPPED < <(rundir_files "$dir" "$rundir")
        say "  $tag $SETTLE_SECONDS s later: PSS $(mb "$M3_PSS") MB (anonymous $(mb "$M3_APSS") MB), runtime files $M3_FILES ($M3_FILEKB kB, $M3_UNMAPPED kB not mapped)"
    fi
    check_error_log "$dir"
    stop_server "$dir/run/httpd.pid"
    rm -rf "$rundir"
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
    write_conf "$dir" bare "$crls"
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

# vhosts_run CRLFILE COUNT ENTRIES -> "seconds pss_kB": the time from
# the start to the last vhost listening; the memory after every vhost
# answered the chain with 200 (and a revoked leaf with 403 when the CRL
# lists it) and the first and last took s_time load.
vhosts_run() {
    local crls=$1 count=$2 n=$3 dir="$SRVROOT/vhosts-$2-$3" t0 t1 i port st b pss
    write_vhosts_conf "$dir" "$crls" "$count"
    t0=$(date +%s.%N)
    start_server "$dir" $((PORT_MAUTH + count - 1)) 2
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
    DRIVE_PORT=$PORT_MAUTH drive "$dir" "$MEM_SECONDS" "$CLIENTS" "mem" mauth >/dev/null
    DRIVE_PORT=$((PORT_MAUTH + count - 1)) drive "$dir" 1 "$CLIENTS" "mem-last" mauth >/dev/null
    sleep 1
    # all of it, the mapped CRL copy included (file-backed, shared)
    read -r _ _ _ pss _ _ <<<"$(mem "$dir")"
    check_error_log "$dir"
    stop_server "$dir/run/httpd.pid"
    awk -v a="$t0" -v b="$t1" -v m="$pss" 'BEGIN { printf "%.2f %d\n", b - a, m }'
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
    printf '%-28s %12s %14s %26s\n' "server" "start-up s" "PSS MB" "(PSS - same, empty) / DER"
    printf '%-28s %12s %14s %26s\n' "1 vhost, empty CRL" "$t0" "$(mb "$m0")" "-"
    printf '%-28s %12s %14s %26s\n' "1 vhost, $n entries" "$t1" "$(mb "$m1")" "$r1"
    printf '%-28s %12s %14s %26s\n' "$count vhosts, empty CRL" "$te" "$(mb "$me")" "-"
    printf '%-28s %12s %14s %26s\n' "$count vhosts, $n entries" "$tn" "$(mb "$mn")" "$rn"
    echo "Targets (issue 10) -- a report, not a test:"
    echo "  $(verdict "$rn" '<=' 2)  whole-server memory for the CRL with $count vhosts <= 2 x DER: $rn x"
    echo "  $(verdict "$rt" '<=' 2)  start-up with $count vhosts <= 2 x one vhost's: $rt x"
}

# ------------------------------------------------------------ main

declare -A DER RATE_SSL RATE_MAUTH RATE_NC MS_SSL MS_MAUTH MS_NC OTHER_SSL OTHER_MAUTH OTHER_NC
NOISE=()
note_noise() { [ "$2" -le 5 ] || NOISE+=("$1: other processes took $2% of the CPUs"); }

say "httpd: $HTTPD ($("$HTTPD" -v | sed -n 's/^Server version: //p')), $(openssl version)"
say "module: $MODULE"
say "clients: $CLIENTS at a time, $SECONDS_PER_RUN s per run, best of $ROUNDS round(s); CRL sizes: $SIZES; parts: $ONLY"
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
# the largest size: the refresh, memory, keep-alive and profile runs
BIG=0
for n in $SIZES; do [ "$n" -gt "$BIG" ] && BIG=$n; done
make_crls 0
for n in $SIZES 0; do
    DER[$n]=$(($(der_size "$CRLDIR/root-crl.pem") + $(der_size "$CRLDIR/int-crl-$n.pem")))
done
PER_ROUND=$((SECONDS_PER_RUN / REFRESH_EVERY))
if wants refresh || wants memory; then
    [ "$BIG" -gt 0 ] || die "the refresh and memory runs need a CRL size above 0 in BENCH_SIZES"
    [ "$PER_ROUND" -ge 1 ] || die "BENCH_REFRESH_EVERY ($REFRESH_EVERY) must be at most BENCH_SECONDS ($SECONDS_PER_RUN)"
    k=$((PER_ROUND * ROUNDS))
    [ "$k" -ge 1 ] || k=1
    make_refresh_crls "$BIG" "$k"
fi
SHM=/dev/shm/mauth-bench-$$
if wants memory; then
    [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || die "/dev/shm is not a tmpfs: the memory run puts the runtime directory there"
fi
trap 'cleanup; rm -rf "$SHM"' EXIT

# ---- TLS: each configuration in its own server
if wants tls; then
    first=1
    for n in $SIZES; do
        say "CRL $n entries (${DER[$n]} bytes DER)"
        if [ "$first" = 1 ]; then
            run_config none "$n" "none" none s_none
            RATE_NONE=$R_RATE MS_NONE=$R_MS; note_noise none "$R_OTHER"
            run_config nca "$n" "nca" cert
            RATE_NCA=$R_RATE MS_NCA=$R_MS; note_noise nca "$R_OTHER"
            first=0
        fi
        run_config ssl "$n" "ssl-$n" ssl
        RATE_SSL[$n]=$R_RATE MS_SSL[$n]=$R_MS OTHER_SSL[$n]=$R_OTHER; note_noise "ssl $n" "$R_OTHER"
        run_config mauth "$n" "mauth-$n" mauth
        RATE_MAUTH[$n]=$R_RATE MS_MAUTH[$n]=$R_MS OTHER_MAUTH[$n]=$R_OTHER; note_noise "mauth $n" "$R_OTHER"
        run_config nocache "$n" "nocache-$n" mauth
        RATE_NC[$n]=$R_RATE MS_NC[$n]=$R_MS OTHER_NC[$n]=$R_OTHER; note_noise "nocache $n" "$R_OTHER"
    done
fi

# ---- keep-alive: an enforced user against plain mod_ssl, same file
if wants keepalive; then
    say "keep-alive: $KA_REQUESTS requests a connection, CRL $BIG entries"
    BENCH_TOKEN=$(setup_store "$BIG")
    from=0
    C_KEEPALIVE=On C_LOCATION=$'        MAuthEnforce on\n        MAuthUserSource bearer' \
        C_GLOBAL=$'DBDriver sqlite3\nDBDParams "'"$WORK/store/mauth.db"'"' \
        run_config mauth "$BIG" "ka-mauth" enforced ka
    KA_RATE_MAUTH=$R_RATE KA_MS_MAUTH=$R_MS; note_noise "keep-alive mauth" "$R_OTHER"
    KA_CONN_MAUTH=$(connections_in_log "$SRVROOT/ka-mauth" 0)
    KA_LINES_MAUTH=$(log_lines "$SRVROOT/ka-mauth")
    unset BENCH_TOKEN
    C_KEEPALIVE=On run_config ssl "$BIG" "ka-ssl" ssl ka
    KA_RATE_SSL=$R_RATE KA_MS_SSL=$R_MS; note_noise "keep-alive ssl" "$R_OTHER"
    KA_CONN_SSL=$(connections_in_log "$SRVROOT/ka-ssl" 0)
    KA_LINES_SSL=$(log_lines "$SRVROOT/ka-ssl")
    for v in MAUTH SSL; do
        declare -n c="KA_CONN_$v" l="KA_LINES_$v"
        # the checks' own requests are one a connection; the clients' must share theirs
        [ "$c" -gt 0 ] && [ $((l / c)) -ge 2 ] || die "keep-alive ($v): $l requests on $c connections: the connections were not kept alive"
        unset -n c l
    done
fi

# ---- profile of the mutual vhost (warm, then cold verdict cache)
if wants profile && [ "$PROFILE" = 1 ]; then
    say "profile: perf record -g of the mod_mauth server, CRL $BIG entries"
    profile_run mauth "$BIG" "perf-mauth"
    PW_MAUTH=$P_MAUTH PW_SSL=$P_SSL PW_CRYPTO=$P_CRYPTO PW_LIBC_P=$P_LIBC PW_HTTPD=$P_HTTPD PW_KERNEL=$P_KERNEL PW_OTHER=$P_OTHER PW_MS=$P_MS PW_INCL=$P_INCL
    PW_SYMS=$(cat "$SRVROOT/perf-mauth/logs/perf-mauth-syms.txt")
    PW_LIBC=$(cat "$SRVROOT/perf-mauth/logs/perf-libc-syms.txt")
    profile_run nocache "$BIG" "perf-nocache"
    PC_MAUTH=$P_MAUTH PC_SSL=$P_SSL PC_CRYPTO=$P_CRYPTO PC_LIBC_P=$P_LIBC PC_HTTPD=$P_HTTPD PC_KERNEL=$P_KERNEL PC_OTHER=$P_OTHER PC_MS=$P_MS PC_INCL=$P_INCL
    PC_SYMS=$(cat "$SRVROOT/perf-nocache/logs/perf-mauth-syms.txt")
fi

# ---- continuous CRL refresh of the largest CRL
if wants refresh; then
    say "refresh: CRL $BIG entries, MAuthCARevocationRefresh 1, replaced every $REFRESH_EVERY s, against the same server unchanged"
    refresh_run "$BIG" 0
    RF_RATE0=$R_RATE RF_MS0=$R_MS; note_noise "refresh off" "$R_OTHER"
    [ "$F_REFRESHED" = 0 ] || die "the server whose CRL did not change logged $F_REFRESHED refreshes"
    refresh_run "$BIG" 1
    RF_RATE1=$R_RATE RF_MS1=$R_MS RF_CONN1=$R_CONN RF_REPLACED=$F_REPLACED RF_REFRESHED=$F_REFRESHED RF_REFUSED=$F_REFUSED
    note_noise "refresh on" "$R_OTHER"
    [ "$RF_REFUSED" = 0 ] || die "the module refused $RF_REFUSED of the new CRLs (MAUTH00090 in $SRVROOT/refresh1-$BIG/logs/error.log)"
    [ "$RF_REFRESHED" -gt 0 ] || die "no CRL refresh happened during the refresh run (no MAUTH00092 in $SRVROOT/refresh1-$BIG/logs/error.log)"
fi

# ---- OCSP
if wants ocsp; then
    say "OCSP: one openssl ocsp responder on :$PORT_OCSP (signed by the intermediate)"
    write_ocsp_index
    ocsp_run ocsp-ssl
    OC_RATE_SSL=$R_RATE OC_MS_SSL=$R_MS OC_REQ_SSL=$O_REQUESTS OC_CPU_SSL=$O_CPU_MS OC_CONN_SSL=$R_CONN; note_noise "ocsp ssl" "$R_OTHER"
    ocsp_run ocsp-mauth
    OC_RATE_MAUTH=$R_RATE OC_MS_MAUTH=$R_MS OC_REQ_MAUTH=$O_REQUESTS OC_CPU_MAUTH=$O_CPU_MS OC_CONN_MAUTH=$R_CONN; note_noise "ocsp mauth" "$R_OTHER"
    [ "$OC_REQ_MAUTH" -gt 0 ] || die "mod_mauth's OCSP run: the responder got no request (OCSP not asked?)"
    [ "$OC_REQ_SSL" -gt 0 ] || die "mod_ssl's OCSP run: the responder got no request (OCSP not asked?)"
fi

# ---- whole-server memory, 4 children
if wants memory; then
    say "memory: $MEM_CHILDREN children, runtime directory on tmpfs ($SHM)"
    mem_run mauth 0 mem-mauth-0
    MM0_PSS=$M_PSS MM0_APSS=$M_APSS MM0_UN=$M_UNMAPPED MM0_FILEKB=$M_FILEKB
    mem_run mauth "$BIG" "mem-mauth-$BIG" 1
    MMN_PSS=$M_PSS MMN_APSS=$M_APSS MMN_UN=$M_UNMAPPED MMN_FILEKB=$M_FILEKB MMN_PROCS=$M_PROCS
    MMR_PSS=$M2_PSS MMR_APSS=$M2_APSS MMR_UN=$M2_UNMAPPED MMR_FILEKB=$M2_FILEKB MMR_REFRESHED=$M2_REFRESHED
    MMS_PSS=$M3_PSS MMS_APSS=$M3_APSS MMS_UN=$M3_UNMAPPED MMS_FILEKB=$M3_FILEKB
    mem_run ssl 0 mem-ssl-0
    MS0_PSS=$M_PSS MS0_APSS=$M_APSS
    mem_run ssl "$BIG" "mem-ssl-$BIG"
    MSN_PSS=$M_PSS MSN_APSS=$M_APSS
fi

# ------------------------------------------------------------ report

SUMMARY=()
# summary WHAT VALUE RATIO OP TARGET
summary() {
    SUMMARY+=("$(printf '%-62s %16s %8s %8s  %s' "$1" "$2" "$3" "$4 $5" "$(verdict "$3" "$4" "$5")")")
}
# report only, no target
summary_info() {
    SUMMARY+=("$(printf '%-62s %16s %8s %8s  %s' "$1" "$2" "$3" "-" "info")")
}
has() { local m; for m in $SIZES; do [ "$m" = "$1" ] && return 0; done; return 1; }

echo
echo "mod_mauth benchmark: each configuration in its own httpd (mpm_event, 2 children x 25 threads), $CLIENTS clients, $SECONDS_PER_RUN s a run, best of $ROUNDS"
echo "$("$HTTPD" -v | sed -n 's/^Server version: //p'), $(openssl version); EC P-256 chain (leaf + intermediate sent); $(nproc) CPUs; CRLs: root (empty) + intermediate (N entries)"
echo "CPU busy before the run: $BUSY_BEFORE%; other httpd processes at start: $OTHER_HTTPD; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Every rate counts only connections (requests) the access log shows with the client certificate (and its verification's SUCCESS"
echo "where verified) and a 200; a run with any other line stops the benchmark (none: 200 and no certificate)."

if wants tls; then
    echo
    echo "New TLS connections per second (openssl s_time -new; a full handshake + GET /index.html each)"
    echo "  no cert: SSLVerifyClient none $(f "$RATE_NONE")/s; nca: optional_no_ca, nothing trusted $(f "$RATE_NCA")/s (no CRL: measured once)"
    printf '%-9s %9s %8s %8s %8s %9s %9s %9s %9s %9s\n' \
        "entries" "DER" "ssl" "mauth" "nocache" "mauth/ssl" "nc/ssl" "mauth/nca" "nc/nca" "mauth/own0"
    for n in $SIZES; do
        own0=n/a
        has 0 && own0=$(div "${RATE_MAUTH[$n]}" "${RATE_MAUTH[0]}")
        printf '%-9s %9s %8s %8s %8s %9s %9s %9s %9s %9s\n' "$n" "${DER[$n]}" \
            "$(f "${RATE_SSL[$n]}")" "$(f "${RATE_MAUTH[$n]}")" "$(f "${RATE_NC[$n]}")" \
            "$(div "${RATE_MAUTH[$n]}" "${RATE_SSL[$n]}")" "$(div "${RATE_NC[$n]}" "${RATE_SSL[$n]}")" \
            "$(div "${RATE_MAUTH[$n]}" "$RATE_NCA")" "$(div "${RATE_NC[$n]}" "$RATE_NCA")" "$own0"
    done
    echo "Server CPU per connection, ms (user + system of all the server's processes; the clients excluded)"
    echo "  no cert: $MS_NONE; nca: $MS_NCA"
    printf '%-9s %8s %8s %8s %9s %9s %11s %11s\n' "entries" "ssl" "mauth" "nocache" "ssl/mauth" "ssl/nc" "mauth-nca" "nocache-nca"
    for n in $SIZES; do
        printf '%-9s %8s %8s %8s %9s %9s %11s %11s\n' "$n" "${MS_SSL[$n]}" "${MS_MAUTH[$n]}" "${MS_NC[$n]}" \
            "$(div "${MS_SSL[$n]}" "${MS_MAUTH[$n]}")" "$(div "${MS_SSL[$n]}" "${MS_NC[$n]}")" \
            "$(awk -v a="${MS_MAUTH[$n]}" -v b="$MS_NCA" 'BEGIN { printf "%+.3f", a - b }')" \
            "$(awk -v a="${MS_NC[$n]}" -v b="$MS_NCA" 'BEGIN { printf "%+.3f", a - b }')"
    done
    if has 100000; then
        summary "100,000 entries: mod_mauth (warm) / mod_ssl, conn/s" "$(f "${RATE_MAUTH[100000]}")/$(f "${RATE_SSL[100000]}")" \
            "$(div "${RATE_MAUTH[100000]}" "${RATE_SSL[100000]}")" ">=" 1.5
        summary "100,000 entries: mod_mauth (cold) / mod_ssl, conn/s" "$(f "${RATE_NC[100000]}")/$(f "${RATE_SSL[100000]}")" \
            "$(div "${RATE_NC[100000]}" "${RATE_SSL[100000]}")" ">=" 1.5
        # each rate target judged on server CPU per connection too: what a
        # CPU-bound server's rate follows, and what other load moves least
        summary "100,000: CPU per connection, mod_ssl / mod_mauth (warm)" "${MS_SSL[100000]}/${MS_MAUTH[100000]} ms" \
            "$(div "${MS_SSL[100000]}" "${MS_MAUTH[100000]}")" ">=" 1.5
        summary "100,000: CPU per connection, mod_ssl / mod_mauth (cold)" "${MS_SSL[100000]}/${MS_NC[100000]} ms" \
            "$(div "${MS_SSL[100000]}" "${MS_NC[100000]}")" ">=" 1.5
    fi
    if has 1000000 && has 0; then
        summary "1,000,000 entries: mod_mauth (warm) / its own 0-CRL rate" "$(f "${RATE_MAUTH[1000000]}")/$(f "${RATE_MAUTH[0]}")" \
            "$(div "${RATE_MAUTH[1000000]}" "${RATE_MAUTH[0]}")" ">=" 0.9
        summary "1,000,000 entries: mod_mauth (cold) / its own 0-CRL rate" "$(f "${RATE_NC[1000000]}")/$(f "${RATE_NC[0]}")" \
            "$(div "${RATE_NC[1000000]}" "${RATE_NC[0]}")" ">=" 0.9
        summary "1,000,000: CPU per connection, own 0-CRL / 1 M (warm)" "${MS_MAUTH[0]}/${MS_MAUTH[1000000]} ms" \
            "$(div "${MS_MAUTH[0]}" "${MS_MAUTH[1000000]}")" ">=" 0.9
        summary "1,000,000: CPU per connection, own 0-CRL / 1 M (cold)" "${MS_NC[0]}/${MS_NC[1000000]} ms" \
            "$(div "${MS_NC[0]}" "${MS_NC[1000000]}")" ">=" 0.9
    fi
    summary_info "CRL $BIG: mod_mauth (warm) / mod_ssl optional_no_ca, conn/s" "$(f "${RATE_MAUTH[$BIG]}")/$(f "$RATE_NCA")" \
        "$(div "${RATE_MAUTH[$BIG]}" "$RATE_NCA")"
fi

if wants keepalive; then
    echo
    echo "Keep-alive: $KA_REQUESTS requests a TLS connection (curl), CRL $BIG entries; mod_mauth: an enforced user (session token,"
    echo "certificate uploaded for the user, MAuthEnforce on); mod_ssl: SSLVerifyClient require; the same file"
    printf '%-10s %10s %12s %10s %12s\n' "server" "requests/s" "connections" "req/conn" "CPU ms/req"
    printf '%-10s %10s %12s %10s %12s\n' "mod_ssl" "$(f "$KA_RATE_SSL")" "$KA_CONN_SSL" "$((KA_LINES_SSL / KA_CONN_SSL))" "$KA_MS_SSL"
    printf '%-10s %10s %12s %10s %12s\n' "mod_mauth" "$(f "$KA_RATE_MAUTH")" "$KA_CONN_MAUTH" "$((KA_LINES_MAUTH / KA_CONN_MAUTH))" "$KA_MS_MAUTH"
    echo "mod_mauth / mod_ssl: requests/s $(div "$KA_RATE_MAUTH" "$KA_RATE_SSL") x; CPU per request $(div "$KA_MS_MAUTH" "$KA_MS_SSL") x"
    summary_info "keep-alive, enforced user: mod_mauth / mod_ssl, req/s" "$(f "$KA_RATE_MAUTH")/$(f "$KA_RATE_SSL")" "$(div "$KA_RATE_MAUTH" "$KA_RATE_SSL")"
    summary_info "keep-alive: server CPU per request, mod_mauth / mod_ssl" "$KA_MS_MAUTH/$KA_MS_SSL ms" "$(div "$KA_MS_MAUTH" "$KA_MS_SSL")"
fi

if wants profile && [ "$PROFILE" = 1 ]; then
    echo
    echo "Profile of the mod_mauth server (perf record -g of all its processes under s_time load, CRL $BIG entries): share of"
    echo "its CPU samples by self time (mod_mauth.so includes its core, linked statically), and that share of the server's"
    echo "CPU per connection in ms"
    printf '%-15s %9s %9s %9s %9s %9s %9s %9s %9s\n' "cache" "mod_mauth" "libssl" "libcrypto" "libc" "httpd+apr" "kernel" "other" "ms/conn"
    for c in W C; do
        declare -n a="P${c}_MAUTH" b="P${c}_SSL" d="P${c}_CRYPTO" l="P${c}_LIBC_P" e="P${c}_HTTPD" g="P${c}_KERNEL" h="P${c}_OTHER" m="P${c}_MS"
        printf '%-15s %8s%% %8s%% %8s%% %8s%% %8s%% %8s%% %8s%% %9s\n' "$([ "$c" = W ] && echo "warm" || echo "cold (nocache)")" \
            "$a" "$b" "$d" "$l" "$e" "$g" "$h" "$m"
        printf '%-15s' "  ms/conn"
        for p in "$a" "$b" "$d" "$l" "$e" "$g" "$h"; do
            printf ' %9s' "$(awk -v p="$p" -v m="$m" 'BEGIN { printf "%.4f", p * m / 100 }')"
        done
        echo
        unset -n a b d l e g h m
    done
    echo "mod_mauth's frames with their callees (frame-pointer call chains, a lower bound): warm $PW_INCL%, cold $PC_INCL%"
    echo "hottest symbols, warm cache (% of all samples): mod_mauth.so"
    printf '%s\n' "$PW_SYMS" | sed 's/^ */    /'
    echo "  libc.so.6 (OpenSSL 3's locks and allocations: Debian's libcrypto keeps no frame pointers to show the callers)"
    printf '%s\n' "$PW_LIBC" | sed 's/^ */    /'
    echo "cold cache: mod_mauth.so"
    printf '%s\n' "$PC_SYMS" | sed 's/^ */    /'
    summary "mod_mauth's own share of server CPU, warm cache (%)" "$PW_MAUTH%" "$PW_MAUTH" "<=" 5
    summary_info "mod_mauth's own share of server CPU, cold cache (%)" "$PC_MAUTH%" "$PC_MAUTH"
fi

if wants refresh; then
    echo
    echo "CRL refresh: $BIG entries (${DER[$BIG]} bytes DER), MAuthCARevocationRefresh 1, the file replaced by rename with a newer"
    echo "CRL every $REFRESH_EVERY s during the run, against the same server whose file does not change (warm verdict cache)"
    printf '%-22s %10s %12s %12s %12s\n' "server" "conn/s" "CPU ms/conn" "replacements" "refreshes"
    printf '%-22s %10s %12s %12s %12s\n' "no refresh" "$(f "$RF_RATE0")" "$RF_MS0" 0 0
    printf '%-22s %10s %12s %12s %12s\n' "refresh every ${REFRESH_EVERY} s" "$(f "$RF_RATE1")" "$RF_MS1" "$RF_REPLACED" "$RF_REFRESHED"
    echo "refreshes: MAUTH00092 lines in the error log (one a child and a refresh; 2 children); refused (MAUTH00090): $RF_REFUSED;"
    echo "failed handshakes or refusals: 0 (every one of the $RF_CONN1 connections logged 200 with SUCCESS, no fewer than s_time counted)"
    echo "the refreshes' cost: (CPU per connection with - without) x connections / refreshes = $(awk -v a="$RF_MS1" -v b="$RF_MS0" -v n="$RF_CONN1" -v r="$RF_REFRESHED" 'BEGIN { printf "%.2f", (r > 0 ? (a - b) * n / r / 1000 : 0) }') s of CPU a child and a refresh"
    summary "refresh of a $BIG-entry CRL every ${REFRESH_EVERY} s / none, conn/s" "$(f "$RF_RATE1")/$(f "$RF_RATE0")" \
        "$(div "$RF_RATE1" "$RF_RATE0")" ">=" 0.9
    # the same target on CPU: what a CPU-bound server's rate follows, and
    # what other load on the machine moves least
    summary "refresh: server CPU per connection, none / refresh" "$RF_MS0/$RF_MS1 ms" "$(div "$RF_MS0" "$RF_MS1")" ">=" 0.9
fi

if wants ocsp; then
    echo
    echo "OCSP: mod_mauth MAuthOCSP leaf (responses cache shmcb, warm) against mod_ssl SSLOCSPEnable leaf + SSLOCSPDefaultResponder,"
    echo "one openssl ocsp responder (one connection at a time) for both, $([ "$OCSP_DELAY" -gt 0 ] && echo "$OCSP_DELAY ms away (ocsp_delay.pl)" || echo "on loopback"); no CRL on either"
    printf '%-10s %10s %12s %20s %22s\n' "server" "conn/s" "CPU ms/conn" "responder requests" "responder CPU ms/req"
    printf '%-10s %10s %12s %20s %22s\n' "mod_ssl" "$(f "$OC_RATE_SSL")" "$OC_MS_SSL" "$OC_REQ_SSL" "$(div "$OC_CPU_SSL" "$OC_REQ_SSL" 3)"
    printf '%-10s %10s %12s %20s %22s\n' "mod_mauth" "$(f "$OC_RATE_MAUTH")" "$OC_MS_MAUTH" "$OC_REQ_MAUTH" "$(div "$OC_CPU_MAUTH" "$OC_REQ_MAUTH" 3)"
    echo "(responder requests: over the whole server's life, checks and warm-up included; mod_mauth asks once per certificate and"
    echo "validity window, mod_ssl once per handshake, so mod_ssl's cost is its server CPU + a responder exchange each time)"
    summary "OCSP (responder $([ "$OCSP_DELAY" -gt 0 ] && echo "$OCSP_DELAY ms away" || echo "on loopback")): mod_mauth / mod_ssl, conn/s" "$(f "$OC_RATE_MAUTH")/$(f "$OC_RATE_SSL")" \
        "$(div "$OC_RATE_MAUTH" "$OC_RATE_SSL")" ">=" 5
    summary "OCSP: CPU per connection, mod_ssl + responder / mod_mauth" "$(awk -v a="$OC_MS_SSL" -v c="$OC_CPU_SSL" -v r="$OC_REQ_SSL" -v n="$OC_CONN_SSL" 'BEGIN { printf "%.3f", a + (r > 0 ? c / r : 0) }')/$OC_MS_MAUTH ms" "$(awk -v a="$OC_MS_SSL" -v c="$OC_CPU_SSL" -v r="$OC_REQ_SSL" -v m="$OC_MS_MAUTH" 'BEGIN { printf "%.2f", (a + (r > 0 ? c / r : 0)) / m }')" ">=" 5
fi

if wants memory; then
    echo
    echo "Whole-server memory: parent + $MEM_CHILDREN children (mpm_event), each child loaded; sum of Pss (smaps_rollup), MB;"
    echo "the CRL's cost: minus the same server with an empty CRL, plus the runtime directory's unmapped files (tmpfs), / DER (${DER[$BIG]} bytes)"
    mcost() { awk -v p="$1" -v p0="$2" -v u="$3" -v u0="$4" -v der="$5" 'BEGIN { printf "%.2f", ((p - p0) + (u - u0)) * 1024 / der }'; }
    R_MEM=$(mcost "$MMN_PSS" "$MM0_PSS" "$MMN_UN" "$MM0_UN" "${DER[$BIG]}")
    R_MEMR=$(mcost "$MMR_PSS" "$MM0_PSS" "$MMR_UN" "$MM0_UN" "${DER[$BIG]}")
    R_MEMS=$(mcost "$MMS_PSS" "$MM0_PSS" "$MMS_UN" "$MM0_UN" "${DER[$BIG]}")
    R_MEMSSL=$(mcost "$MSN_PSS" "$MS0_PSS" 0 0 "${DER[$BIG]}")
    printf '%-34s %9s %12s %14s %12s %10s\n' "server" "PSS" "anon PSS" "runtime files" "unmapped" "cost/DER"
    printf '%-34s %9s %12s %14s %12s %10s\n' "mod_mauth, empty CRL" "$(mb "$MM0_PSS")" "$(mb "$MM0_APSS")" "$(mb "$MM0_FILEKB")" "$(mb "$MM0_UN")" "-"
    printf '%-34s %9s %12s %14s %12s %10s\n' "mod_mauth, $BIG entries" "$(mb "$MMN_PSS")" "$(mb "$MMN_APSS")" "$(mb "$MMN_FILEKB")" "$(mb "$MMN_UN")" "$R_MEM"
    printf '%-34s %9s %12s %14s %12s %10s\n' "mod_mauth, $BIG, after a refresh" "$(mb "$MMR_PSS")" "$(mb "$MMR_APSS")" "$(mb "$MMR_FILEKB")" "$(mb "$MMR_UN")" "$R_MEMR"
    printf '%-34s %9s %12s %14s %12s %10s\n' "  the same, ${SETTLE_SECONDS} s later" "$(mb "$MMS_PSS")" "$(mb "$MMS_APSS")" "$(mb "$MMS_FILEKB")" "$(mb "$MMS_UN")" "$R_MEMS"
    printf '%-34s %9s %12s %14s %12s %10s\n' "mod_ssl, empty CRL" "$(mb "$MS0_PSS")" "$(mb "$MS0_APSS")" "-" "-" "-"
    printf '%-34s %9s %12s %14s %12s %10s\n' "mod_ssl, $BIG entries" "$(mb "$MSN_PSS")" "$(mb "$MSN_APSS")" "-" "-" "$R_MEMSSL"
    echo "(after the refresh: all $MMR_REFRESHED children logged MAUTH00092, then each served requests again)"
    echo "after the refresh: +$(mb $((MMR_PSS - MMN_PSS))) MB over before it, $(mb $(( (MMR_PSS - MMN_PSS) / MEM_CHILDREN ))) MB a child ($(div $(( (MMR_PSS - MMN_PSS) * 1024 / MEM_CHILDREN )) "${DER[$BIG]}") x DER a child)"
    summary "memory, CRL $BIG, $MEM_CHILDREN children: cost / DER" "+$(mb $((MMN_PSS - MM0_PSS))) MB" "$R_MEM" "<=" 2
    summary "memory, same after one refresh, settled ($SETTLE_SECONDS s): cost / DER" "+$(mb $((MMS_PSS - MM0_PSS))) MB" "$R_MEMS" "<=" 2
    summary_info "memory, right after the children's refresh: cost / DER" "+$(mb $((MMR_PSS - MM0_PSS))) MB" "$R_MEMR"
    summary_info "memory, mod_ssl, CRL $BIG, $MEM_CHILDREN children: cost / DER" "+$(mb $((MSN_PSS - MS0_PSS))) MB" "$R_MEMSSL"
fi

echo
if [ "${#NOISE[@]}" -gt 0 ]; then
    echo "WARNING: other processes took more than 5% of the CPUs during some runs; those rates are unreliable:"
    printf '  %s\n' "${NOISE[@]}"
    echo
fi
echo "Summary (targets of issues 2, 9 and 10: a report, not a test; this machine: $(nproc) CPUs)"
printf '%-62s %16s %8s %8s  %s\n' "metric" "value" "ratio" "target" "result"
printf '%s\n' "${SUMMARY[@]}"
echo
echo "Logs and configurations: $SRVROOT/"
