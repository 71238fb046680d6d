#!/bin/sh
# conf/demo/run.sh: the seed blog's curl transcript, end to end, against a
# sandboxed httpd running mod_mauth from this tree on the embedded SQLite
# store.  Called by `make -f Makefile.apxs demo`.
#
#   MAUTH_DEMO_MUTUAL_PORT    default 8443
#   MAUTH_DEMO_STANDARD_PORT  default 8444 (443 when you ask for it)
#   MAUTH_DEMO_KEEP=1         leave httpd running afterwards
#
# Exits non-zero when an answer is not the one the seed shows.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)

# As root, httpd's children run as nobody and must reach the demo's files.
# From a clone they cannot reach (under /root, say) the demo runs on a copy.
if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- test -x "$TOP/conf/demo" 2>/dev/null; then
    copy=/tmp/mauth-demo
    [ -f "$copy/build/demo/httpd.pid" ] \
        && "$("${APXS:-apxs}" -q SBINDIR)/$("${APXS:-apxs}" -q TARGET)" \
           -f "$copy/build/demo/httpd.conf" -k stop 2>/dev/null
    rm -rf "$copy"
    mkdir -m 755 "$copy"
    cp -a "$TOP/." "$copy/"
    echo "demo: nobody cannot reach $TOP; running on a copy in $copy"
    exec sh "$copy/conf/demo/run.sh"
fi
DEMO=$TOP/build/demo
PKI=$DEMO/pki
MUTUAL_PORT=${MAUTH_DEMO_MUTUAL_PORT:-8443}
STANDARD_PORT=${MAUTH_DEMO_STANDARD_PORT:-8444}
APXS=${APXS:-apxs}
HTTPD=$("$APXS" -q SBINDIR)/$("$APXS" -q TARGET)
ADMIN_BIN=$TOP/build/mauth-admin
ADMIN="$ADMIN_BIN --driver sqlite3 --params $DEMO/store/mauth.db --ca-file $PKI/roots.pem --crl-file $PKI/crls-all.pem"
USER_NAME=api@acme.example

stop_httpd() {
    if [ -f "$DEMO/httpd.pid" ]; then
        "$HTTPD" -f "$DEMO/httpd.conf" -k stop >/dev/null 2>&1 || true
        i=0
        while [ -f "$DEMO/httpd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    fi
}

[ -x "$ADMIN_BIN" ] && [ -f "$TOP/.libs/mod_mauth.so" ] || {
    echo "demo: build first: make -f Makefile.apxs all" >&2; exit 1; }
stop_httpd
mkdir -p "$DEMO/logs" "$DEMO/store" "$DEMO/work"

echo "== demo PKI (root, intermediates, client certificates, a revoked one, CRLs)"
sh "$TOP/t/pki/mkpki.sh" "$PKI" >/dev/null

echo "== identity store: $DEMO/store/mauth.db"
rm -f "$DEMO/store/mauth.db"
$ADMIN init >/dev/null
$ADMIN org add Acme >/dev/null
$ADMIN org enable Acme >/dev/null
$ADMIN user add Acme "$USER_NAME" >/dev/null
$ADMIN grant user "$USER_NAME" >/dev/null
$ADMIN cert add --user "$USER_NAME" --chain "$PKI/alice-chain.pem" "$PKI/alice.pem" >/dev/null
$ADMIN cert list

# As root, httpd's children run as nobody: they read the tree and write
# sessions (the demo API's login) into the store.
RUN_USER=$(id -un)
RUN_GROUP=$(id -gn)
if [ "$RUN_USER" = root ]; then
    RUN_USER=nobody
    RUN_GROUP=nogroup
    chown -R nobody:nogroup "$DEMO/store"
    chmod -R a+rX "$PKI" "$TOP/conf/demo"
fi
sed -e "s|@DEMO@|$DEMO|g" -e "s|@PKI@|$PKI|g" -e "s|@TOP@|$TOP|g" \
    -e "s|@MODULE@|$TOP/.libs/mod_mauth.so|g" -e "s|@LIBEXECDIR@|$("$APXS" -q LIBEXECDIR)|g" \
    -e "s|@ADMIN@|$ADMIN_BIN --driver sqlite3 --params $DEMO/store/mauth.db|g" \
    -e "s|@MUTUAL_PORT@|$MUTUAL_PORT|g" -e "s|@STANDARD_PORT@|$STANDARD_PORT|g" \
    -e "s|@RUN_USER@|$RUN_USER|g" -e "s|@RUN_GROUP@|$RUN_GROUP|g" \
    "$TOP/conf/demo/httpd.conf.in" >"$DEMO/httpd.conf"
# The CGI splits MAUTH_DEMO_ADMIN on spaces: no spaces in these paths.
"$HTTPD" -f "$DEMO/httpd.conf" -k start
[ "${MAUTH_DEMO_KEEP:-0}" = 1 ] || trap stop_httpd EXIT
i=0
until curl -sk -o /dev/null "https://localhost:$STANDARD_PORT/" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "demo: httpd did not start; $DEMO/logs/error_log says:" >&2
        tail -n 20 "$DEMO/logs/error_log" >&2
        exit 1
    fi
    sleep 0.2
done

cp "$TOP/conf/demo/login.xml" "$DEMO/work/login.xml"
cat "$PKI/alice-full.pem" >"$DEMO/work/fullcert.pem"
cat "$PKI/revoked-full.pem" >"$DEMO/work/revokedcert.pem"
cd "$DEMO/work"

failures=0
# show TITLE EXPECTED-TEXT CURL-ARGS...: prints the command, runs it, prints
# the answer formatted as the blog does, and checks it holds EXPECTED-TEXT.
show() {
    title=$1; expected=$2; shift 2
    echo
    echo "== $title"
    printf '$ curl -s -k'
    for arg in "$@"; do
        case $arg in
            *" "*) printf ' "%s"' "$arg" ;;
            *) printf ' %s' "$arg" ;;
        esac
    done
    echo
    answer=$(curl -s -k "$@" || true)
    if printf '%s' "$answer" | head -c 5 | grep -q '<?xml'; then
        printf '%s\n' "$answer" | xmllint --format - 2>/dev/null || printf '%s\n' "$answer"
    else
        printf '%s\n' "$answer"
    fi
    if ! printf '%s' "$answer" | grep -qF "$expected"; then
        echo "!! expected the answer to contain: $expected" >&2
        failures=$((failures + 1))
    fi
}

