# The store breaks and comes back while httpd runs.  While it is broken no
# request passes (503, the page on the mutual vhost, the fault on the
# standard one) and the log line carries the driver's own error; once it is
# whole again, requests are answered within one MAuthStoreCacheTimeout (1 s
# here), without restarting httpd.  Each scenario prints its recovery time:
# from the moment the store is whole again to the first answered request.
#
#   SQLite      the database file rewritten in place (truncated, then
#               written, as `cp backup.db mauth.db` does); replaced by a
#               rename (`mv new.db mauth.db`), after which the old
#               connections would read the old file; locked by a long
#               transaction (BEGIN EXCLUSIVE); a full disk (the store's
#               tmpfs, see t/run-all.sh): reads go on, a restore cut short
#               by the full disk fails closed, the restore done again once
#               there is room recovers.
#   PostgreSQL  the server restarted (stopped, then started); httpd's
#               connections killed with pg_terminate_backend.
#
# Runs against the failure tests' own store and vhosts (identity_errors_*),
# like store_outage.t.  Every step uses sessions never looked up before,
# so no cached answer hides the store.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Basename ();
use File::Copy ();
use IPC::Open2 ();
use POSIX ();
use Time::HiRes ();
use MAuth::Store;

identity_plan(is_pgsql() ? 2 : 4, errors => 1);
use_store('errors');

my $M = 'identity_errors_mutual';
my $S = 'identity_errors_standard';
my $API = '/id/enforce/backend.cgi';
my $UNAVAILABLE = 'Mutual authentication is temporarily unavailable.';
# MAuthStoreCacheTimeout in t/conf/identity.conf.in
my $CACHE_TIMEOUT = 1;
# what a poll may take beyond that: the requests' own time
my $SLACK = 2;

my %recovery;    # scenario -> seconds

sub mutual { id_request(vhost => $M, path => $API, cert => 'alice',
                        headers => [Authorization => "Bearer $_[0]"]) }
sub standard { id_request(vhost => $S, path => $API,
                          headers => [Authorization => "Bearer $_[0]"]) }

# A fresh enforced user with alice uploaded and $n sessions.
sub user_with_sessions {
    my ($stem, $n) = @_;
    my ($user) = enforced_user($stem, certs => ['alice']);
    return ($user, map { new_session($user) } 1 .. $n);
}

# Requests on both vhosts, all while the store is broken: every one is
# refused 503 and none reaches the back end.
sub refused_while_broken {
    my ($tok, $rounds) = @_;
    assert_page(mutual($tok), reason => $UNAVAILABLE, status => 503);
    assert_fault(standard($tok), format => 'json', status => 503);
    my @passed;
    for my $n (2 .. $rounds) {
        for my $res (mutual($tok), standard($tok)) {
            push @passed, "round $n: " . describe($res) if $res->{status} != 503;
        }
    }
    is(scalar @passed, 0, "every request of $rounds rounds on both vhosts is 503")
        or diag join "\n", @passed;
}

# The store's failure lines since $mark carry the driver's own message,
# and none is SQLite's "not an error".
sub log_names_error {
    my ($mark, $pattern) = @_;
    my $log = error_log_since($mark);
    my @lines = grep { /MAUTH0006[14]/ } split /\n/, $log;
    ok(@lines, 'error_log: the store failures are logged (MAUTH00061/MAUTH00064)')
        or diag $log;
    my @bad = grep { !/$pattern/ } @lines;
    is(scalar @bad, 0, "every such line carries the driver's error ($pattern)")
        or diag join "\n", @bad;
    unlike($log, qr/not an error/, 'no line says "not an error"');
}

# Polls until $want->(response) holds; returns (seconds since $since, the
# response), or (undef, the last response) when one cache timeout (and the
# requests' own time) went by first.
sub answered_within {
    my ($since, $request, $want) = @_;
    my $res;
    while (1) {
        $res = $request->();
        return (Time::HiRes::time() - $since, $res) if $want->($res);
        last if Time::HiRes::time() > $since + $CACHE_TIMEOUT + $SLACK;
        Time::HiRes::sleep(0.05);
    }
    return (undef, $res);
}

