#!/bin/sh
# t/bench/store.sh [BUILD]: the identity store at a million rows.  Not a test.
#
#   make -f Makefile.apxs bench-store
#   BENCH_ROWS=100000 make -f Makefile.apxs bench-store     a quick run
#
# Generates BENCH_ROWS users, certificates and sessions (store_bench gen),
# loads them with `mauth-admin import` into SQLite and into a private
# PostgreSQL server (initdb in a temporary directory, a Unix socket only,
# stopped at the end whatever happens), prints each runtime query's plan,
# then the p50/p99 of each lookup the module makes, uncached and through the
# answer cache, with PASS/MISS against the targets of issue 10.
#
# BENCH_SAMPLES (default 20000) lookups of each kind; BENCH_STORES (default
# "sqlite3 pgsql"); BENCH_KEEP=1 keeps the directory (databases included).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
ADMIN=$BUILD/mauth-admin
BENCH=$BUILD/bench/store_bench
ROWS=${BENCH_ROWS:-1000000}
SAMPLES=${BENCH_SAMPLES:-20000}
STORES=${BENCH_STORES:-sqlite3 pgsql}
PGPORT=${BENCH_PGPORT:-54339}
PGBIN=${PGBIN:-}
if [ -z "$PGBIN" ]; then
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi

for f in "$ADMIN" "$BENCH"; do
    [ -x "$f" ] || { echo "store.sh: $f is not built (make -f Makefile.apxs bench-store)" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mauth-store-bench.XXXXXX")
chmod 0755 "$TMP"     # the postgres user reaches its data directory through it
PGDIR=$TMP/pg
PG_STARTED=0
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
    if [ "$PG_STARTED" = 1 ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status=0
echo "# generating $ROWS users, certificates and sessions"
"$BENCH" gen "$TMP" "$ROWS" || exit 2

# load DRIVER PARAMS: the schema, 100 organisations, then the three files.
load() {
    D=$1 P=$2
    admin() { "$ADMIN" --driver "$D" --params "$P" "$@"; }
    admin init >/dev/null || return 1
    i=0
    while [ $i -lt 100 ]; do
        n=$(printf 'org%02d' $i)
        admin org add "$n" >/dev/null && admin org enable "$n" >/dev/null || return 1
        i=$((i + 1))
    done
    for kind in users certs sessions; do
        printf '%-8s ' "$kind:"
        admin import $kind "$TMP/$kind.tsv" || return 1
    done
}

# bench DRIVER PARAMS
bench() {
    echo
    echo "## $1: import (target >= 10000 rows/s on SQLite)"
    if ! load "$1" "$2"; then
        echo "MISS: the import failed"; status=1; return
    fi
    if [ "$1" = pgsql ]; then
        as_postgres "$PGBIN/psql" -X -q -h "$PGDIR/sock" -p "$PGPORT" -U postgres -d mauth \
            -c 'VACUUM ANALYZE' >/dev/null
    else
        sqlite3 "$2" 'ANALYZE'
    fi
    echo "## $1: plans of the runtime queries (mauth_store_queries[])"
    "$BENCH" explain "$1" "$2"
    echo "## $1: lookups"
    "$BENCH" run "$1" "$2" "$ROWS" "$SAMPLES" || status=1
}

for store in $STORES; do
    case $store in
    sqlite3)
        bench sqlite3 "$TMP/store.db"
        ;;
    pgsql)
        if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
            echo "# SKIPPED pgsql: no PostgreSQL server binaries (set PGBIN)"; continue
        fi
        mkdir -p "$PGDIR/sock"
        [ "$(id -u)" = 0 ] && chown -R postgres "$PGDIR"
        if as_postgres "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >"$TMP/initdb.log" 2>&1 &&
           as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
               -o "-p $PGPORT -k $PGDIR/sock -c listen_addresses='' -c fsync=off -c synchronous_commit=off" \
               start >"$TMP/pg_ctl.log" 2>&1; then
            PG_STARTED=1
            as_postgres "$PGBIN/psql" -X -q -h "$PGDIR/sock" -p "$PGPORT" -U postgres -d postgres \
                -c 'CREATE DATABASE mauth' >/dev/null
            bench pgsql "host=$PGDIR/sock port=$PGPORT user=postgres dbname=mauth"
        else
            echo "MISS: no private PostgreSQL server"; cat "$TMP/initdb.log" "$TMP/pg_ctl.log" | tail -5
            status=1
        fi
        ;;
    esac
done
exit $status
