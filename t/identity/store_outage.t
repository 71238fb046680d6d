# The store does not answer, or errors: fail closed with 503, the page on
# the mutual vhost, the fault on the standard vhost, and a log line naming
# the store's error.  Then recovery without restarting httpd.
#
# Runs against its own store and vhosts (identity_errors_*, the store in
# MAUTH_TEST_DBD_PARAMS_ERRORS), so breaking it never touches the other
# tests' connections.  Every step uses a fresh user and session, so no
# cached answer hides the store.
#
#   both stores   the store errors: on SQLite the database file's header is
#                 overwritten (every query fails "file is not a database")
#                 and restored; on PostgreSQL a table the query needs is
#                 renamed away and back.
#   PostgreSQL    the server is stopped mid-run (pg_ctl stop -m fast) and
#                 started again; the main identity vhosts' pooled
#                 connections sit idle through that restart and must work
#                 afterwards too; httpd's connections are killed
#                 server-side (pg_terminate_backend).
#   SQLite        a schema change (a table renamed away and back): see the
#                 last subtest.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MIME::Base64 ();
use MAuth::Store;

identity_plan(is_pgsql() ? 9 : 6, errors => 1);
use_store('errors');

my $M = 'identity_errors_mutual';
my $S = 'identity_errors_standard';
my $API = '/id/enforce/backend.cgi';
my $UNAVAILABLE = 'Mutual authentication is temporarily unavailable.';
my @xml = (content_type => 'text/xml; charset=UTF-8');

# A fresh enforced user with alice uploaded and its session token.
sub fresh {
    my $stem = shift;
    my ($user) = enforced_user($stem, certs => ['alice']);
    return ($user, new_session($user));
}

