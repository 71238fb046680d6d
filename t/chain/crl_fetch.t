# CRLs fetched from their distribution points (MAuthCARevocationFetch on the
# vhost mauth_fetch, t/conf/fetch.conf.in): from a small HTTP server this
# test starts (Perl, forked, on ${MAUTH_TEST_FETCH_PORT}), each URL one case.
# A newer CRL of int1 (sent chunked) is checked, written next to the
# configured CRLs and taken by the live refresh: revoked-later is refused
# within fetch + refresh time, good-ec still passes.  A 404, a trickle past
# the timeout (httpd answering meanwhile), a body over the size bound, a
# CRL of int1's name signed by another key, an older CRL and a port with no
# server at all each fail with one error line naming the URL and why, and
# write nothing: the CRL in use stays.
#
# httpd started before this test: its first rounds found no server (every
# URL failed, nothing written).  A graceful restart starts a fresh schedule:
# its first round comes about a second after the new children start.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();
use Apache::Test ();
use MAuth::Test;
use MAuth::Attack;

my $PORT = $ENV{MAUTH_TEST_FETCH_PORT}
    or plan skip_all => 'MAUTH_TEST_FETCH_PORT is not set (run through t/run-tests.sh)';
plan tests => 7;

my ($vhost, $url) = ('mauth_fetch', "http://127.0.0.1:$PORT");
my $vport = vhost_port($vhost);
my $logs = Apache::Test::vars('serverroot') . '/logs';
# where the vhost fetches to (t/TEST.PL makes it), and what the server did
my ($dir, $events) = ("$logs/fetch-crls", "$logs/crl-server.$$.log");
my $revoked = 'Client certificate has been revoked.';
my $server_pid;

# The server and its events go with the test, however it ends.
END {
    local $?;
    kill 'TERM', $server_pid and waitpid $server_pid, 0 if $server_pid;
    unlink $events;
}

sub note_event {
    open my $fh, '>>', $events or return;
    $fh->autoflush(1);
    printf $fh "%s\n", shift;
    close $fh;
}

sub head {
    my ($status, @fields) = @_;
    return join("\r\n", "HTTP/1.1 $status", @fields, 'Connection: close', '', '');
}

# The trickle: the head, then a byte every 0.2 s for 6 s; meanwhile one
# request to the vhost, whose answer and time go to the events file.
sub serve_slow {
    my $c = shift;
    print $c head('200 OK', 'Content-Length: 100000');
    my $t0 = Time::HiRes::time();
    my $res = mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => 'good-ec');
    note_event(sprintf 'during-slow status=%d took=%.2f', $res->{status} // 0,
               Time::HiRes::time() - $t0);
    while (Time::HiRes::time() - $t0 < 6) {
        print $c 'x' or last;
        Time::HiRes::sleep(0.2);
    }
}

sub serve {
    my ($c, $path) = @_;
    my %crl = ('/badsig.crl' => 'int1-badsig.crl', '/older.crl' => 'int1-expired.crl');
    if ($path eq '/int1-later.crl') {
        my $body = file_bytes(pki('int1-later.crl'));
        print $c head('200 OK', 'Content-Type: application/pkix-crl',
                      'Transfer-Encoding: chunked');
        printf $c "%x\r\n%s\r\n", length $1, $1 while $body =~ /(.{1,100})/gs;
        print $c "0\r\n\r\n";
    }
    elsif ($crl{$path}) {
        my $body = file_bytes(pki($crl{$path}));
        print $c head('200 OK', 'Content-Length: ' . length $body), $body;
    }
    elsif ($path eq '/slow.crl') {
        serve_slow($c);
    }
    elsif ($path eq '/huge.crl') {
        # no length: read until the end, which never comes before the bound
        print $c head('200 OK');
        for (1 .. 32) {
            print $c 'x' x 65536 or last;
        }
    }
    else {
        print $c head('404 Not Found', 'Content-Length: 9'), "not found";
    }
}

