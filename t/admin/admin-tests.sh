#!/bin/sh
# t/admin/admin-tests.sh [MAUTH_ADMIN]: tests of mauth-admin, run once on
# SQLite and once on a real PostgreSQL server that the script starts itself
# (initdb in a temporary directory, a Unix socket only) and stops.
#
#   sh t/admin/admin-tests.sh build/mauth-admin
#   make -f Makefile.apxs admin-test
#
# Every refusal of `cert add`, every command's happy path, and the runtime
# queries the module uses (through `lookup`).  Prints TAP-like lines; exits
# non-zero when any test fails.  MAUTH_TEST_SKIP_PGSQL=1 skips PostgreSQL
# (the run then says so); MAUTH_TEST_KEEP=1 keeps the temporary directory.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ADMIN=${1:-$TOP/build/mauth-admin}
case $ADMIN in /*) ;; *) ADMIN=$(pwd)/$ADMIN ;; esac
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${MAUTH_TEST_PGPORT:-54329}

if [ ! -x "$ADMIN" ]; then
    echo "admin-tests: $ADMIN is not built (make -f Makefile.apxs tools)" >&2
    exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mauth-admin-tests.XXXXXX")
PGDIR=$TMP/pg
PG_STARTED=0

as_postgres() {
    # initdb and postgres refuse to run as root.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
    if [ "$PG_STARTED" = 1 ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    if [ "${MAUTH_TEST_KEEP:-0}" = 1 ]; then
        echo "# kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tests=0
failures=0
ok() {
    tests=$((tests + 1))
    echo "ok $tests - $1"
}
not_ok() {
    tests=$((tests + 1))
    failures=$((failures + 1))
    echo "not ok $tests - $1"
    shift
    for line in "$@"; do echo "#   $line"; done
}

# expect RC PATTERN NAME COMMAND...: COMMAND exits RC and its output
# (stdout and stderr) matches the extended regular expression PATTERN.
expect() {
    want=$1 pattern=$2 name=$3
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
        ok "$name"
    else
        not_ok "$name" "command: $*" "exit $rc, expected $want; output must match: $pattern" \
            "output: $(printf '%s' "$out" | head -c 600)"
    fi
}

# fed TEXT COMMAND...: COMMAND with TEXT (printf %b escapes) on its stdin.
fed() {
    input=$1
    shift
    printf '%b' "$input" | "$@"
}

# expect_not PATTERN NAME COMMAND...: COMMAND succeeds and its output does
# not match PATTERN.
expect_not() {
    pattern=$1 name=$2
    shift 2
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
        ok "$name"
    else
        not_ok "$name" "command: $*" "exit $rc; output must not match: $pattern" \
            "output: $(printf '%s' "$out" | head -c 600)"
    fi
}

# expect_json NAME COMMAND...: COMMAND succeeds and prints valid JSON.
expect_json() {
    name=$1
    shift
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ]; then
        not_ok "$name" "command: $*" "exit $rc" "output: $out"
    elif command -v python3 >/dev/null 2>&1 &&
         ! printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
        not_ok "$name" "command: $*" "not JSON: $out"
    else
        ok "$name"
    fi
}

fingerprint() {
    openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' |
        tr 'A-F' 'a-f'
}

# ------------------------------------------------------------------- PKI
PKI=$TMP/pki
if [ ! -f "$TOP/t/pki/mkpki.sh" ]; then
    echo "admin-tests: $TOP/t/pki/mkpki.sh is missing" >&2
    exit 2
fi
if ! sh "$TOP/t/pki/mkpki.sh" "$PKI" >"$TMP/mkpki.log" 2>&1; then
    echo "admin-tests: mkpki.sh failed:" >&2
    cat "$TMP/mkpki.log" >&2
    exit 2
fi
mkdir "$TMP/capath"
cp "$PKI/root.pem" "$TMP/capath/"
openssl rehash "$TMP/capath" >/dev/null 2>&1 || true
mkdir "$TMP/crlpath" "$TMP/crlpath-empty"
cp "$PKI/root.crl" "$PKI/int1.crl" "$PKI/int2.crl" "$PKI/intrev.crl" "$TMP/crlpath/"

# -------------------------------------------------- backend-neutral tests
usage_tests() {
    A=$ADMIN
    expect 2 'usage: mauth-admin' "usage: no arguments print usage, exit 2" $A
    expect 0 'Exit status: 0 done' "usage: --help prints usage, exit 0" $A --help
    expect 2 "unknown command 'frobnicate'" "usage: unknown command" $A --params x frobnicate
    expect 2 "unknown option --nope" "usage: unknown option" $A --nope org list
    expect 2 "'org add' takes 1 argument, 0 given" "usage: missing argument" \
        $A --params x org add
    expect 2 "'org add' takes 1 argument, 2 given" "usage: extra argument" \
        $A --params x org add a b
    expect 2 "\-\-profile does not apply to 'org add'" "usage: option of another command" \
        $A --params x org add acme --profile p
    expect 2 "\-\-params is required" "usage: --params is required" $A org list
    expect 2 "\-\-driver must be one of sqlite3, pgsql" "usage: unsupported driver" \
        $A --driver mysql --params x org list
    expect 3 "cannot open the pgsql store" "usage: --driver in any case (PGSQL is pgsql)" \
        $A --driver PGSQL --params "host=$TMP/no-such-socket-dir" org list
    expect 2 "\-\-driver needs a value" "usage: option without its value" $A --driver
}

# verify decides what the module decides, with the module's defaults:
# revocation checking of the whole chain (MAuthCARevocationCheck chain), so
# it needs CRLs, or --crl-check none, as httpd needs them to start.
verify_tests() {
    R="$ADMIN --ca-file $PKI/root.pem"
    A="$R --crl-file $PKI/crls-all.pem"
    expect 0 '^SUCCESS$' "verify: leaf + intermediate" $A verify --chain "$PKI/good-ec-certchain.pem"
    expect 0 '^SUCCESS$' "verify: --leaf with the intermediates in --chain" \
        $A verify --chain "$PKI/good-ec-chain.pem" --leaf "$PKI/good-ec.pem"
    expect 0 '^SUCCESS$' "verify: the curl -E file (key + chain)" $A verify --chain "$PKI/good-ec-full.pem"
    expect 0 '^SUCCESS$' "verify: roots from --ca-path" \
        $ADMIN --ca-path "$TMP/capath" --crl-file "$PKI/crls-all.pem" \
        verify --chain "$PKI/good-ec-certchain.pem"
    expect 0 '^SUCCESS$' "verify: CRLs from --crl-path" \
        $R --crl-path "$TMP/crlpath" verify --chain "$PKI/good-ec-certchain.pem"
    expect 1 '^FAILED:revoked: ' "verify: revoked, CRLs from --crl-path" \
        $R --crl-path "$TMP/crlpath" verify --chain "$PKI/revoked-certchain.pem"
    expect 1 '^FAILED:expired: Client certificate has expired\.$' "verify: expired" \
        $A verify --chain "$PKI/expired-certchain.pem"
    expect 1 '^FAILED:not-yet-valid: ' "verify: not yet valid" \
        $A verify --chain "$PKI/notyet-certchain.pem"
    expect 1 '^FAILED:untrusted-issuer: ' "verify: another root" \
        $A verify --chain "$PKI/wrong-root-certchain.pem"
    expect 1 '^FAILED:untrusted-issuer: ' "verify: intermediate missing" \
        $A verify --chain "$PKI/good-ec.pem"
    expect 1 '^FAILED:self-signed: ' "verify: self-signed" $A verify --chain "$PKI/selfsigned.pem"
    expect 1 '^FAILED:wrong-purpose: ' "verify: server-only certificate" \
        $A verify --chain "$PKI/serveronly-certchain.pem"
    expect 1 '^FAILED:revoked: ' "verify: revoked (chain checking by default, as in the module)" \
        $A verify --chain "$PKI/revoked-certchain.pem"
    expect 1 '^FAILED:issuer-revoked: ' "verify: revoked intermediate (chain checking by default)" \
        $A verify --chain "$PKI/under-revoked-certchain.pem"
    expect 1 '^FAILED:issuer-revoked: ' "verify: revoked intermediate with --crl-check chain" \
        $A --crl-check chain verify --chain "$PKI/under-revoked-certchain.pem"
    expect 0 '^SUCCESS$' "verify: --crl-check leaf ignores a revoked intermediate" \
        $A --crl-check leaf verify --chain "$PKI/under-revoked-certchain.pem"
    expect 1 '^FAILED:revoked: ' "verify: --crl-check leaf still refuses a revoked leaf" \
        $A --crl-check leaf verify --chain "$PKI/revoked-certchain.pem"
    expect 0 '^SUCCESS$' "verify: revoked leaf passes with --crl-check none and no CRLs" \
        $R --crl-check none verify --chain "$PKI/revoked-certchain.pem"
    expect 0 '^SUCCESS$' "verify: revoked leaf passes with --crl-check none, CRLs given or not" \
        $A --crl-check none verify --chain "$PKI/revoked-certchain.pem"
    expect 0 '^SUCCESS$' "verify: --crl-check takes its word in any case (NONE)" \
        $R --crl-check NONE verify --chain "$PKI/revoked-certchain.pem"
    expect 1 '^FAILED:revocation-unavailable: ' "verify: a CRL past its nextUpdate fails closed" \
        $R --crl-file "$PKI/crls-int1-expired.pem" verify --chain "$PKI/good-ec-certchain.pem"
    expect 1 '^FAILED:revocation-unavailable: ' "verify: no CRL for the leaf's issuer fails closed" \
        $R --crl-file "$PKI/crls-root-only.pem" verify --chain "$PKI/good-ec-certchain.pem"
    expect 1 '^FAILED:chain-too-long: ' "verify: --depth 2 refuses leaf+2 intermediates" \
        $A verify --chain "$PKI/deep-certchain.pem" --depth 2
    expect 0 '^SUCCESS$' "verify: --depth 3 accepts leaf+2 intermediates" \
        $A verify --chain "$PKI/deep-certchain.pem" --depth 3
    expect 0 '^SUCCESS$' "verify: the default depth (5, as MAuthVerifyDepth) accepts leaf+2 intermediates" \
        $A verify --chain "$PKI/deep-certchain.pem"
    expect 2 'verify needs --chain' "verify: --chain is required" $A verify
    expect 2 'give --ca-file or --ca-path' "verify: roots are required" \
        $ADMIN --crl-file "$PKI/crls-all.pem" verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 '^mauth-admin: --crl-file/--crl-check \(the module.s MAuthCARevocationFile/MAuthCARevocationCheck\): revocation checking is on but no CRL is configured' \
        "verify: no CRL and no --crl-check: refused as httpd refuses to start" \
        $R verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 'no CRL is configured; give --crl-file or --crl-path, or --crl-check none' \
        "verify: ... saying what to give" $R verify --chain "$PKI/revoked-certchain.pem"
    expect 2 'no CRL is configured' "verify: --crl-check chain without CRLs" \
        $R --crl-check chain verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 'no CRL is configured' "verify: --crl-check leaf without CRLs" \
        $R --crl-check leaf verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 "^mauth-admin: --crl-file \(the module.s MAuthCARevocationFile\): cannot read $TMP/missing.crl" \
        "verify: an unreadable --crl-file is named as option and directive" \
        $R --crl-file "$TMP/missing.crl" verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 "^mauth-admin: --ca-file \(the module.s MAuthCACertificateFile\): cannot read $TMP/missing.pem" \
        "verify: an unreadable --ca-file is named as option and directive" \
        $ADMIN --ca-file "$TMP/missing.pem" --crl-check none verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 "^mauth-admin: --ca-path \(the module.s MAuthCACertificatePath\): directory $TMP/crlpath-empty is empty" \
        "verify: an empty --ca-path is named as option and directive" \
        $ADMIN --ca-path "$TMP/crlpath-empty" --crl-check none verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 "^mauth-admin: --crl-path \(the module.s MAuthCARevocationPath\): directory $TMP/crlpath-empty is empty" \
        "verify: an empty --crl-path is named as option and directive" \
        $R --crl-path "$TMP/crlpath-empty" verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 '^mauth-admin: --crl-check must be one of chain, leaf, none$' "verify: bad --crl-check" \
        $A --crl-check all verify --chain "$PKI/good-ec-certchain.pem"
    expect 2 '^mauth-admin: --depth must be a number from 1 to 100$' "verify: bad --depth" \
        $A verify --chain "$PKI/good-ec-certchain.pem" --depth x
    expect 2 'from 1 to 100' "verify: --depth 0" $A verify --chain "$PKI/good-ec-certchain.pem" --depth 0
    expect 2 'from 1 to 100' "verify: --depth 101" $A verify --chain "$PKI/good-ec-certchain.pem" --depth 101
    expect 2 'from 1 to 100' "verify: --depth ' 3' (blanks are not a number)" \
        $A verify --chain "$PKI/good-ec-certchain.pem" --depth ' 3'
    expect 2 'from 1 to 100' "verify: --depth beyond 64 bits is refused, not saturated" \
        $A verify --chain "$PKI/good-ec-certchain.pem" --depth 99999999999999999999
}

# ------------------------------------------------ tests against one store
# store_tests LABEL DRIVER PARAMS: sql() must run SQL on that store.
store_tests() {
    L=$1
    A="$ADMIN --driver $2 --params $3"
    T="$A --ca-file $PKI/root.pem --crl-file $PKI/crls-all.pem"

    expect 3 'mauth-admin init' "$L: commands before init point to init" $A org list
    expect 0 'schema version 1 ready' "$L: init creates the schema" $A init
    expect 0 'schema version 1 ready' "$L: init is idempotent" $A init
    expect 0 '^1$' "$L: schema version 1 is recorded" sql "SELECT MAX(version) FROM mauth_schema_version"
    schema_file=$TOP/store/schema-$( [ "$2" = pgsql ] && echo pgsql || echo sqlite ).sql
    expect 0 'schema version 1 ready' "$L: init --schema runs the given file" \
        $A init --schema "$schema_file"
    expect 2 'cannot read' "$L: init --schema of a missing file" $A init --schema "$TMP/missing.sql"

    # organisations
    expect 0 "organisation 'acme' added" "$L: org add" $A org add acme
    expect 0 "organisation 'globex' added" "$L: org add a second" $A org add globex
    expect 1 "organisation 'acme' already exists" "$L: org add refuses a duplicate" $A org add acme
    expect 0 'acme +off +0 +0' "$L: org list shows the switch off" $A org list
    expect 1 "no organisation named 'nope'" "$L: org enable unknown" $A org enable nope
    expect 0 "enabled for organisation 'acme'" "$L: org enable" $A org enable acme
    expect 0 '"name":"acme","mutual_auth_enabled":true' "$L: org list --json shows the switch" \
        $A org list --json
    expect_json "$L: org list --json is JSON" $A org list --json
    expect 0 "disabled for organisation 'acme'" "$L: org disable" $A org disable acme

    # profiles
    expect 0 "profile 'api' added" "$L: profile add" $A profile add acme api
    expect 0 "profile 'api' added" "$L: same profile name in another org" $A profile add globex api
    expect 1 "profile 'api' already exists" "$L: profile add refuses a duplicate" $A profile add acme api
    expect 1 "no organisation named 'nope'" "$L: profile add to unknown org" $A profile add nope api
    expect 0 'acme +api +no +0' "$L: profile list" $A profile list
    expect_json "$L: profile list --json is JSON" $A profile list --json

    # users
    expect 0 "user 'alice' added to organisation 'acme' with profile api" \
        "$L: user add with a profile" $A user add acme alice --profile api
    expect 0 "user 'bob' added" "$L: user add" $A user add acme bob
    expect 0 "user 'carol' added" "$L: user add (carol)" $A user add acme carol
    expect 0 "user 'dave' added" "$L: user add in another org" $A user add globex dave
    expect 1 "user 'bob' already exists" "$L: user add refuses a duplicate" $A user add globex bob
    expect 1 "no organisation named 'nope'" "$L: user add to unknown org" $A user add nope zed
    expect 1 "no profile 'nope' in organisation 'acme'" "$L: user add with unknown profile" \
        $A user add acme zed --profile api --profile nope
    expect_not 'zed' "$L: a refused user add writes nothing" $A user list
    evil="o'brien\"; DROP TABLE mauth_user; --"
    expect 0 "user 'o'brien" "$L: SQL metacharacters in a username are data" $A user add acme "$evil"
    expect 0 "o'brien\"; DROP TABLE mauth_user; --" "$L: ... and read back verbatim" $A user list
    expect 0 'enforced +no' "$L: lookup finds that user" $A lookup --user "$evil"
    expect 0 'acme +alice +no +api +no$' "$L: user list shows profiles, not enforced" $A user list
    expect_json "$L: user list --json is JSON" $A user list --json
    expect 2 'username cannot be empty' "$L: empty username" $A user add acme ""

    # the permission: user, profile, organisation switch
    expect 0 'granted to profile' "$L: grant profile" $A grant profile acme api
    expect 0 'permission +yes' "$L: profile permission reaches its user" $A lookup --user alice
    expect 0 'enforced +no' "$L: not enforced while the org switch is off" $A lookup --user alice
    expect 0 'acme +alice +no +api +no \(organisation switch off\)' \
        "$L: user list says why not enforced" $A user list
    $A org enable acme >/dev/null 2>&1
    expect 0 'enforced +yes' "$L: enforced through a profile once the switch is on" \
        $A lookup --user alice
    expect 0 'enforced +no' "$L: a user without the permission is not enforced" $A lookup --user bob
    expect 0 'granted to user' "$L: grant user" $A grant user bob
    expect 0 'enforced +yes' "$L: enforced through the user's own permission" $A lookup --user bob
    expect 0 '"username":"bob","enforce_mutual_auth":true,"profiles":\[\],"permission":true,"org_mutual_auth_enabled":true,"enforced":true' \
        "$L: user list --json shows the decision" $A user list --json
    expect 0 'revoked from user' "$L: revoke user" $A revoke user bob
    expect 0 'enforced +no' "$L: revoked user no longer enforced" $A lookup --user bob
    expect 0 'revoked from profile' "$L: revoke profile" $A revoke profile acme api
    expect 0 'enforced +no' "$L: revoked profile no longer enforces" $A lookup --user alice
    expect 1 "no profile 'nope' in organisation 'acme'" "$L: grant unknown profile" \
        $A grant profile acme nope
    expect 1 "no user named 'nobody'" "$L: grant unknown user" $A grant user nobody
    expect 1 "no user named 'nobody'" "$L: lookup unknown user" $A lookup --user nobody

    # replacement queries (the operator's own SQL, by label)
    uq="SELECT u.id, u.username, o.id, o.name, 1, 'yes' FROM mauth_user u JOIN mauth_org o ON o.id = u.org_id WHERE u.username = %s"
    expect 0 'enforced +yes' "$L: a replacement user query decides (booleans as 1 and 'yes')" \
        $A lookup --user carol --query "$uq"
    expect 0 'enforced +no' "$L: ... the default query still says no" $A lookup --user carol
    expect 3 'returns 1 columns, 6 expected' "$L: a replacement query with too few columns fails closed" \
        $A lookup --user carol --query "SELECT id FROM mauth_user WHERE username = %s"
    expect 3 'store error: preparing' "$L: a replacement query that does not prepare is a store error" \
        $A lookup --user carol --query "SELECT nonsense FROM nowhere WHERE x = %s"
    if [ "$2" = pgsql ]; then
        expect 0 'enforced +yes' "$L: native PostgreSQL booleans read as true" \
            $A lookup --user carol --query "SELECT u.id, u.username, o.id, o.name, true, true FROM mauth_user u JOIN mauth_org o ON o.id = u.org_id WHERE u.username = %s"
        expect 3 'invalid input syntax' "$L: an error while the query runs is a store error, not 'no user'" \
            $A lookup --user carol --query "SELECT CAST(%s AS INTEGER), 'x', 1, 'o', 1, 1"
    fi
    $A grant profile acme api >/dev/null 2>&1
    $A grant user bob >/dev/null 2>&1
    $A grant user dave >/dev/null 2>&1

    # cert add: every refusal
    expect 1 'holds a private key' "$L: cert add refuses key + chain (curl -E file)" \
        $T cert add --user alice "$PKI/alice-full.pem"
    expect 1 'holds a private key' "$L: cert add refuses a private key" \
        $T cert add --user alice "$PKI/alice.key"
    expect 1 'holds 2 certificates \(a chain\)' "$L: cert add refuses a chain" \
        $T cert add --user alice "$PKI/alice-certchain.pem"
    expect 1 'is a CA certificate \(basicConstraints CA:TRUE\)' "$L: cert add refuses an intermediate CA" \
        $T cert add --org acme "$PKI/int1.pem"
    expect 1 'is a CA certificate' "$L: cert add refuses a root CA" \
        $T cert add --org acme "$PKI/root.pem"
    expect 1 'is self-signed' "$L: cert add refuses a self-signed certificate" \
        $T cert add --org acme "$PKI/selfsigned.pem"
    expect 1 'has expired: its validity ended 2021-01-01' "$L: cert add refuses an expired certificate" \
        $T cert add --org acme "$PKI/expired.pem" --chain "$PKI/expired-chain.pem"
    expect 1 'is not yet valid: its validity starts 2099-01-01' "$L: cert add refuses a not-yet-valid certificate" \
        $T cert add --org acme "$PKI/notyet.pem" --chain "$PKI/notyet-chain.pem"
    expect 1 'does not chain to the configured roots' "$L: cert add refuses another root's certificate" \
        $T cert add --org acme "$PKI/wrong-root.pem"
    expect 1 'does not chain to the configured roots' "$L: cert add refuses a leaf whose intermediate is unknown" \
        $T cert add --org acme "$PKI/alice.pem"
    expect 1 'does not chain to the configured roots' "$L: cert add refuses an impostor intermediate's leaf" \
        $T cert add --org acme "$PKI/impostor.pem" --chain "$PKI/impostor-chain.pem"
    expect 1 'not valid for client authentication' "$L: cert add refuses a certificate without clientAuth" \
        $T cert add --org acme "$PKI/serveronly.pem" --chain "$PKI/serveronly-chain.pem"
    expect 1 'fails chain validation: Client certificate has been revoked' \
        "$L: cert add refuses a revoked certificate" \
        $T cert add --org acme "$PKI/revoked.pem" --chain "$PKI/revoked-chain.pem"
    expect 1 'fails chain validation: Client certificate has been revoked' \
        "$L: cert add refuses a revoked certificate, CRLs from --crl-path" \
        $A --ca-file "$PKI/root.pem" --crl-path "$TMP/crlpath" cert add --org acme "$PKI/revoked.pem" --chain "$PKI/revoked-chain.pem"
    expect 2 'revocation checking is on but no CRL is configured' \
        "$L: cert add without a CRL is refused, as the module refuses to start" \
        $A --ca-file "$PKI/root.pem" cert add --org acme "$PKI/good-ec.pem" --chain "$PKI/good-ec-chain.pem"
    : >"$TMP/empty.pem"
    expect 1 'holds no PEM certificate' "$L: cert add refuses a file without a certificate" \
        $T cert add --org acme "$TMP/empty.pem"
    openssl x509 -in "$PKI/bob.pem" -outform der -out "$TMP/bob.der"
    expect 1 'holds no PEM certificate' "$L: cert add refuses DER" $T cert add --org acme "$TMP/bob.der"
    expect 1 'cannot read' "$L: cert add of a missing file" $T cert add --org acme "$TMP/missing.pem"
    expect 2 'exactly one owner' "$L: cert add needs an owner" $T cert add "$PKI/bob.pem"
    expect 2 'exactly one owner' "$L: cert add takes one owner only" \
        $T cert add --org acme --user bob "$PKI/bob.pem"
    expect 2 'give --ca-file or --ca-path' "$L: cert add needs the roots" \
        $A cert add --user bob "$PKI/bob.pem" --chain "$PKI/bob-chain.pem"
    expect 1 "no user named 'nobody'" "$L: cert add for an unknown user" \
        $T cert add --user nobody "$PKI/bob.pem" --chain "$PKI/bob-chain.pem"
    expect 1 "no organisation named 'nope'" "$L: cert add for an unknown organisation" \
        $T cert add --org nope "$PKI/bob.pem" --chain "$PKI/bob-chain.pem"
    expect 0 'no certificates' "$L: nothing refused was stored" $A cert list

    # cert add: happy paths
    alice_fp=$(fingerprint "$PKI/alice.pem")
    alice2_fp=$(fingerprint "$PKI/alice2.pem")
    bob_fp=$(fingerprint "$PKI/bob.pem")
    carol_fp=$(fingerprint "$PKI/carol.pem")
    expect 0 "uploaded $alice_fp for user 'alice'" "$L: cert add for a user" \
        $T cert add --user alice "$PKI/alice.pem" --chain "$PKI/alice-chain.pem"
    expect 1 "already uploaded for user 'alice'" "$L: cert add refuses a duplicate for the same owner" \
        $T cert add --user alice "$PKI/alice.pem" --chain "$PKI/alice-chain.pem"
    expect 0 "uploaded $alice2_fp for organisation 'acme'" "$L: cert add for an organisation" \
        $T cert add --org acme "$PKI/alice2.pem" --chain "$PKI/alice2-chain.pem"
    expect 0 "uploaded $bob_fp for user 'bob'" "$L: cert add with roots from --ca-path" \
        $ADMIN --driver $2 --params $3 --ca-path "$TMP/capath" --crl-file "$PKI/crls-all.pem" \
        cert add --user bob "$PKI/bob.pem" --chain "$PKI/bob-chain.pem"
    expect 0 "uploaded $carol_fp for user 'carol'" "$L: cert add with CRLs, not revoked" \
        $T cert add --user carol "$PKI/carol.pem" --chain "$PKI/carol-chain.pem"
    expect 0 "uploaded $carol_fp for organisation 'globex'" "$L: the same certificate for another owner" \
        $T cert add --org globex "$PKI/carol.pem" --chain "$PKI/carol-chain.pem"
    expect 0 "uploaded .* for user 'dave'" "$L: an RSA certificate" \
        $T cert add --user dave "$PKI/good-rsa.pem" --chain "$PKI/good-rsa-chain.pem"
    expect 0 '^-----BEGIN CERTIFICATE-----$' "$L: the stored PEM is the leaf alone" \
        sql "SELECT pem FROM mauth_certificate WHERE sha256 = '$alice_fp'"

    # cert list
    expect 0 "sha256   $alice_fp" "$L: cert list shows the fingerprint" $A cert list
    expect 0 "owner    user 'alice' of organisation 'acme'" "$L: cert list shows a user owner" $A cert list
    expect 0 "owner    organisation 'acme'" "$L: cert list shows an organisation owner" $A cert list
    expect 0 'subject  CN=alice.client.test,OU=Alice Org,O=mauth Test,C=US' \
        "$L: cert list shows the subject" $A cert list
    expect 0 'issuer   CN=mauth Test Intermediate CA 1,O=mauth Test,C=US' \
        "$L: cert list shows the issuer" $A cert list
    expect 0 'valid    2024-01-01T00:00:00Z \.\. 2048-12-31T00:00:00Z \(valid\)' \
        "$L: cert list shows the validity" $A cert list
    expect_not "$alice2_fp" "$L: cert list --user shows only that user's" $A cert list --user alice
    expect 0 "$alice_fp" "$L: cert list --user shows that user's" $A cert list --user alice
    expect_not "$carol_fp\",\"org\":\"acme\"" "$L: cert list --org filters" $A cert list --org globex --json
    expect 0 "\"sha256\":\"$alice2_fp\",\"org\":\"acme\",\"user\":null" \
        "$L: cert list --json marks org-wide certificates" $A cert list --json
    expect_json "$L: cert list --json is JSON" $A cert list --json
    expect 0 '^\[\]$' "$L: cert list --json of nothing" $A cert list --user bob --org globex --json

    # what the module's certificate query decides
    expect 0 'registered for the user' "$L: a user's own certificate matches" \
        $A lookup --user alice --cert "$PKI/alice.pem"
    expect 0 'registered for the organisation' "$L: an org-wide certificate matches every user of the org" \
        $A lookup --user bob --cert "$PKI/alice2.pem"
    expect 1 'not registered for this user' "$L: a certificate bound to another user of the org does not match" \
        $A lookup --user bob --cert "$PKI/alice.pem"
    expect 1 'not registered for this user' "$L: an org-wide certificate of another org does not match" \
        $A lookup --user dave --cert "$PKI/alice2.pem"
    expect 0 'registered for the organisation' "$L: the same certificate serves another owner" \
        $A lookup --user dave --cert "$PKI/carol.pem"
    expect 1 'not registered for this user' "$L: an unknown certificate does not match" \
        $A lookup --user alice --cert "$PKI/good-ec.pem"
    sql "UPDATE mauth_certificate SET not_after = 1000 WHERE sha256 = '$alice_fp'" >/dev/null
    expect 1 'not registered for this user' "$L: an expired uploaded certificate does not match" \
        $A lookup --user alice --cert "$PKI/alice.pem"
    expect 0 '\(expired\)' "$L: cert list marks it expired" $A cert list --user alice
    sql "UPDATE mauth_certificate SET not_after = 2492985600, not_before = 4102444800 WHERE sha256 = '$alice_fp'" >/dev/null
    expect 1 'not registered for this user' "$L: a not-yet-valid uploaded certificate does not match" \
        $A lookup --user alice --cert "$PKI/alice.pem"
    sql "UPDATE mauth_certificate SET not_before = 1704067200, active = 0 WHERE sha256 = '$alice_fp'" >/dev/null
    expect 1 'not registered for this user' "$L: an inactive uploaded certificate does not match" \
        $A lookup --user alice --cert "$PKI/alice.pem"
    sql "UPDATE mauth_certificate SET active = 1 WHERE sha256 = '$alice_fp'" >/dev/null
    expect 0 'registered for the user' "$L: reactivated, it matches again" \
        $A lookup --user alice --cert "$PKI/alice.pem"
    expect_json "$L: lookup --json is JSON" $A lookup --user alice --cert "$PKI/alice.pem" --json

    # cert remove
    expect 2 'is not a SHA-256 fingerprint' "$L: cert remove needs a fingerprint" $A cert remove abc
    expect 1 'no certificate with SHA-256' "$L: cert remove of an unknown fingerprint" \
        $A cert remove "$(fingerprint "$PKI/good-ec.pem")"
    colons=$(openssl x509 -in "$PKI/alice2.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
    expect 0 "removed 1 upload of $alice2_fp" "$L: cert remove takes openssl's colon form" \
        $A cert remove "$colons"
    expect 1 'not registered for this user' "$L: a removed certificate no longer matches" \
        $A lookup --user bob --cert "$PKI/alice2.pem"
    expect 0 "removed 2 uploads of $carol_fp" "$L: cert remove removes every owner's upload" \
        $A cert remove "$carol_fp"

    # sessions
    token=$($A session create alice 2>&1)
    if printf '%s' "$token" | grep -Eq '^[A-Za-z0-9_-]{43}$'; then
        ok "$L: session create prints a 32-byte base64url token"
    else
        not_ok "$L: session create prints a 32-byte base64url token" "got: $token"
    fi
    expect 0 'user +alice' "$L: a session token resolves to its user" $A lookup --session "$token"
    expect 0 'enforced +yes' "$L: ... with the user's enforcement" $A lookup --session "$token"
    expect 0 'registered for the user' "$L: ... and the user's certificates" \
        $A lookup --session "$token" --cert "$PKI/alice.pem"
    expect 1 'no live session' "$L: an unknown token resolves to nobody" $A lookup --session "${token}x"
    sq="SELECT u.id, u.username, o.id, o.name, 0, 0 FROM mauth_session s JOIN mauth_user u ON u.id = s.user_id JOIN mauth_org o ON o.id = u.org_id WHERE s.token = %s AND s.expires > CAST(%s AS BIGINT)"
    expect 0 'enforced +no' "$L: a replacement session query decides" \
        $A lookup --session "$token" --query "$sq"
    old=$($A session create bob --ttl -5 2>&1)
    expect 1 'no live session' "$L: an expired session resolves to nobody" $A lookup --session "$old"
    evil_token="x' OR '1'='1"
    expect 0 "\"token\":\"x' OR '1'='1\",\"username\":\"bob\"" "$L: session create --token --json" \
        $A session create bob --token "$evil_token" --json
    expect 0 'user +bob' "$L: a token with SQL metacharacters is data" $A lookup --session "$evil_token"
    expect 1 'no live session' "$L: ... and does not match other tokens" $A lookup --session "x' OR '1'='2"
    expect 1 'already in use' "$L: session create refuses a token in use" \
        $A session create alice --token "$evil_token"
    expect 1 "no user named 'nobody'" "$L: session create for an unknown user" $A session create nobody
    expect 2 '^mauth-admin: --ttl must be a number from -31622400 to 31622400$' \
        "$L: session create with a bad --ttl" $A session create alice --ttl soon
    expect 2 '\-\-ttl must be a number' "$L: session create with a --ttl beyond a year" \
        $A session create alice --ttl 31622401
    expect_json "$L: session create --json is JSON" $A session create alice --json --ttl 60

    # sessions: list and end
    prefix=$(printf '%s' "$token" | openssl dgst -sha256 -r | cut -c1-16)
    full=$(printf '%s' "$token" | openssl dgst -sha256 -r | cut -c1-64)
    expect 0 "^$prefix +alice +acme " "$L: session list names a session by the start of its SHA-256" \
        $A session list
    expect_not "$token" "$L: ... and never prints the token itself" $A session list
    expect_not "$token" "$L: ... nor in JSON" $A session list --json
    expect 0 "\"token_sha256\":\"$full\",\"username\":\"alice\",\"org\":\"acme\"" \
        "$L: session list --json gives the whole SHA-256, user and organisation" $A session list --json
    expect_json "$L: session list --json is JSON" $A session list --json
    expect 0 "^$token +alice " "$L: session list --show-tokens prints tokens" $A session list --show-tokens
    expect 0 "\"token\":\"$token\"" "$L: ... in JSON too" $A session list --show-tokens --json
    expect_not "$(printf '%s' "$old" | openssl dgst -sha256 -r | cut -c1-16)" \
        "$L: session list leaves out expired sessions" $A session list
    expect_not ' bob ' "$L: session list --user shows only that user's" $A session list --user alice
    expect 1 "no user named 'nobody'" "$L: session list --user of an unknown user" \
        $A session list --user nobody
    expect 0 "ended session $prefix of user 'alice'" "$L: session end TOKEN" $A session end "$token"
    expect 1 'no live session' "$L: ... the ended session resolves to nobody" $A lookup --session "$token"
    expect 1 'no live session has that token' "$L: session end of a session already ended" \
        $A session end "$token"
    expect 1 'an expired one was removed' "$L: session end of an expired session: not live, removed" \
        $A session end "$old"
    expect 1 'no live session has that token' "$L: ... and it is gone" $A session end "$old"
    expect 0 "ended session .* of user 'bob'" "$L: session end of a token with SQL metacharacters" \
        $A session end "$evil_token"
    expect 1 'no live session' "$L: ... ended" $A lookup --session "$evil_token"
    b1=$($A session create bob 2>&1)
    b2=$($A session create bob --ttl 60 2>&1)
    $A session create bob --ttl -1 >/dev/null 2>&1
    c1=$($A session create carol 2>&1)
    expect 0 "ended 2 live sessions of user 'bob'" "$L: session end --user counts the live sessions ended" \
        $A session end --user bob
    expect 1 'no live session' "$L: ... every one of them" $A lookup --session "$b1"
    expect 1 'no live session' "$L: ... (the second)" $A lookup --session "$b2"
    expect 0 '^no live sessions$' "$L: ... none listed" $A session list --user bob
    expect 0 '^0$' "$L: ... the expired one removed too" \
        sql "SELECT COUNT(*) FROM mauth_session s JOIN mauth_user u ON u.id = s.user_id WHERE u.username = 'bob'"
    expect 0 'user +carol' "$L: ... another user's session lives on" $A lookup --session "$c1"
    expect 0 "ended 0 live sessions of user 'bob'" "$L: session end --user of a user without sessions" \
        $A session end --user bob
    expect 1 "no user named 'nobody'" "$L: session end --user of an unknown user" \
        $A session end --user nobody
    expect 2 'a TOKEN or --user USERNAME' "$L: session end needs a token or --user" $A session end
    expect 2 'a TOKEN or --user USERNAME' "$L: session end takes one of them, not both" \
        $A session end some-token --user carol
    expect 2 "'session end' takes at most 1 argument, 2 given" "$L: session end takes one token" \
        $A session end a b
    expect 2 "goes after --" "$L: a token starting with '-' is not taken for an option silently" \
        $A session end -abc
    expect 1 'no live session has that token' "$L: ... it goes after --" $A session end -- -abc
    expect 2 "\-\-show-tokens does not apply to 'session end'" "$L: --show-tokens is for session list" \
        $A session end some-token --show-tokens

    # import: bulk loading from files
    zero64=$(printf '%064d' 0)
    printf 'globex\timp-a\t1\n# a comment\n\nglobex,imp-b\n' >"$TMP/imp-users.txt"
    expect 0 '^2 users imported in' "$L: import users reads tab- and comma-separated lines" \
        $A import users "$TMP/imp-users.txt"
    expect 0 'enforced +no \(organisation switch off\)|enforced +no' "$L: ... the users are there" \
        $A lookup --user imp-a
    expect 0 'permission +yes' "$L: ... with ENFORCE 1 as the permission" $A lookup --user imp-a
    expect 0 'permission +no' "$L: ... ENFORCE defaults to 0" $A lookup --user imp-b
    expect 0 '^1 users imported' "$L: import users - reads stdin" \
        fed 'globex,imp-c,0\n' $A import users -
    printf 'globex,imp-x\nnope,imp-y\n' >"$TMP/imp-bad.txt"
    expect 1 "users line 2: no organisation named 'nope'" "$L: an unknown organisation names its line" \
        $A import users "$TMP/imp-bad.txt"
    expect 1 '0 users imported \(committed\); nothing from line 1 on' "$L: ... and says what was imported" \
        $A import users "$TMP/imp-bad.txt"
    expect 0 '^0$' "$L: ... the batch before it is rolled back" \
        sql "SELECT COUNT(*) FROM mauth_user WHERE username = 'imp-x'"
    expect 1 'users line 1: 1 field, expected ORG USERNAME' "$L: a line with too few fields" \
        fed 'globex\n' $A import users -
    expect 1 "ENFORCE is 'yes', not 0 or 1" "$L: ENFORCE is 0 or 1" \
        fed 'globex,imp-z,yes\n' $A import users -
    expect 3 "users line 1: store error: .*(UNIQUE|unique|duplicate)" \
        "$L: a username imported twice is refused by the database (exit 3), naming its line" \
        $A import users "$TMP/imp-users.txt"
    expect 2 "import users, certs or sessions, not 'orgs'" "$L: import of an unknown kind" \
        $A import orgs "$TMP/imp-users.txt"
    expect 2 'cannot read' "$L: import of a missing file" $A import users "$TMP/none.txt"
    expect 2 "'import' takes 2 arguments, 1 given" "$L: import needs a kind and a file" $A import users
    $A import users "$TMP/imp-users.txt" >/dev/null 2>"$TMP/imp-err.txt"
    if ! grep -q "$(printf '\r')" "$TMP/imp-err.txt"; then
        ok "$L: no progress line when stderr is not a terminal"
    else
        not_ok "$L: no progress line when stderr is not a terminal" "$(cat "$TMP/imp-err.txt")"
    fi

    # import certs: fingerprints and facts, owned by a user or an organisation
    now=$(date +%s)
    printf '%s\tCN=alice,O=acme, Inc.\tCN=Test CA\t1a2b\t%s\t%s\tuser:imp-a\n' \
        "$alice_fp" $((now - 60)) $((now + 86400)) >"$TMP/imp-certs.txt"
    printf '%s\tCN=carol\tCN=Test CA\t03\t%s\t%s\torg:globex\n' \
        "$(fingerprint "$PKI/carol.pem" | tr a-f A-F)" $((now - 60)) $((now + 86400)) >>"$TMP/imp-certs.txt"
    expect 0 '^2 certs imported' "$L: import certs" $A import certs "$TMP/imp-certs.txt"
    expect 0 'registered for the user' "$L: ... an imported fingerprint matches its user" \
        $A lookup --user imp-a --cert "$PKI/alice.pem"
    expect 0 'registered for the organisation' "$L: ... org:NAME is organisation-wide (hex in any case)" \
        $A lookup --user imp-b --cert "$PKI/carol.pem"
    expect 0 '^CN=alice,O=acme, Inc\.$' "$L: ... a subject with commas survives in a tab-separated line" \
        sql "SELECT subject FROM mauth_certificate c JOIN mauth_user u ON u.id = c.user_id WHERE u.username = 'imp-a'"
    # cert list --expiring: the imported ones end in a day, the uploaded ones in years
    expect 1 "sha256   $alice_fp" "$L: cert list --expiring lists a certificate ending within DAYS" \
        $A cert list --expiring 2 --user imp-a
    expect_not "owner    user 'alice'" "$L: ... and not the ones valid for longer" \
        sh -c "$A cert list --expiring 2; true"
    expect 1 "owner    organisation 'globex'" "$L: ... organisation-wide ones too" \
        $A cert list --expiring 2 --org globex
    expect 0 '^no certificates expire within 0 days$' "$L: ... exit 0 when none" \
        $A cert list --expiring 0 --user imp-a
    expect 1 "^\\[\\{\"sha256\":\"$alice_fp\",\"org\":\"[a-z]+\",\"user\":\"imp-a\".*\\]$" \
        "$L: ... --json lists only those" $A cert list --expiring 2 --user imp-a --json
    expect 2 'expiring' "$L: ... DAYS is a number" $A cert list --expiring soon
    expect 2 'expiring' "$L: ... and not negative" $A cert list --expiring -1
    expect 2 '--expiring does not apply' "$L: ... only cert list takes it" $A user list --expiring 2
    expect 1 'certs line 1: SHA256 is not 64 hexadecimal digits' "$L: import certs checks the fingerprint" \
        fed 'abc\tCN=x\tCN=y\t01\t0\t1\tuser:imp-a\n' $A import certs -
    expect 1 'the owner is user:USERNAME or org:ORGANISATION' "$L: import certs checks the owner" \
        fed "$zero64\tCN=x\tCN=y\t01\t0\t1\timp-a\n" $A import certs -
    expect 1 "no user named 'nobody'" "$L: import certs of an unknown user" \
        fed "$zero64\tCN=x\tCN=y\t01\t0\t1\tuser:nobody\n" $A import certs -
    expect 1 'unix seconds' "$L: import certs checks the times" \
        fed "$zero64\tCN=x\tCN=y\t01\tyesterday\t1\tuser:imp-a\n" $A import certs -

    # import sessions, in batches of 10000
    printf 'imp-tok-1,imp-a,%s\nimp-tok-old,imp-a,1,0\n' $((now + 3600)) >"$TMP/imp-sessions.txt"
    expect 0 '^2 sessions imported' "$L: import sessions" $A import sessions "$TMP/imp-sessions.txt"
    expect 0 'user +imp-a' "$L: ... an imported token resolves to its user" $A lookup --session imp-tok-1
    expect 1 'no live session' "$L: ... an imported expired one does not" $A lookup --session imp-tok-old
    expect 3 'sessions line 1: store error' "$L: a token imported twice is a store error naming its line" \
        $A import sessions "$TMP/imp-sessions.txt"
    awk -v e=$((now + 3600)) 'BEGIN { for (i = 0; i < 10005; i++) printf "imp-bulk-%d,imp-b,%d\n", i, e;
        print "imp-bulk-last,nobody," e }' >"$TMP/imp-bulk.txt"
    expect 1 '10000 sessions imported \(committed\); nothing from line 10001 on' \
        "$L: a bad line in the second batch keeps the first, committed" \
        $A import sessions "$TMP/imp-bulk.txt"
    expect 0 '^10000$' "$L: ... exactly the first batch is in the store" \
        sql "SELECT COUNT(*) FROM mauth_session WHERE token LIKE 'imp-bulk-%'"
    expect 0 'user +imp-b' "$L: ... its last row resolves" $A lookup --session imp-bulk-9999
    expect 1 'no live session' "$L: ... the rolled-back batch's rows do not" $A lookup --session imp-bulk-10000

    # the schema's own guards
    expect 1 "already exists" "$L: usernames are unique across organisations" $A user add globex alice
    expect 0 '^1$' "$L: one schema version row after two inits" \
        sql "SELECT COUNT(*) FROM mauth_schema_version"
}

# ------------------------------------------------------------------ SQLite
usage_tests
verify_tests

DB=$TMP/mauth.db
sql() { sqlite3 "$DB" "$1"; }
store_tests sqlite3 sqlite3 "$DB"
printf 'this is not a database\n' >"$TMP/garbage.db"
expect 3 'store error' "sqlite3: a file that is not a database is a store error" \
    $ADMIN --params "$TMP/garbage.db" org list
expect 3 'no SQLite database at' "sqlite3: a missing database is not created by accident" \
    $ADMIN --params "$TMP/none.db" org list
if [ ! -e "$TMP/none.db" ]; then ok "sqlite3: ... and no file appears"; else not_ok "sqlite3: ... and no file appears"; fi

# -------------------------------------------------------------- PostgreSQL
if [ "${MAUTH_TEST_SKIP_PGSQL:-0}" = 1 ]; then
    echo "# SKIPPED: PostgreSQL (MAUTH_TEST_SKIP_PGSQL=1)"
elif [ ! -x "$PGBIN/initdb" ]; then
    not_ok "pgsql: PostgreSQL server binaries in $PGBIN" "install postgresql, or set PGBIN"
else
    mkdir -p "$PGDIR/sock"
    chmod 0755 "$TMP"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$PGDIR"; fi
    if as_postgres "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >"$TMP/initdb.log" 2>&1 &&
       as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
           -o "-p $PGPORT -k $PGDIR/sock -c listen_addresses=''" start >"$TMP/pg_ctl.log" 2>&1; then
        PG_STARTED=1
        ok "pgsql: a private PostgreSQL server is up"
    else
        not_ok "pgsql: a private PostgreSQL server is up" "$(cat "$TMP/initdb.log" "$TMP/pg_ctl.log" "$PGDIR/server.log" 2>/dev/null | tail -20)"
    fi
    if [ "$PG_STARTED" = 1 ]; then
        PSQL="$PGBIN/psql -X -q -h $PGDIR/sock -p $PGPORT -U postgres"
        $PSQL -d postgres -c 'CREATE DATABASE mauth' >/dev/null
        sql() { $PSQL -d mauth -tA -c "$1"; }
        CONNINFO="host=$PGDIR/sock port=$PGPORT user=postgres dbname=mauth"
        # The suite builds command lines by word splitting, so it gets
        # libpq's URI form, which has no spaces.
        PGURI="postgresql:///mauth?host=$PGDIR/sock&port=$PGPORT&user=postgres"
        store_tests pgsql pgsql "$PGURI"
        expect 0 'acme' "pgsql: a key=value conninfo works too" \
            $ADMIN --driver pgsql --params "$CONNINFO" org list

        # A store that does not answer is a store error, and recovers.
        as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1
        expect 3 'cannot open the pgsql store' "pgsql: a stopped server is a store error (exit 3)" \
            $ADMIN --driver pgsql --params "$PGURI" org list
        as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
            -o "-p $PGPORT -k $PGDIR/sock -c listen_addresses=''" start >/dev/null 2>&1
        expect 0 'acme' "pgsql: back again once the server is" \
            $ADMIN --driver pgsql --params "$PGURI" org list
        expect 3 'store error' "pgsql: a database without the schema is a store error" \
            $ADMIN --driver pgsql --params "postgresql:///postgres?host=$PGDIR/sock&port=$PGPORT&user=postgres" org list
    fi
fi

echo "1..$tests"
if [ "$failures" -ne 0 ]; then
    echo "# FAILED $failures of $tests"
    exit 1
fi
echo "# all $tests passed"
exit 0