sub refused_everywhere {
    my ($tok) = @_;
    my $res = id_request(vhost => $M, path => $API, cert => 'alice',
                         headers => [Authorization => "Bearer $tok"]);
    assert_page($res, reason => $UNAVAILABLE, status => 503);
    $res = id_request(vhost => $M, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_page($res, reason => $UNAVAILABLE, status => 503);
    $res = id_request(vhost => $S, path => $API, body => soap_envelope(session => $tok), @xml,
                      headers => ['SOAPAction' => '"example"']);
    assert_fault($res, format => 'soap', status => 503);
    $res = id_request(vhost => $S, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_fault($res, format => 'json', status => 503);
}

# The log lines of the failures since $mark: there is one, and it carries
# the store's own error text.
sub log_names_error {
    my ($mark, $kind, $pattern) = @_;
    my $log = error_log_since($mark);
    my @lines = grep { /MAUTH00061|MAUTH00064/ && /identity store failed \Q$kind\E/ }
                split /\n/, $log;
    ok(@lines, "error_log: 'identity store failed $kind'") or diag $log;
    my @good = grep { /$pattern/ } @lines;
    is(scalar @good, scalar @lines, "every such line names the store's error ($pattern)")
        or diag join "\n", grep { !/$pattern/ } @lines;
}

# Requests until one passes (a pooled connection may need a request or two
# to come back); returns the attempt that passed, 0 if none did.
sub recovers {
    my ($tok, $tries) = @_;
    for my $n (1 .. $tries) {
        my $res = id_request(vhost => $M, path => $API, cert => 'alice',
                             headers => [Authorization => "Bearer $tok"]);
        return $n if $res->{status} == 200;
        diag "attempt $n: " . describe($res) if $n == $tries;
        Time::HiRes::sleep(0.5);
    }
    return 0;
}

# ---- making the store fail, per driver

my $db_header;
sub break_store {
    my $table = shift;
    if (is_pgsql()) {
        sql("ALTER TABLE $table RENAME TO ${table}_away");
        return;
    }
    my $file = $ENV{MAUTH_TEST_DBD_PARAMS_ERRORS};
    open my $fh, '+<', $file or die "$file: $!";
    binmode $fh;
    sysread $fh, $db_header, 100;
    sysseek $fh, 0, 0;
    # the magic string and the change counter: SQLite re-reads page 1
    syswrite $fh, 'this is no longer an SQLite db!!';
    close $fh;
}
sub mend_store {
    my $table = shift;
    if (is_pgsql()) {
        sql("ALTER TABLE ${table}_away RENAME TO $table");
        return;
    }
    my $file = $ENV{MAUTH_TEST_DBD_PARAMS_ERRORS};
    open my $fh, '+<', $file or die "$file: $!";
    binmode $fh;
    syswrite $fh, $db_header;
    close $fh;
}

my $store_error = is_pgsql() ? qr/does not exist/ : qr/not a database|malformed|corrupt/i;

subtest 'the store errors on the session lookup: 503 page on mutual, 503 fault on standard, log line' => sub {
    my ($user, $tok) = fresh('err-session');
    my $mark = error_log_mark();
    break_store('mauth_session');
    my $ok = eval { refused_everywhere($tok); 1 };
    my $err = $@;
    mend_store('mauth_session');
    die $err unless $ok;
    log_names_error($mark, 'looking up a session', $store_error);
};

subtest 'the store is back: recovers without restarting httpd' => sub {
    my ($user, $tok) = fresh('err-session-back');
    my $n = recovers($tok, 10);
    ok($n, "a fresh session passes on the mutual vhost again (attempt $n)");
    my $res = id_request(vhost => $S, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_fault($res, format => 'json');
};

subtest 'the store errors on the user-by-name lookup (r->user): 503' => sub {
    plan skip_all => 'mod_auth_basic/mod_authn_file/mod_authz_user not available'
        unless basic_auth_available();
    my ($user) = fresh('err-byname');
    write_htpasswd($user => 'pw');
    my $mark = error_log_mark();
    break_store('mauth_org');
    my $res = eval {
        id_request(vhost => $S, path => '/id/basic/backend.cgi',
                   headers => [Authorization => 'Basic '
                               . MIME::Base64::encode_base64("$user:pw", '')]);
    };
    mend_store('mauth_org');
    assert_fault($res, format => 'json', status => 503);
    log_names_error($mark, 'looking up a user', $store_error);
};

subtest 'the store errors on the certificate match only: 503 page' => sub {
    plan skip_all => 'needs a store where one query can fail alone (PostgreSQL); on SQLite '
                   . 'every query fails together' unless is_pgsql();
    my ($user, $tok) = fresh('err-cert');
    my $mark = error_log_mark();
    break_store('mauth_certificate');
    my $res = eval {
        id_request(vhost => $M, path => $API, cert => 'alice',
                   headers => [Authorization => "Bearer $tok"]);
    };
    mend_store('mauth_certificate');
    assert_page($res, reason => $UNAVAILABLE, status => 503);
    log_names_error($mark, 'matching a certificate', $store_error);
    my ($u2, $t2) = fresh('err-cert-back');
    ok(recovers($t2, 10), 'recovers');
};

subtest 'the other identity vhosts never noticed (their own store)' => sub {
    my $saved = $MAuth::Store::STORE;
    use_store('main');
    my ($user) = enforced_user('err-other-store', certs => ['alice']);
    my $res = id_request(vhost => 'identity_mutual', path => $API, cert => 'alice',
                         headers => [Authorization => 'Bearer ' . new_session($user)]);
    assert_passed($res, user => $user, matched => 'user');
    use_store($saved);
};

if (!is_pgsql()) {
    # An SQLite connection that saw the schema change keeps failing; the
    # module answers on a new connection and reopens the pooled one.
    subtest 'SQLite schema change while httpd runs (table renamed away and back)' => sub {
        my ($user, $tok) = fresh('err-schema');
        sql('ALTER TABLE mauth_session RENAME TO mauth_session_away');
        my $res = id_request(vhost => $M, path => $API, cert => 'alice',
                             headers => [Authorization => "Bearer $tok"]);
        sql('ALTER TABLE mauth_session_away RENAME TO mauth_session');
        assert_page($res, reason => $UNAVAILABLE, status => 503);
        my ($u2, $t2) = fresh('err-schema-back');
        # the first request after the change is answered (a new connection)
        is(recovers($t2, 4), 1, 'recovers at once, without restarting httpd');
    };
    exit 0;
}

# ------------------------------------------------------------ PostgreSQL down

subtest 'PostgreSQL stopped mid-run: 503 page on mutual, 503 fault on standard' => sub {
    my ($user, $tok) = fresh('pg-down');
    # warm the pooled connections, then take the server away under them
    my ($u0, $t0) = fresh('pg-warm');
    for (1 .. 3) {
        my $res = id_request(vhost => $M, path => $API, cert => 'alice',
                             headers => [Authorization => "Bearer $t0"]);
        is($res->{status}, 200, 'warm-up request passes') or diag describe($res);
    }
    my $mark = error_log_mark();
    ok(pg_stop(), 'pg_ctl stop');
    ok(!pg_running(), 'PostgreSQL is down');
    refused_everywhere($tok);
    # a second round: now every pooled connection is known dead
    refused_everywhere($tok);
    my ($u3, $t3) = fresh_offline('pg-unknown');
    my $res = id_request(vhost => $S, path => $API, headers => [Authorization => "Bearer $t3"]);
    assert_fault($res, format => 'json', status => 503);
    log_names_error($mark, 'looking up a session',
                    qr/server closed the connection|terminating connection|connection to server .* failed/);
    like(error_log_since($mark), qr/Can't connect to pgsql: .*(No such file|Connection refused)/,
         'the error log names the cause: PostgreSQL cannot be reached');
};

subtest 'PostgreSQL started again: recovers without restarting httpd' => sub {
    ok(pg_start(), 'pg_ctl start');
    ok(pg_running(), 'PostgreSQL is up');
    my ($user, $tok) = fresh('pg-back');
    my $n = recovers($tok, 20);
    ok($n, "a fresh session passes on the mutual vhost again (attempt $n)");
    my $res = id_request(vhost => $S, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_fault($res, format => 'json');
    # every process and pooled connection recovers, not just one
    my $good = 0;
    for (1 .. 10) {
        $res = id_request(vhost => $M, path => $API, cert => 'alice',
                          headers => [Authorization => 'Bearer ' . new_session($user)]);
        $good++ if $res->{status} == 200;
    }
    is($good, 10, 'ten more fresh sessions on new connections all pass') or diag describe($res);
};

subtest 'httpd\'s connections killed server-side (pg_terminate_backend): fails closed or reconnects, then recovers' => sub {
    my ($u0, $t0) = fresh('pg-kill-warm');
    id_request(vhost => $M, path => $API, cert => 'alice', headers => [Authorization => "Bearer $t0"]);
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        . "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    my ($user, $tok) = fresh('pg-kill');
    my $res = id_request(vhost => $M, path => $API, cert => 'alice',
                         headers => [Authorization => "Bearer $tok"]);
    ok($res->{status} == 200 || $res->{status} == 503,
       "first request after the kill: 200 (reconnected) or 503 (fail closed), got $res->{status}")
        or diag describe($res);
    is(id_ran($res->{id}) ? 1 : 0, $res->{status} == 200 ? 1 : 0, 'back end ran only if it passed');
    my $n = recovers($tok, 20);
    ok($n, "recovers (attempt $n)");
    my $good = 0;
    for (1 .. 10) {
        $res = id_request(vhost => $M, path => $API, cert => 'alice',
                          headers => [Authorization => 'Bearer ' . new_session($user)]);
        $good++ if $res->{status} == 200;
    }
    is($good, 10, 'ten more fresh sessions on new connections all pass') or diag describe($res);
};

subtest 'a pool that sat idle through the restart (the main identity vhosts\' store) recovers too' => sub {
    use_store('main');
    my ($user) = enforced_user('pg-main-back', certs => ['alice']);
    my $tok = new_session($user);
    my $ok = 0;
    for (1 .. 20) {
        my $res = id_request(vhost => 'identity_mutual', path => $API, cert => 'alice',
                             headers => [Authorization => "Bearer $tok"]);
        if ($res->{status} == 200) { $ok = $_; last }
        Time::HiRes::sleep(0.5);
    }
    ok($ok, "the main store's vhost passes again (attempt $ok)");
};

# A user name and token that cannot be in the store (the store is down).
sub fresh_offline { return ('nobody', 'no-such-token-' . uname(shift)) }