sub start_server {
    my $listen = IO::Socket::INET->new(Listen => 10, LocalAddr => '127.0.0.1',
                                       LocalPort => $PORT, ReuseAddr => 1)
        or die "the CRL server cannot listen on $PORT: $!";
    $server_pid = fork;
    die "fork: $!" unless defined $server_pid;
    return if $server_pid;
    $SIG{CHLD} = 'IGNORE';
    $SIG{PIPE} = 'IGNORE';
    alarm 300;
    while (1) {
        my $c = $listen->accept or next;
        my $kid = fork;
        next if !defined $kid || $kid;
        $c->autoflush(1);
        my $req = '';
        while ($req !~ /\r\n\r\n/) {
            sysread($c, $req, 4096, length $req) or POSIX::_exit(0);
        }
        my ($path) = $req =~ m{^GET (\S+) HTTP/1\.1\r\n};
        note_event('start ' . ($path // '?'));
        serve($c, $path // '');
        close $c;
        POSIX::_exit(0);
    }
}

sub events { -e $events ? file_bytes($events) : '' }

# The log since mark, once it matches every pattern (at most limit s).
sub log_matching {
    my ($mark, $limit, @patterns) = @_;
    my $start = Time::HiRes::time();
    my $log = '';
    while (Time::HiRes::time() - $start < $limit) {
        $log = error_log_since($mark);
        return $log unless grep { $log !~ $_ } @patterns;
        Time::HiRes::sleep(0.2);
    }
    return $log;
}

subtest 'before the CRL server runs, fetches fail and the CRL in use stays' => sub {
    my $log = log_matching(0, 5, qr/MAUTH00117/);
    like($log, qr/MAUTH00117: CRL fetch from \Q$url\E\/int1-later\.crl failed: cannot connect to 127\.0\.0\.1:$PORT; the CRL in use stays/,
         'a failed fetch is one error line naming the URL and why');
    assert_accepted(mtls_request(vhost => $vhost, path => '/required/env.cgi',
                                 cert => 'revoked-later'), cert => 'revoked-later');
};

start_server();
my $mark = error_log_mark();
ok(MAuth::Attack::graceful_restart(port => $vport), 'graceful restart: a fresh schedule');

my %why = (
    'missing.crl' => qr/the server answered 'HTTP\/1\.1 404 Not Found'/,
    'slow.crl'    => qr/no whole answer within 2 s/,
    'huge.crl'    => qr/the answer is larger than 1048576 bytes/,
    'badsig.crl'  => qr/the CRL of .*Intermediate CA 1.* does not verify with that CA certificate's key/,
    'older.crl'   => qr/the CRL of .*Intermediate CA 1.* is older than the one in use/,
);
my @failed = ((map { qr/MAUTH00117: CRL fetch from \Q$url\E\/\Q$_\E failed: (?:$why{$_})[^;]*; the CRL in use stays/ } sort keys %why),
              qr{MAUTH00117: CRL fetch from http://127\.0\.0\.1:1/down\.crl failed: cannot connect to 127\.0\.0\.1:1; the CRL in use stays});
my $log = log_matching($mark, 20, qr/MAUTH00118/, @failed);

subtest 'a newer CRL is checked, written next to the configured ones and taken' => sub {
    like($log, qr{MAUTH00118: CRL of .*Intermediate CA 1.* fetched from \Q$url\E/int1-later\.crl into \Q$dir\E/127\.0\.0\.1_${PORT}_int1-later-[0-9a-f]{8}\.crl},
         'an info line names the URL and the file');
    my $start = Time::HiRes::time();
    my $res;
    while (Time::HiRes::time() - $start < 5) {
        $res = mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => 'revoked-later');
        last if $res->{status} == 403;
        Time::HiRes::sleep(0.2);
    }
    note(sprintf 'revoked-later refused %.1f s after the fetches', Time::HiRes::time() - $start);
    assert_refused($res, reason => $revoked, token => 'revoked');
    assert_accepted(mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => 'good-ec'),
                    cert => 'good-ec');
    like(error_log_since($mark), qr/MAUTH00092: CRLs refreshed from \Q$dir\E/,
         'the live refresh took the directory');
};

subtest 'each failed fetch is one error line naming the URL and why' => sub {
    like($log, $_, "logged: $_") for @failed;
};

subtest 'httpd answers while a fetch trickles past its timeout' => sub {
    my ($status, $took) = events() =~ /during-slow status=(\d+) took=([\d.]+)/;
    is($status, 200, 'a request during the slow fetch passed');
    cmp_ok($took // 99, '<', 1.5, "and was answered at once (${\($took // '-')} s)");
};

subtest 'nothing but the good CRL was written' => sub {
    opendir my $dh, $dir or die "$dir: $!";
    my @files = sort grep { $_ ne '.' && $_ ne '..' } readdir $dh;
    closedir $dh;
    is(scalar @files, 3, 'three files: ' . join(' ', @files));
    like($files[0] // '', qr/^127\.0\.0\.1_${PORT}_int1-later-[0-9a-f]{8}\.crl$/,
         'the fetched CRL, named after its URL');
    is_deeply([@files[1, 2]], ['int1.crl', 'root.crl'], 'beside the CRLs first put there');
    ok(!grep({ /^\./ } @files), 'no temporary file left');
    # the child and the parent (at its monitor tick) each refresh once
    my %per_process;
    $per_process{$_}++
        for error_log_since($mark) =~ /\[pid (\d+)[^\]]*\] MAUTH00092: CRLs refreshed from \Q$dir\E/g;
    ok(%per_process && !grep({ $_ != 1 } values %per_process),
       'one refresh in each process: the failed fetches changed nothing it looks at')
        or diag(explain(\%per_process));
};

subtest 'the CRL in use stays through the failed fetches' => sub {
    # int1-later stays in use: the older and the badly signed CRL did not replace it
    assert_refused(mtls_request(vhost => $vhost, path => '/required/env.cgi',
                                cert => 'revoked-later'), reason => $revoked, token => 'revoked');
    assert_accepted(mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => 'good-ec'),
                    cert => 'good-ec');
};
