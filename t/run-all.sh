#!/bin/sh
# t/run-all.sh: mod_mauth's whole Apache::Test suite, twice:
#
#   1. every test (t/run-tests.sh) with the identity store on SQLite;
#   2. the identity tests (t/identity, t/attack/cred_*, t/attack/redirect_*)
#      again on a real PostgreSQL server
#      this script starts itself (initdb in a temporary directory, a Unix
#      socket only, a private port) and always stops.
#
#   sh t/run-all.sh                 both
#   MAUTH_TEST_STORES=sqlite3 sh t/run-all.sh      only the first
#   MAUTH_TEST_STORES=pgsql sh t/run-all.sh        only the second
#
# `make -f Makefile.apxs test` calls this.  Needs .libs/mod_mauth.so and
# build/mauth-admin (make -f Makefile.apxs all).  Exits non-zero when any
# run fails; both runs happen even when the first fails.
set -eu

T=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$T")
cd "$TOP"

# As root, httpd's children run as nobody and must reach the tree.  From a
# clone they cannot reach (under /root, say) the suite runs on a copy.
if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- test -x "$T" 2>/dev/null; then
    copy=$(mktemp -d /tmp/mauth-tests.XXXXXX)
    chmod 755 "$copy"
    cp -a "$TOP/." "$copy/"
    echo "run-all: nobody cannot reach $TOP; running on a copy in $copy"
    set +e
    sh "$copy/t/run-all.sh" "$@"
    rc=$?
    rm -rf "$copy"
    exit $rc
fi

APXS=${APXS:-apxs}
ADMIN="$TOP/build/mauth-admin"
STORES=${MAUTH_TEST_STORES:-sqlite3 pgsql}
PGBIN=${MAUTH_TEST_PGBIN:-}
if [ -z "$PGBIN" ]; then
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        PGBIN=$(pg_config --bindir)
    else
        PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    fi
fi

for f in "$TOP/.libs/mod_mauth.so" "$ADMIN"; do
    if [ ! -e "$f" ]; then
        echo "run-all: $f is missing: make -f Makefile.apxs all" >&2
        exit 1
    fi
done

# Modules the inherited config of t/run-tests.sh may lack (mod_dbd, basic
# auth): t/conf/identity.conf.in loads them from here when needed.
MAUTH_TEST_LIBEXECDIR=$("$APXS" -q LIBEXECDIR)
export MAUTH_TEST_LIBEXECDIR

# Everything this script creates lives under build/ (gitignored).
WORK="$TOP/build/test-store"
# a tmpfs a killed run left mounted (see ERRFS below)
if [ "$(id -u)" = 0 ] && grep -q " $WORK/sqlite-errors " /proc/mounts 2>/dev/null; then
    umount "$WORK/sqlite-errors" || true
fi
rm -rf "$WORK"
mkdir -p "$WORK"
chmod 0755 "$TOP/build" "$WORK"

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ERRFS=
unmount_errfs() {
    if [ -n "$ERRFS" ]; then
        umount "$ERRFS" 2>/dev/null || true
        ERRFS=
    fi
}

PGTMP=
stop_pg() {
    if [ -n "$PGTMP" ] && [ -d "$PGTMP" ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
        rm -rf "$PGTMP"
        PGTMP=
    fi
}
trap 'stop_pg; unmount_errfs' EXIT
trap 'stop_pg; unmount_errfs; exit 130' INT TERM

failed=""

# The identity back end's run log and the basic-auth password file the
# identity tests write (t/lib/MAuth/Store.pm recreates both).
fresh_identity_logs() {
    rm -f "$T/logs/identity-runs.log" "$T/logs/identity.htpasswd"
}

# ------------------------------------------------------------ 1. SQLite
case " $STORES " in *" sqlite3 "*)
    echo "run-all: == the whole suite, identity store on SQLite"
    # httpd's children (nobody when we are root) open the file and write
    # SQLite's journal next to it.
    mkdir -p "$WORK/sqlite" "$WORK/sqlite-errors"
    # mauth.db for the tests; mauth-errors.db for t/identity/store_outage.t
    # and store_recovery.t, which break their store on purpose, in a
    # directory of its own: as root, a small tmpfs, on which
    # store_recovery.t fills the disk (it skips that scenario otherwise).
    if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m,mode=1777 mauth-test-store \
            "$WORK/sqlite-errors" 2>/dev/null; then
        ERRFS="$WORK/sqlite-errors"
    fi
    chmod 1777 "$WORK/sqlite" "$WORK/sqlite-errors"
    DB="$WORK/sqlite/mauth.db"
    DB_ERRORS="$WORK/sqlite-errors/mauth-errors.db"
    for db in "$DB" "$DB_ERRORS"; do
        "$ADMIN" --driver sqlite3 --params "$db" init >/dev/null
        chmod 0666 "$db"
    done
    fresh_identity_logs
    if MAUTH_TEST_DBD_DRIVER=sqlite3 MAUTH_TEST_DBD_PARAMS="$DB" \
       MAUTH_TEST_DBD_PARAMS_ERRORS="$DB_ERRORS" MAUTH_TEST_ERRORS_TMPFS="$ERRFS" \
       sh "$T/run-tests.sh" "$@"; then
        echo "run-all: SQLite run passed"
    else
        echo "run-all: SQLite run FAILED" >&2
        failed="$failed sqlite3"
    fi
    unmount_errfs
    ;;