# The user's session passes on the mutual vhost within one cache timeout
# of $since; records the time.
sub recovers {
    my ($scenario, $since, $user, $tok) = @_;
    my ($took, $res) = answered_within($since, sub { mutual($tok) },
        sub { $_[0]->{status} == 200 && ($_[0]->{env}->{MAUTH_USER} // '') eq $user });
    ok(defined $took, "$scenario: answered again within one MAuthStoreCacheTimeout "
                    . "of the store being whole, without restarting httpd")
        or diag describe($res);
    assert_passed($res, user => $user, matched => 'user');
    if (defined $took) {
        $recovery{$scenario} = $took;
        diag sprintf 'recovery time: %-40s %.3f s', $scenario, $took;
    }
    return $took;
}

# Fresh sessions on new TLS connections, spread over httpd's processes
# and their pooled connections: all pass.
sub every_later_request_passes {
    my ($user, @tokens) = @_;
    my @failed;
    for my $tok (@tokens) {
        my $res = mutual($tok);
        push @failed, describe($res)
            if $res->{status} != 200 || ($res->{env}->{MAUTH_USER} // '') ne $user;
    }
    is(scalar @failed, 0, scalar(@tokens) . ' later requests all pass, whichever process '
                        . 'and pooled connection serve them') or diag join "\n", @failed;
}

sub warm {
    my $tok = shift;
    for (1 .. 4) {
        my $res = mutual($tok);
        is($res->{status}, 200, 'warm-up request passes') or diag describe($res);
    }
}

# Writes bytes into an existing file the way cp does: truncate, then write.
sub rewrite {
    my ($file, $bytes) = @_;
    open my $fh, '+<:raw', $file or die "$file: $!";
    truncate $fh, 0 or die "truncate $file: $!";
    my $n = syswrite $fh, $bytes;
    close $fh;
    return $n // 0;
}

sub admin_on {
    my ($params, @args) = @_;
    local $ENV{MAUTH_TEST_DBD_PARAMS_ERRORS} = $params;
    return admin_ok(@args);
}

if (!is_pgsql()) {
    my $db = $ENV{MAUTH_TEST_DBD_PARAMS_ERRORS};
    my $SQLITE_BROKEN = qr/no such table|not a database|schema has changed|malformed/;

    subtest 'SQLite: the database file rewritten in place (cp backup.db mauth.db)' => sub {
        my ($user, $warm, $broken, $back, @more) = user_with_sessions('rewrite', 11);
        warm($warm);
        my $backup = MAuth::Test::file_bytes($db);
        my $mark = error_log_mark();
        rewrite($db, '');
        refused_while_broken($broken, 3);
        is(rewrite($db, $backup), length $backup, 'the backup is written back whole');
        my $whole = Time::HiRes::time();
        recovers('SQLite rewritten in place', $whole, $user, $back);
        every_later_request_passes($user, @more);
        log_names_error($mark, $SQLITE_BROKEN);
        # which processes' connections saw the truncated file is up to
        # the MPM: each such connection is reopened on its next use
        note(scalar(() = error_log_since($mark) =~ /MAUTH00081: .*pooled one was reopened/g)
             . ' pooled connections reopened');
    };

    subtest 'SQLite: the database file replaced by a rename (mv new.db mauth.db)' => sub {
        my ($user, $warm, $gone) = user_with_sessions('rename', 2);
        my $arrives = 'rename-' . uname('token');
        my @later = map { 'rename-' . uname('later') } 1 .. 6;
        warm($warm);
        assert_passed(mutual($gone), user => $user, matched => 'user');
        my $new = "$db.new";
        File::Copy::copy($db, $new) or die "copy: $!";
        admin_on($new, 'session', 'end', $gone);
        admin_on($new, 'session', 'create', $user, '--token', $_) for $arrives, @later;
        chmod 0666, $new;
        rename $new, $db or die "rename: $!";
        my $whole = Time::HiRes::time();
        # only the new file knows this session: the old one's connections
        # would not find it (and let the application answer, no user named)
        recovers('SQLite replaced by rename', $whole, $user, $arrives);
        every_later_request_passes($user, @later);
        my ($took, $res) = answered_within($whole, sub { mutual($gone) },
                                           sub { !exists $_[0]->{env}->{MAUTH_USER} });
        ok(defined $took, 'a session the new file ended is no longer accepted within '
                        . 'one MAuthStoreCacheTimeout') or diag describe($res);
        assert_declined($res);
    };

    subtest 'SQLite: locked by a long transaction (BEGIN EXCLUSIVE)' => sub {
        my ($user, $warm, $broken, $back, @more) = user_with_sessions('locked', 7);
        warm($warm);
        my $mark = error_log_mark();
        my $pid = IPC::Open2::open2(my $out, my $in, 'sqlite3', '-batch', $db);
        print $in "BEGIN EXCLUSIVE;\nSELECT COUNT(*) FROM mauth_schema_version;\n";
        $in->flush;
        # locked once another connection cannot read
        my $locked = 0;
        for (1 .. 100) {
            my $probe = `sqlite3 -batch '$db' 'SELECT 1 FROM mauth_schema_version' 2>&1`;
            if ($probe =~ /locked/) { $locked = 1; last }
            Time::HiRes::sleep(0.05);
        }
        ok($locked, 'another connection finds the database locked');
        my $t0 = Time::HiRes::time();
        my $res = mutual($broken);
        my $waited = Time::HiRes::time() - $t0;
        assert_page($res, reason => $UNAVAILABLE, status => 503);
        note(sprintf 'a lookup waited %.2f s for the lock, then failed closed', $waited);
        refused_while_broken($broken, 1);
        print $in "COMMIT;\n";
        close $in;
        waitpid $pid, 0;
        my $whole = Time::HiRes::time();
        recovers('SQLite locked, then released', $whole, $user, $back);
        every_later_request_passes($user, @more);
        log_names_error($mark, qr/database is locked/);
    };

    subtest 'SQLite: a full disk; a restore cut short by it; the restore done again' => sub {
        my $fs = $ENV{MAUTH_TEST_ERRORS_TMPFS} // '';
        plan skip_all => 'the store is not on a tmpfs of its own (t/run-all.sh mounts one '
                       . 'when run as root)' if $fs eq '' || index($db, "$fs/") != 0;
        my ($user, $warm, $reads, $broken, $back, @more) = user_with_sessions('full', 8);
        warm($warm);
        my $backup = MAuth::Test::file_bytes($db);
        my $filler = File::Basename::dirname($db) . '/filler';
        my $fill = sub {
            open my $fh, '>>:raw', $filler or die "$filler: $!";
            my $chunk = "\0" x 4096;
            while (1) {
                my $n = syswrite $fh, $chunk;
                last unless $n;
            }
            close $fh;
        };
        my $ok = eval {
            $fill->();
            open my $fh, '>>:raw', $filler or die;
            ok(!syswrite($fh, "\0" x 4096) && $! == POSIX::ENOSPC, 'the disk is full');
            close $fh;
            my ($rc, undef, $err) = admin('session', 'create', $user);
            isnt($rc, 0, 'a write to the store fails on the full disk');
            note($err);
            # reads need no room: the store still answers
            assert_passed(mutual($reads), user => $user, matched => 'user');

            # the restore: truncated, the room taken meanwhile, cut short
            my $mark = error_log_mark();
            open my $db_fh, '+<:raw', $db or die "$db: $!";
            truncate $db_fh, 0 or die;
            $fill->();
            my $written = syswrite($db_fh, $backup) // 0;
            close $db_fh;
            ok($written < length $backup, "the restore is cut short ($written of "
                                        . length($backup) . ' bytes)');
            refused_while_broken($broken, 3);
            log_names_error($mark, $SQLITE_BROKEN);

            # room again, the restore done again
            unlink $filler;
            is(rewrite($db, $backup), length $backup, 'with room, the restore is whole');
            my $whole = Time::HiRes::time();
            recovers('SQLite restore cut short by a full disk, redone', $whole, $user, $back);
            every_later_request_passes($user, @more);
            1;
        };
        my $err = $@;
        unlink $filler;
        die $err unless $ok;
    };
}
else {
    subtest 'PostgreSQL restarted (stopped, then started)' => sub {
        my ($user, $warm, $broken, $back) = user_with_sessions('pg-restart', 3);
        warm($warm);
        my $mark = error_log_mark();
        ok(pg_stop(), 'pg_ctl stop');
        refused_while_broken($broken, 3);
        log_names_error($mark, qr/server closed the connection|terminating connection|connection to server .* failed/);
        ok(pg_start(), 'pg_ctl start');
        my $whole = Time::HiRes::time();
        recovers('PostgreSQL restarted', $whole, $user, $back);
        every_later_request_passes($user, map { new_session($user) } 1 .. 8);
    };

    subtest 'PostgreSQL: httpd\'s connections killed (pg_terminate_backend)' => sub {
        my ($user, $warm, $after, @more) = user_with_sessions('pg-kill', 8);
        warm($warm);
        my $mark = error_log_mark();
        my $killed = sql_value("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             . "WHERE datname = current_database() AND pid <> pg_backend_pid()");
        ok($killed > 0, "httpd's connections killed ($killed)");
        my $whole = Time::HiRes::time();
        # the database never went away: the first request is answered
        my $res = mutual($after);
        assert_passed($res, user => $user, matched => 'user');
        $recovery{'PostgreSQL connections killed'} = Time::HiRes::time() - $whole;
        diag sprintf 'recovery time: %-40s %.3f s', 'PostgreSQL connections killed',
                     $recovery{'PostgreSQL connections killed'};
        every_later_request_passes($user, @more);
        like(error_log_since($mark),
             qr/MAUTH00081: .*terminating connection.*pooled one was reopened/,
             'the log names the driver\'s error and the reopened connection');
    };
}

diag sprintf('recovery times (%s): %s', store_driver(),
             join ', ', map { sprintf '%s %.3f s', $_, $recovery{$_} } sort keys %recovery);
