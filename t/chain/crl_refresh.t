# A CRL replaced while httpd runs is taken within MAuthCARevocationRefresh
# (1 second on the vhost mauth_refresh, t/conf/refresh.conf.in), with no
# restart and no request failed because of the swap; a replacement that is
# garbage, badly signed or older than the CRL in use is refused, logged
# with the file and the reason, and the CRL in use stays; a stale CRL
# refuses; a TLS session and a cached verdict from before the refresh do
# not pass after it.
#
# The vhost reads t/logs/refresh-crls.pem, made from crls-later-before.pem
# by t/TEST.PL at every run.  A client loop with good-ec (through int1)
# runs from before the first replacement to before the stale one and must
# see 200 every time.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes ();
use POSIX ();
use Digest::SHA ();
use Apache::Test ();
use MAuth::Test;
use MAuth::Attack;

plan tests => 10;

my $t = Apache::Test::vars('serverroot');
my $vhost = 'mauth_refresh';
my $port = vhost_port($vhost);
my $live = "$t/logs/refresh-crls.pem";
my $interval = 1;
my $revoked = 'Client certificate has been revoked.';
my $unavailable = 'Revocation status of the client certificate is unavailable.';
my $sess = "$t/logs/refresh-session-$$.pem";
my $loop_out = "$t/logs/refresh-loop-$$.txt";
my $loop_stop = "$t/logs/refresh-loop-$$.stop";
my $loop_pid;

END {
    local $?;
    if ($loop_pid) {
        kill 'TERM', $loop_pid;
        waitpid $loop_pid, 0;
    }
    unlink $sess, $loop_out, $loop_stop;
    # the next run of the suite starts from crls-later-before.pem again
    # (t/TEST.PL); this vhost is used by no other test
}

sub get {
    my ($cert, %a) = @_;
    return mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => $cert, %a);
}

sub resumed_get {
    my (%a) = @_;
    return s_client_get(port => $port, sni => 'localhost', host => "localhost:$port",
                        cert => 'revoked-later', path => '/required/env.cgi',
                        proto => 'tls1_3', %a);
}