esac

# ------------------------------------------------------------ 2. PostgreSQL
case " $STORES " in *" pgsql "*)
    echo "run-all: == the identity tests, identity store on PostgreSQL"
    if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
        echo "run-all: PostgreSQL server binaries (initdb) not found; install" \
             "the postgresql package or set MAUTH_TEST_PGBIN" >&2
        failed="$failed pgsql"
    else
        PGTMP=$(mktemp -d /tmp/mauth-pg.XXXXXX)
        chmod 0755 "$PGTMP"
        mkdir -p "$PGTMP/data" "$PGTMP/sock"
        if [ "$(id -u)" = 0 ]; then
            chown -R postgres:postgres "$PGTMP"
        fi
        # A port of our own; the socket lives in our own directory, so only
        # its number has to differ from a system server's.
        PGPORT=${MAUTH_TEST_PGPORT:-$((20000 + $$ % 20000))}
        PGSOCK="$PGTMP/sock"
        PGLOG="$PGTMP/server.log"
        if ! as_postgres "$PGBIN/initdb" -D "$PGTMP/data" -A trust -U postgres \
                >"$WORK/initdb.log" 2>&1; then
            echo "run-all: initdb failed:" >&2
            cat "$WORK/initdb.log" >&2
            failed="$failed pgsql"
        elif ! as_postgres "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGLOG" -w -t 60 \
                -o "-p $PGPORT -k $PGSOCK -c listen_addresses=''" start \
                >"$WORK/pg_ctl.log" 2>&1; then
            echo "run-all: PostgreSQL did not start:" >&2
            cat "$WORK/pg_ctl.log" "$PGLOG" >&2 2>/dev/null || true
            failed="$failed pgsql"
        else
            PARAMS="host=$PGSOCK port=$PGPORT user=postgres dbname=mauth"
            PARAMS_ERRORS="host=$PGSOCK port=$PGPORT user=postgres dbname=mauth_errors"
            for db in mauth mauth_errors; do
                as_postgres "$PGBIN/createdb" -h "$PGSOCK" -p "$PGPORT" -U postgres "$db"
                "$ADMIN" --driver pgsql \
                    --params "host=$PGSOCK port=$PGPORT user=postgres dbname=$db" \
                    init >/dev/null
            done
            # the store-facing tests: identity, and the attacks on credentials
            [ $# -gt 0 ] || set -- t/identity t/attack/cred_*.t t/attack/redirect_*.t
            fresh_identity_logs
            if MAUTH_TEST_DBD_DRIVER=pgsql MAUTH_TEST_DBD_PARAMS="$PARAMS" \
               MAUTH_TEST_DBD_PARAMS_ERRORS="$PARAMS_ERRORS" \
               MAUTH_TEST_PGDATA="$PGTMP/data" MAUTH_TEST_PGPORT="$PGPORT" \
               MAUTH_TEST_PGSOCK="$PGSOCK" MAUTH_TEST_PGLOG="$PGLOG" \
               MAUTH_TEST_PGBIN="$PGBIN" \
               sh "$T/run-tests.sh" "$@"; then
                echo "run-all: PostgreSQL run passed"
            else
                echo "run-all: PostgreSQL run FAILED (server log: kept in" \
                     "$WORK/pg-server.log)" >&2
                cp "$PGLOG" "$WORK/pg-server.log" 2>/dev/null || true
                failed="$failed pgsql"
            fi
        fi
        stop_pg
    fi
    ;;
esac

if [ -n "$failed" ]; then
    echo "run-all: FAILED:$failed" >&2
    exit 1
fi
echo "run-all: all runs passed"