SOAP="https://localhost:$STANDARD_PORT/services/Soap/u/41.0"
MUTUAL="https://localhost:$MUTUAL_PORT/services/Soap/u/41.0"

show "1. SOAP login on the standard port $STANDARD_PORT works for an enforced user" \
    "<sessionId>" "$SOAP" -H "Content-Type: text/xml; charset=UTF-8" \
    -H "SOAPAction: login" -d @login.xml
SESSION=$(curl -s -k "$SOAP" -H "Content-Type: text/xml; charset=UTF-8" \
    -H "SOAPAction: login" -d @login.xml | sed -n 's|.*<sessionId>\([^<]*\)</sessionId>.*|\1|p')
sed "s|@SESSION_ID@|$SESSION|" "$TOP/conf/demo/getuserinfo.xml.in" >getuserinfo.xml

show "2. getUserInfo on the mutual port $MUTUAL_PORT with the full chain (-E fullcert.pem)" \
    "<getUserInfoResponse>" "$MUTUAL" -H "Content-Type: text/xml; charset=UTF-8" \
    -H "SOAPAction: example" -d @getuserinfo.xml -E fullcert.pem

show "3. the same on $MUTUAL_PORT without a client certificate" \
    "Client certificate error:<i>No client certificate provided.</i>" \
    "$MUTUAL" -H "Content-Type: text/xml; charset=UTF-8" -H "SOAPAction: example" \
    -d @getuserinfo.xml

show "4. the same session on the standard port $STANDARD_PORT: no fallback" \
    "<faultcode>sf:MUTUAL_AUTHENTICATION_FAILED</faultcode>" \
    "$SOAP" -H "Content-Type: text/xml; charset=UTF-8" -H "SOAPAction: example" \
    -d @getuserinfo.xml

show "5. a revoked client certificate on $MUTUAL_PORT" \
    "Client certificate has been revoked." \
    "$MUTUAL" -H "Content-Type: text/xml; charset=UTF-8" -H "SOAPAction: example" \
    -d @getuserinfo.xml -E revokedcert.pem

echo
if [ "${MAUTH_DEMO_KEEP:-0}" = 1 ]; then
    echo "httpd keeps running ($DEMO/httpd.conf); stop it with:"
    echo "  $HTTPD -f $DEMO/httpd.conf -k stop"
fi
if [ $failures -ne 0 ]; then
    echo "demo: $failures answer(s) differ from the seed's; see $DEMO/logs/error_log" >&2
    exit 1
fi
echo "demo: all answers match the seed's transcript"