# Waits up to $interval + 3 s for $cert to get $status; returns the seconds
# it took, or undef.
sub wait_for {
    my ($cert, $status) = @_;
    my $start = Time::HiRes::time();
    while (Time::HiRes::time() - $start < $interval + 3) {
        my $res = get($cert);
        return Time::HiRes::time() - $start if ($res->{status} // 0) == $status;
        Time::HiRes::sleep(0.1);
    }
    return undef;
}

# Replaces the CRL file, waits two intervals, and checks it was refused.
sub refused_replacement {
    my ($what, $write, $why) = @_;
    my $mark = error_log_mark();
    $write->();
    sleep 2 * $interval + 1;
    my $log = error_log_since($mark);
    like($log, qr/MAUTH00090: CRL refresh refused: (?:MAuthCARevocationFile: )?\Q$live\E.*$why/,
         "$what: refused, the log names the file and why")
        or diag($log);
}

subtest 'before any replacement, good-ec and revoked-later pass' => sub {
    # one child process (chain.conf.in): these also verify int1's CRL with
    # int1's key, which a replacement of it must then verify with
    assert_passes(get('good-ec'), cert => 'good-ec');
    assert_passes(get('revoked-later'), cert => 'revoked-later');
    my $first = resumed_get(sess_out => $sess);
    is($first->{session}, 'New', 'a TLS session is made with revoked-later');
    assert_passes($first, cert => 'revoked-later');
};

# The client loop: good-ec, one connection per request, until told to stop.
unlink $loop_stop;
$loop_pid = fork();
die "fork: $!" unless defined $loop_pid;
if ($loop_pid == 0) {
    open my $out, '>', $loop_out or POSIX::_exit(1);
    $out->autoflush(1);
    until (-e $loop_stop) {
        my $res = get('good-ec');
        printf $out "%d %s\n", $res->{status} // 0, $res->{env}->{MAUTH_CLIENT_VERIFY} // '-';
    }
    close $out;
    POSIX::_exit(0);
}

subtest 'a replacement that is not a CRL is refused and the CRL in use stays' => sub {
    refused_replacement('garbage', sub {
        open my $fh, '>', "$live.tmp" or die $!;
        print $fh "-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n";
        close $fh;
        chmod 0644, "$live.tmp";
        rename "$live.tmp", $live or die $!;
    }, qr/./);
    assert_passes(get('revoked-later'), cert => 'revoked-later');
};

subtest 'a replacement not signed by its issuer is refused and the CRL in use stays' => sub {
    refused_replacement('bad signature', sub { swap_file(pki('crls-badsig.pem'), $live) },
                        qr/does not verify with its issuer's key/);
    assert_passes(get('revoked-later'), cert => 'revoked-later');
};

subtest 'a CRL revoking revoked-later is taken within the interval, no restart' => sub {
    my $pid = MAuth::Attack::read_pid();
    swap_file(pki('crls-later-after.pem'), $live);
    my $took = wait_for('revoked-later', 403);
    ok(defined $took, 'revoked-later is refused within the interval')
        and note(sprintf 'revoked %.1f s after the file was replaced', $took);
    assert_refused(get('revoked-later'), reason => $revoked, token => 'revoked');
    is(MAuth::Attack::read_pid(), $pid, 'the same httpd, not restarted');
};

# The CRL's one shared copy (DefaultRuntimeDir/mauth-crl, named by the
# file's path and content): the cache files of $live, and for each httpd
# process the files of $live it maps, "(deleted)" when replaced.
sub shared_copies {
    my $prefix = substr(Digest::SHA::sha256_hex($live), 0, 16) . '-';
    my @files = glob("$t/logs/mauth-crl/$prefix*.crlx");
    my $parent = MAuth::Attack::read_pid();
    my %mapped;
    for my $pid ($parent, MAuth::Attack::children_of($parent)) {
        open my $maps, '<', "/proc/$pid/maps" or next;
        while (<$maps>) {
            $mapped{$pid}{$1} = 1 if m{\s(\S*/mauth-crl/\Q$prefix\E\S*\.crlx(?: \(deleted\))?)$};
        }
    }
    return (\@files, \%mapped);
}

subtest 'the server holds one copy of the CRL, shared by every process' => sub {
    # children refresh within the interval, the parent at its monitor tick
    # (every 10 s or so) and writes the shared copy, which a child that read
    # the new CRL alone takes at its next look; the copy of the replaced CRL
    # goes from all
    my ($files, $mapped, $deadline) = (undef, undef, time + 20);
    while (1) {
        ($files, $mapped) = shared_copies();
        my %names = map { %$_ } values %$mapped;
        last if (@$files == 1 && keys %names == 1 && (keys %names)[0] eq $files->[0]
                 && keys %$mapped >= 2)
                || time > $deadline;
        sleep 1;
    }
    is(scalar @$files, 1, 'one cache file for the CRL file') or diag(explain($files));
    my %names = map { %$_ } values %$mapped;
    is_deeply([sort keys %names], $files,
              'every process (' . scalar(keys %$mapped) . ') maps that one, none the replaced')
        or diag(explain($mapped));
    cmp_ok(scalar(keys %$mapped), '>=', 2, 'the parent and the child map it')
        or diag(explain($mapped), ' parent ', MAuth::Attack::read_pid());
};

subtest 'a verdict cached before the refresh does not pass after it' => sub {
    # revoked-later's chain was judged SUCCESS and cached before; a fresh
    # connection after the refresh is judged under the new trust
    assert_not_passed(get('revoked-later'), reason => $revoked);
};

subtest 'a TLS session made before the refresh does not pass after it' => sub {
    my $res = resumed_get(sess_in => $sess);
    note('handshake: ' . ($res->{session} || 'failed'));
    assert_not_passed($res, reason => $revoked);
};

subtest 'an older CRL (the one replaced) is refused and the newer stays' => sub {
    refused_replacement('older', sub { swap_file(pki('crls-later-before.pem'), $live) },
                        qr/older than the one in use/);
    assert_refused(get('revoked-later'), reason => $revoked, token => 'revoked');
};

subtest 'the client loop saw no failure through every replacement' => sub {
    open my $fh, '>', $loop_stop or die $!;
    close $fh;
    waitpid $loop_pid, 0;
    $loop_pid = undef;
    open my $in, '<', $loop_out or die "$loop_out: $!";
    my @lines = <$in>;
    close $in;
    my @bad = grep { !/^200 SUCCESS$/ } @lines;
    cmp_ok(scalar @lines, '>', 10, 'the loop made requests the whole time (' . @lines . ')');
    is(scalar @bad, 0, 'every one of them passed') or diag(join '', @bad[0 .. ($#bad < 4 ? $#bad : 4)]);
};

subtest 'a newer CRL already past its nextUpdate is taken, and refuses' => sub {
    swap_file(pki('crls-later-stale.pem'), $live);
    my $took = wait_for('good-ec', 403);
    ok(defined $took, 'good-ec is refused within the interval');
    assert_refused(get('good-ec'), reason => $unavailable, token => 'revocation-unavailable');
};
