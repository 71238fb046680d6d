#!/bin/sh
# mkpki.sh OUTDIR: the test PKI of mod_mauth.
#
# Builds, with the openssl command line only, every certificate, key and CRL
# that the Apache::Test suite, the C unit tests, the demo and the benchmark
# use.  File names are a contract with those users: do not rename.
#
#   root        trusted root CA                    "mauth Test Root CA"
#   int1        intermediate under root            "mauth Test Intermediate CA 1"
#   int2        intermediate under int1            "mauth Test Intermediate CA 2"
#   intrev      intermediate under root, revoked   "mauth Test Revoked Intermediate CA"
#   other-root  untrusted root                     "mauth Other Root CA"
#   impostor-int1  int1's exact subject DN, own key, signed by other-root
#
# Leaves NAME.pem / NAME.key / NAME-chain.pem (intermediates the client
# sends) / NAME-full.pem (key + leaf + intermediates, as curl -E wants) and
# NAME-certchain.pem (leaf + intermediates, for clients that take the key
# separately).  CRLs and bundles: see the end of this file.
#
# Idempotent: does nothing when OUTDIR/.done holds this script's PKI_VERSION
# (bumped whenever the PKI gains files, so an older OUTDIR is rebuilt).
# Builds in a temporary directory next to OUTDIR and renames it into place,
# so a concurrent caller never sees a half-made PKI.  Everything is world-readable: httpd's children
# run as nobody.  THE PRIVATE KEYS ARE TEST KEYS; never use them elsewhere.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
OUT=$1
PKI_VERSION=4
if [ -f "$OUT/.done" ] && [ "$(cat "$OUT/.done")" = "$PKI_VERSION" ]; then
    exit 0
fi

