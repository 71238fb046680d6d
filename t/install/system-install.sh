#!/bin/sh
# t/install/system-install.sh: the path an operator walks on Debian, on the
# system's own httpd: `make install`, `a2enmod ssl mauth`, `apache2ctl -t`,
# then the system apache2 started with a mutual vhost made from the example
# in conf/mauth.conf, answering a good certificate (200) and an expired one
# (403, the Certificate Error page).  Everything it changes is put back.
#
# It changes the system, so it runs only as root on a throwaway machine:
# with CI=true (as .ci/run sets) or MAUTH_TEST_SYSTEM_INSTALL=1, and never
# while a system apache2 is running.  Otherwise it says why it skipped.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${MAUTH_TEST_SYSTEM_PORT:-18643}

skip() { echo "system-install: skipped: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "not root"
[ "${CI:-}" = true ] || [ "${MAUTH_TEST_SYSTEM_INSTALL:-}" = 1 ] \
    || skip "not a throwaway machine (set CI=true or MAUTH_TEST_SYSTEM_INSTALL=1)"
command -v a2enmod >/dev/null || skip "Debian's apache2 is not installed"
if pgrep -x apache2 >/dev/null && [ -s /var/run/apache2/apache2.pid ] \
   && kill -0 "$(cat /var/run/apache2/apache2.pid)" 2>/dev/null; then
    skip "the system apache2 is running"
fi

MODULE=$(apxs -q LIBEXECDIR)/mod_mauth.so
ADMIN=/usr/local/sbin/mauth-admin
WORK=$(mktemp -d /tmp/mauth-install.XXXXXX)
chmod 755 "$WORK"
SITE=/etc/apache2/sites-available/mauth-install-test.conf

# The state to put back: /etc/apache2 whole, and the files install adds.
tar -C /etc -cf "$WORK/etc-apache2.tar" apache2
for f in "$MODULE" "$ADMIN"; do
    [ -e "$f" ] && cp -p "$f" "$WORK/$(basename "$f").saved"
done
restore() {
    apache2ctl -k stop >/dev/null 2>&1 || true
    for i in 1 2 3 4 5 6 7 8 9 10; do pgrep -x apache2 >/dev/null || break; sleep 0.5; done
    rm -rf /etc/apache2 && tar -C /etc -xf "$WORK/etc-apache2.tar"
    for f in "$MODULE" "$ADMIN"; do
        if [ -e "$WORK/$(basename "$f").saved" ]; then
            cp -p "$WORK/$(basename "$f").saved" "$f"
        else
            rm -f "$f"
        fi
    done
    rm -rf "$WORK"
}
trap restore EXIT
trap 'exit 130' INT TERM

failed=0
passed=0
check() {
    if [ "$1" = ok ]; then
        echo "ok - $2"
        passed=$((passed + 1))
    else
        echo "not ok - $2"
        failed=$((failed + 1))
    fi
}

cd "$TOP"
make -f Makefile.apxs install >"$WORK/install.log" 2>&1 \
    && check ok "make install" || { cat "$WORK/install.log"; check fail "make install"; exit 1; }
[ -x "$ADMIN" ] && "$ADMIN" --help >/dev/null 2>&1 \
    && check ok "mauth-admin installed on PATH ($ADMIN)" || check fail "mauth-admin installed"
a2enmod ssl mauth >"$WORK/a2enmod.log" 2>&1 \
    && check ok "a2enmod ssl mauth" || { cat "$WORK/a2enmod.log"; check fail "a2enmod ssl mauth"; }
[ -e /etc/apache2/mods-enabled/dbd.load ] \
    && check ok "a2enmod enabled mod_dbd too (Depends: ssl dbd)" || check fail "mod_dbd enabled"
apache2ctl -t >"$WORK/t.log" 2>&1 \
    && check ok "apache2ctl -t with mauth.load before ssl.load" \
    || { cat "$WORK/t.log"; check fail "apache2ctl -t"; }

# A PKI of our own, readable by www-data.
sh "$TOP/t/pki/mkpki.sh" "$WORK/pki" >"$WORK/pki.log" 2>&1 || { cat "$WORK/pki.log"; exit 1; }
chmod -R a+rX "$WORK/pki"

# The mutual vhost: conf/mauth.conf's example, uncommented, with our files.
sed -n '/^    # Listen 8443/,/^    # <\/VirtualHost>/p' conf/mauth.conf \
    | sed -e 's/^    # \{0,1\}//' \
          -e "s/8443/$PORT/g" \
          -e "s|/etc/ssl/certs/api.example.com.pem|$WORK/pki/server.pem|" \
          -e "s|/etc/ssl/private/api.example.com.key|$WORK/pki/server.key|" \
          -e "s|/etc/apache2/mauth/trusted-roots.pem|$WORK/pki/roots.pem|" \
          -e "s|/etc/apache2/mauth/crls.pem|$WORK/pki/crls-all.pem|" >"$SITE"
grep -q "MAuthRole   mutual" "$SITE" && check ok "the example vhost taken from conf/mauth.conf" \
    || { cat "$SITE"; check fail "example vhost"; }
a2ensite mauth-install-test >/dev/null 2>&1
apache2ctl -t >"$WORK/t2.log" 2>&1 && check ok "apache2ctl -t with the example vhost" \
    || { cat "$WORK/t2.log"; check fail "apache2ctl -t with the example vhost"; }
ERROR_LOG=/var/log/apache2/error.log
log_lines=$(wc -l <"$ERROR_LOG" 2>/dev/null || echo 0)
apache2ctl -k start >"$WORK/start.log" 2>&1 || { cat "$WORK/start.log" /var/log/apache2/error.log; }
for i in $(seq 1 50); do
    curl -sk -o /dev/null "https://127.0.0.1:$PORT/" && break
    sleep 0.2
done

request() {
    curl -sk --max-time 20 --cert "$WORK/pki/$1-certchain.pem" --key "$WORK/pki/$1.key" \
         -o "$WORK/body" -w '%{http_code}' "https://127.0.0.1:$PORT/"
}
code=$(request good-ec || true)
[ "$code" = 200 ] && ! grep -q "Certificate Error" "$WORK/body" \
    && check ok "a good client certificate is let through (HTTP $code)" \
    || check fail "a good client certificate is let through (HTTP $code)"
code=$(request expired || true)
[ "$code" = 403 ] && grep -q "Client certificate has expired." "$WORK/body" \
    && check ok "an expired client certificate gets the Certificate Error page (403)" \
    || { cat "$WORK/body"; check fail "an expired certificate is refused (HTTP $code)"; }
tail -n +"$((log_lines + 1))" "$ERROR_LOG" | grep -q "\[mauth:warn\].*MAUTH00050" \
    && check ok "the refusal is in the system error log at the default LogLevel" \
    || check fail "the refusal is in the system error log"

if [ "$failed" -ne 0 ]; then
    echo "system-install: error log:"
    tail -n 30 "$ERROR_LOG" 2>/dev/null || true
    echo "system-install: $passed passed, $failed failed"
    exit 1
fi
echo "system-install: $passed passed, $failed failed"
