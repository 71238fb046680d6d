#!/bin/sh
# t/layering.sh [MAUTH_ADMIN]: the two layers stay apart.
#
#   - no file of the core (core/) or of the admin tool (admin/) includes an
#     httpd header: the core is APR and OpenSSL only;
#   - the glue is exactly the mod_mauth*.c files at the top, and nothing
#     else includes mod_mauth.h;
#   - mauth-admin links no glue: none of the glue's functions is in it;
#   - every field of the server and directory configurations has its
#     creation, merge and start-up default (mod_auth_openidc's rule).
# Exits non-zero, naming the file, when a rule breaks.
set -eu
cd "$(dirname "$0")/.."
ADMIN=${1:-build/mauth-admin}
failed=0
fail() { echo "layering: $*"; failed=$((failed + 1)); }

httpd_headers='httpd\.h|http_[a-z_]*\.h|ap_[a-z_]*\.h|util_[a-z_]*\.h|mod_[a-z_]*\.h|mpm_[a-z_]*\.h|scoreboard\.h|apreq[a-z_]*\.h'
for f in core/*.c core/*.h admin/*.c admin/*.h; do
    if grep -En "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($httpd_headers)[>\"]" "$f"; then
        fail "$f includes an httpd header (the core and the tool are httpd-free)"
    fi
done
for f in $(grep -l 'mod_mauth\.h' $(git ls-files '*.c' '*.h') 2>/dev/null); do
    case "$f" in
        mod_mauth*.c|mod_mauth.h) ;;
        *) fail "$f includes mod_mauth.h: only glue (mod_mauth*.c) may" ;;
    esac
done
if [ -x "$ADMIN" ]; then
    glue_symbols=$(nm -g --defined-only "$ADMIN" | awk '{print $3}' \
                   | grep -E '^(mauth_(ssl|cmd|answer|chain_facts|identity|dbd|same_header|strip)_|ap_)' || true)
    [ -z "$glue_symbols" ] || fail "$ADMIN links glue: $glue_symbols"
else
    fail "$ADMIN is not built"
fi

# Every field of a configuration struct is set by its create function,
# merged, and given its default once at start-up.
for conf in server dir; do
    fields=$(awk -v s="mauth_${conf}_conf_t;" '
        /^typedef struct \{/ {inside = 1; n = 0; next}
        inside && /^\}/ { if ($2 == s) { for (i = 1; i <= n; i++) print f[i] } inside = 0; next }
        inside && /set at start-up, not configured/ { inside = 2 }
        inside == 1 && /^    [a-z_]+[a-z_ *]* \**[a-z_]+;/ {
            line = $0; sub(/;.*/, "", line); sub(/.*[ *]/, "", line); f[++n] = line }
    ' mod_mauth.h)
    [ -n "$fields" ] || fail "no fields found for mauth_${conf}_conf_t in mod_mauth.h"
    for field in $fields; do
        grep -q "MERGE($field\b\|->$field = add->$field\|$field = .*MERGE" mod_mauth*.c \
            || fail "mauth_${conf}_conf_t.$field has no merge rule"
        grep -q "DEFAULT([a-z]*, $field," mod_mauth*.c \
            || fail "mauth_${conf}_conf_t.$field has no start-up default"
    done
done

if [ "$failed" -ne 0 ]; then
    echo "layering: $failed rule(s) broken"
    exit 1
fi
echo "layering: core and admin tool httpd-free, mauth-admin without glue, every setting merged and defaulted"