OPENSSL=${OPENSSL:-openssl}
umask 022
parent=$(dirname "$OUT")
mkdir -p "$parent"
WORK=$(mktemp -d "$parent/.mkpki.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
cd "$WORK"

# Fixed dates keep the PKI the same from run to run (keys excepted).
CA_START=20190101000000Z
CA_END=20490101000000Z
LEAF_START=20240101000000Z
LEAF_END=20481231000000Z

DN_BASE="/C=US/O=mauth Test"

quiet() {
    # Runs a command, shows its output only when it fails.
    if ! "$@" >"$WORK/.log" 2>&1; then
        echo "mkpki: failed: $*" >&2
        cat "$WORK/.log" >&2
        exit 1
    fi
}

genkey_ec() {
    quiet "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1"
}

genkey_rsa() {
    quiet "$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"
}

# ca_config NAME SERIAL_START: a minimal `openssl ca` directory and config.
# The extension sections cover every kind of certificate the PKI issues.
ca_config() {
    name=$1
    dir="$WORK/ca/$name"
    mkdir -p "$dir/newcerts"
    : >"$dir/index.txt"
    echo "unique_subject = no" >"$dir/index.txt.attr"
    echo "$2" >"$dir/serial"
    echo 1000 >"$dir/crlnumber"
    cat >"$dir/ca.cnf" <<EOF
[ ca ]
default_ca = CA_default

[ CA_default ]
dir              = $dir
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
certificate      = \$dir/cert.pem
private_key      = \$dir/key.pem
default_md       = sha256
default_days     = 3650
default_crl_days = 30
policy           = policy_any
unique_subject   = no
preserve         = yes
email_in_dn      = no
copy_extensions  = none
crl_extensions   = crl_ext

[ policy_any ]
countryName            = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = unused

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_client_ec ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_client_rsa ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_serveronly ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_server ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_selfsigned_leaf ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
EOF
}

# make_root NAME "CN" SERIAL: self-signed root, via `openssl ca -selfsign`
# so its database knows it.
make_root() {
    name=$1 cn=$2
    ca_config "$name" "$3"
    dir="$WORK/ca/$name"
    genkey_ec "$dir/key.pem"
    quiet "$OPENSSL" req -new -config "$dir/ca.cnf" -key "$dir/key.pem" \
        -subj "$DN_BASE/CN=$cn" -out "$dir/req.csr"
    quiet "$OPENSSL" ca -batch -config "$dir/ca.cnf" -selfsign -keyfile "$dir/key.pem" \
        -in "$dir/req.csr" -out "$dir/cert.pem" -notext \
        -startdate "$CA_START" -enddate "$CA_END" -extensions v3_root
    cp "$dir/cert.pem" "$name.pem"
    cp "$dir/key.pem" "$name.key"
}

# make_subca NAME "CN" ISSUER SERIAL: an intermediate CA signed by ISSUER.
make_subca() {
    name=$1 cn=$2 issuer=$3
    ca_config "$name" "$4"
    dir="$WORK/ca/$name"
    genkey_ec "$dir/key.pem"
    quiet "$OPENSSL" req -new -config "$dir/ca.cnf" -key "$dir/key.pem" \
        -subj "$DN_BASE/CN=$cn" -out "$dir/req.csr"
    quiet "$OPENSSL" ca -batch -config "$WORK/ca/$issuer/ca.cnf" \
        -in "$dir/req.csr" -out "$dir/cert.pem" -notext \
        -startdate "$CA_START" -enddate "$CA_END" -extensions v3_ca
    cp "$dir/cert.pem" "$name.pem"
    cp "$dir/key.pem" "$name.key"
}

# make_leaf NAME ISSUER KIND(ec|rsa) EXT START END "CHAIN CERTS..." [SUBJECT]
make_leaf() {
    name=$1 issuer=$2 kind=$3 ext=$4 start=$5 end=$6 chain=$7
    subject=${8:-"$DN_BASE/OU=mauth Test Clients/CN=$name.client.test"}
    if [ "$kind" = rsa ]; then genkey_rsa "$name.key"; else genkey_ec "$name.key"; fi
    quiet "$OPENSSL" req -new -config "$WORK/ca/$issuer/ca.cnf" -key "$name.key" \
        -subj "$subject" -out "$WORK/$name.csr"
    quiet "$OPENSSL" ca -batch -config "$WORK/ca/$issuer/ca.cnf" \
        -in "$WORK/$name.csr" -out "$name.pem" -notext \
        -startdate "$start" -enddate "$end" -extensions "$ext"
    bundle_leaf "$name" "$chain"
}

# bundle_leaf NAME "CHAIN CERTS...": NAME-chain.pem, NAME-certchain.pem,
# NAME-full.pem.
bundle_leaf() {
    name=$1 chain=$2
    : >"$name-chain.pem"
    for c in $chain; do cat "$c.pem" >>"$name-chain.pem"; done
    cat "$name.pem" "$name-chain.pem" >"$name-certchain.pem"
    cat "$name.key" "$name.pem" "$name-chain.pem" >"$name-full.pem"
}

# gencrl CA OUT [LASTUPDATE NEXTUPDATE]
gencrl() {
    if [ $# -eq 4 ]; then
        quiet "$OPENSSL" ca -batch -config "$WORK/ca/$1/ca.cnf" -gencrl -out "$2" \
            -crl_lastupdate "$3" -crl_nextupdate "$4"
    else
        quiet "$OPENSSL" ca -batch -config "$WORK/ca/$1/ca.cnf" -gencrl -out "$2" \
            -crldays 30
    fi
}

revoke() {
    quiet "$OPENSSL" ca -batch -config "$WORK/ca/$1/ca.cnf" -revoke "$2" \
        -crl_reason keyCompromise
}

# ------------------------------------------------------------------ CAs
make_root root "mauth Test Root CA" 1000
make_subca int1 "mauth Test Intermediate CA 1" root 2000
make_subca int2 "mauth Test Intermediate CA 2" int1 3000
make_subca intrev "mauth Test Revoked Intermediate CA" root 4000
make_root other-root "mauth Other Root CA" 5000
# Same subject DN as int1, its own key, issued by the untrusted root: its
# AKID names other-root, never the real root.
make_subca impostor-int1 "mauth Test Intermediate CA 1" other-root 6000

# --------------------------------------------------------------- leaves
make_leaf good-ec   int1 ec  v3_client_ec  "$LEAF_START" "$LEAF_END" "int1"
make_leaf good-rsa  int1 rsa v3_client_rsa "$LEAF_START" "$LEAF_END" "int1"
make_leaf alice     int1 ec  v3_client_ec  "$LEAF_START" "$LEAF_END" "int1" \
    "$DN_BASE/OU=Alice Org/CN=alice.client.test"
make_leaf alice2    int1 ec  v3_client_ec  "$LEAF_START" "$LEAF_END" "int1" \
    "$DN_BASE/OU=Alice Org/CN=alice2.client.test"
make_leaf bob       int1 ec  v3_client_ec  "$LEAF_START" "$LEAF_END" "int1" \
    "$DN_BASE/OU=Bob Org/CN=bob.client.test"
make_leaf carol     int1 ec  v3_client_ec  "$LEAF_START" "$LEAF_END" "int1" \
    "$DN_BASE/OU=Carol Org/CN=carol.client.test"
make_leaf deep      int2 ec  v3_client_ec  "$LEAF_START" "$LEAF_END" "int2 int1"
make_leaf expired   int1 ec  v3_client_ec  20200101000000Z 20210101000000Z "int1"
make_leaf notyet    int1 ec  v3_client_ec  20990101000000Z 21000101000000Z "int1"
make_leaf revoked   int1 ec  v3_client_ec  "$LEAF_START" "$LEAF_END" "int1"
make_leaf under-revoked intrev ec v3_client_ec "$LEAF_START" "$LEAF_END" "intrev"
make_leaf impostor  impostor-int1 ec v3_client_ec "$LEAF_START" "$LEAF_END" "impostor-int1"
make_leaf serveronly int1 ec v3_serveronly "$LEAF_START" "$LEAF_END" "int1"
make_leaf wrong-root other-root ec v3_client_ec "$LEAF_START" "$LEAF_END" ""

# Self-signed leaf: CA:FALSE, clientAuth, its own issuer.
genkey_ec selfsigned.key
quiet "$OPENSSL" req -new -x509 -config "$WORK/ca/root/ca.cnf" -key selfsigned.key \
    -subj "$DN_BASE/OU=mauth Test Clients/CN=selfsigned.client.test" \
    -days 7300 -set_serial 0x7001 -extensions v3_selfsigned_leaf -out selfsigned.pem
bundle_leaf selfsigned ""

# good-ec presented without its intermediate.
cat good-ec.key good-ec.pem >good-ec-nochain-full.pem

# Server certificate for the test vhosts.
genkey_rsa server.key
quiet "$OPENSSL" req -new -config "$WORK/ca/root/ca.cnf" -key server.key \
    -subj "$DN_BASE/CN=localhost" -out "$WORK/server.csr"
quiet "$OPENSSL" ca -batch -config "$WORK/ca/root/ca.cnf" -in "$WORK/server.csr" \
    -out server.pem -notext -startdate "$LEAF_START" -enddate "$LEAF_END" \
    -extensions v3_server
cat server.pem root.pem >server-chain.pem

# ----------------------------------------------------------- revocation
revoke root intrev.pem
revoke int1 revoked.pem

gencrl root root.crl
gencrl int1 int1.crl
gencrl int2 int2.crl
gencrl intrev intrev.crl
gencrl int1 int1-expired.crl 20200101000000Z 20200201000000Z

# A CRL with int1's issuer name and int1's authority key identifier, signed
# by a throwaway key: only its signature is wrong.
int1_ski=$("$OPENSSL" x509 -in int1.pem -noout -ext subjectKeyIdentifier |
    sed -n '2s/^ *//p' | tr -d ':')
ca_config badsig 9000
dir="$WORK/ca/badsig"
genkey_ec "$dir/key.pem"
cat >>"$dir/ca.cnf" <<EOF

[ v3_badsig ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = $int1_ski
EOF
quiet "$OPENSSL" req -new -x509 -config "$dir/ca.cnf" -key "$dir/key.pem" \
    -subj "$DN_BASE/CN=mauth Test Intermediate CA 1" -days 3650 \
    -set_serial 0x9001 -extensions v3_badsig -out "$dir/cert.pem"
gencrl badsig int1-badsig.crl

# --------------------------------------------------------------- bundles
cp root.pem roots.pem
cat root.crl int1.crl int2.crl intrev.crl >crls-all.pem
cat root.crl int1-expired.crl int2.crl intrev.crl >crls-int1-expired.pem
cat root.crl int1-badsig.crl int2.crl intrev.crl >crls-badsig.pem
cp root.crl crls-root-only.pem

# Self-checks: the PKI is what the tests assume.
check() {
    expect=$1; shift
    got=$("$OPENSSL" verify "$@" 2>&1 || true)
    case "$got" in
        *"$expect"*) ;;
        *) echo "mkpki: self-check failed: openssl verify $*" >&2
           echo "  expected: $expect" >&2
           echo "  got: $got" >&2
           exit 1 ;;
    esac
}
check OK -purpose sslclient -CAfile root.pem -untrusted good-ec-chain.pem good-ec.pem
check OK -purpose sslclient -CAfile root.pem -untrusted good-rsa-chain.pem good-rsa.pem
check OK -purpose sslclient -CAfile root.pem -untrusted deep-chain.pem deep.pem
check OK -purpose sslclient -crl_check_all -CAfile root.pem -CRLfile crls-all.pem \
    -untrusted deep-chain.pem deep.pem
check "certificate has expired" -CAfile root.pem -untrusted expired-chain.pem expired.pem
check "not yet valid" -CAfile root.pem -untrusted notyet-chain.pem notyet.pem
check "certificate revoked" -crl_check_all -CAfile root.pem -CRLfile crls-all.pem \
    -untrusted revoked-chain.pem revoked.pem
check "certificate revoked" -crl_check_all -CAfile root.pem -CRLfile crls-all.pem \
    -untrusted under-revoked-chain.pem under-revoked.pem
check OK -crl_check -CAfile root.pem -CRLfile crls-all.pem \
    -untrusted under-revoked-chain.pem under-revoked.pem
check "unable to get local issuer" -CAfile root.pem -untrusted impostor-chain.pem impostor.pem
check "self-signed certificate" -CAfile root.pem selfsigned.pem
check "unsuitable certificate purpose" -purpose sslclient -CAfile root.pem \
    -untrusted serveronly-chain.pem serveronly.pem
check "unable to get local issuer" -CAfile root.pem wrong-root.pem
check "unable to get local issuer" -CAfile root.pem good-ec.pem
check "CRL has expired" -crl_check_all -CAfile root.pem -CRLfile crls-int1-expired.pem \
    -untrusted good-ec-chain.pem good-ec.pem
check "CRL signature failure" -crl_check_all -CAfile root.pem -CRLfile crls-badsig.pem \
    -untrusted good-ec-chain.pem good-ec.pem
check "unable to get certificate CRL" -crl_check_all -CAfile root.pem \
    -CRLfile crls-root-only.pem -untrusted good-ec-chain.pem good-ec.pem
check OK -purpose sslserver -CAfile root.pem server.pem

# ------------------------------------------- the attack suite (t/attack/tls_*)
#   root-b        a second trusted root             "mauth Test Root CA B"
#   int-b         intermediate under root-b         "mauth Test Intermediate CA B"
#   b-good        leaf under int-b
#   revoked-later leaf under int1: good in crls-later-before.pem, revoked in
#                 crls-later-after.pem (int1's next CRL, higher CRL number)
#   large         leaf under int1 of about 80 KB (a 60000-byte private
#                 extension): slow to hash, so races between the streams of
#                 one HTTP/2 connection that first look at it show up
#   ticket.key    48 random bytes for mod_ssl's SSLSessionTicketKeyFile
make_root root-b "mauth Test Root CA B" 7000
make_subca int-b "mauth Test Intermediate CA B" root-b 7500
make_leaf b-good int-b ec v3_client_ec "$LEAF_START" "$LEAF_END" "int-b" \
    "$DN_BASE/OU=mauth Test Clients B/CN=b-good.client.test"
make_leaf revoked-later int1 ec v3_client_ec "$LEAF_START" "$LEAF_END" "int1"
cat >>"$WORK/ca/int1/ca.cnf" <<EOF

[ v3_client_large ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
1.3.6.1.4.1.55555.1.1  = ASN1:FORMAT:HEX,OCTETSTRING:$("$OPENSSL" rand -hex 60000)
EOF
make_leaf large int1 ec v3_client_large "$LEAF_START" "$LEAF_END" "int1"

gencrl root-b root-b.crl
gencrl int-b int-b.crl
cp root-b.pem roots-b.pem
cat root-b.crl int-b.crl >crls-b.pem

# int1's CRL before (int1.crl, made above) and after revoking revoked-later.
revoke int1 revoked-later.pem
gencrl int1 int1-later.crl
cp crls-all.pem crls-later-before.pem
cat root.crl int1-later.crl int2.crl intrev.crl >crls-later-after.pem
# int1's CRL after that one (later thisUpdate, higher CRL number), already
# past its nextUpdate two seconds after it was made: a refresh takes it,
# and every chain through int1 is then refused (t/chain/crl_refresh.t).
gencrl int1 int1-stale.crl "$(date -u -d '+1 sec' +%Y%m%d%H%M%SZ)" \
    "$(date -u -d '+2 sec' +%Y%m%d%H%M%SZ)"
cat root.crl int1-stale.crl int2.crl intrev.crl >crls-later-stale.pem

quiet "$OPENSSL" rand -out ticket.key 48

check OK -purpose sslclient -crl_check_all -CAfile roots-b.pem -CRLfile crls-b.pem \
    -untrusted b-good-chain.pem b-good.pem
check "unable to get local issuer" -CAfile roots.pem -untrusted b-good-chain.pem b-good.pem
check "unable to get local issuer" -CAfile roots-b.pem -untrusted good-ec-chain.pem good-ec.pem
check OK -purpose sslclient -crl_check_all -CAfile roots.pem -CRLfile crls-later-before.pem \
    -untrusted revoked-later-chain.pem revoked-later.pem
check "certificate revoked" -crl_check_all -CAfile roots.pem -CRLfile crls-later-after.pem \
    -untrusted revoked-later-chain.pem revoked-later.pem
check OK -purpose sslclient -crl_check_all -CAfile roots.pem -CRLfile crls-later-after.pem \
    -untrusted good-ec-chain.pem good-ec.pem
check OK -purpose sslclient -crl_check_all -CAfile roots.pem -CRLfile crls-all.pem \
    -untrusted large-chain.pem large.pem
[ "$(wc -c <large.pem)" -gt 60000 ] || { echo "mkpki: large.pem is not large" >&2; exit 1; }
[ "$(wc -c <ticket.key)" -eq 48 ] || { echo "mkpki: ticket.key is not 48 bytes" >&2; exit 1; }

# ------------------------------------------------ OCSP (t/chain/ocsp_*.t)
#   ocsp-int1        int1's delegated responder (id-kp-OCSPSigning, by int1)
#   ocsp-wrong       a responder with id-kp-OCSPSigning issued by root: it
#                    may not speak for int1's certificates
#   int1-index.txt   int1's `openssl ca` database (good-ec good, revoked and
#                    revoked-later revoked), for `openssl ocsp -index`
#   int1-index-unknown.txt  the same without good-rsa (unknown to it)
for ca in int1 root; do
    cat >>"$WORK/ca/$ca/ca.cnf" <<EOF

[ v3_ocsp ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = OCSPSigning
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
done
make_leaf ocsp-int1 int1 ec v3_ocsp "$LEAF_START" "$LEAF_END" "int1" \
    "$DN_BASE/CN=mauth Test OCSP Responder for Intermediate CA 1"
make_leaf ocsp-wrong root ec v3_ocsp "$LEAF_START" "$LEAF_END" "" \
    "$DN_BASE/CN=mauth Test OCSP Responder of the Root"
cp "$WORK/ca/int1/index.txt" int1-index.txt
good_rsa_serial=$("$OPENSSL" x509 -in good-rsa.pem -noout -serial | sed 's/^serial=//')
grep -v "	$good_rsa_serial	" int1-index.txt >int1-index-unknown.txt
[ "$(wc -l <int1-index-unknown.txt)" -lt "$(wc -l <int1-index.txt)" ] \
    || { echo "mkpki: good-rsa not found in int1's index" >&2; exit 1; }

# Publish.
rm -rf "$WORK/ca" "$WORK"/*.csr "$WORK/.log"
chmod 0755 "$WORK"
chmod 0644 "$WORK"/*
echo "$PKI_VERSION" >"$WORK/.done"
chmod 0644 "$WORK/.done"
rm -rf "$OUT"
mv "$WORK" "$OUT"
trap - EXIT INT TERM
exit 0
