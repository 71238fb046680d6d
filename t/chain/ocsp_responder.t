# OCSP against a real responder this test starts (openssl ocsp -index ...
# -port), and against a stub replaying prepared responses: good, revoked,
# unknown, responder down (closed: the page; open: passes with a warning),
# wrong signer, stale response, nonce mismatch, CRL and OCSP together, and
# the cache shared by httpd's children (one request to the responder for
# many handshakes).  Vhosts: t/conf/ocsp.conf.in.  Each case uses a
# certificate of its own: answers are cached per certificate.
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

my $PORT = $ENV{MAUTH_TEST_OCSP_PORT}
    or plan skip_all => 'MAUTH_TEST_OCSP_PORT is not set (run through t/run-tests.sh)';
plan tests => 11;

my $UNAVAILABLE = 'Revocation status of the client certificate is unavailable.';
my $REVOKED = 'Client certificate has been revoked.';
my $LOGS = Apache::Test::config()->{vars}->{t_logs};
my $OPENSSL = $ENV{OPENSSL} || 'openssl';

my ($pid, $log);

sub stop_responder {
    return unless $pid;
    kill 'TERM', $pid;
    waitpid $pid, 0;
    $pid = undef;
}

# openssl ocsp serving int1's index, signed by signer (ocsp-int1 by default).
sub start_responder {
    my %a = @_;
    stop_responder();
    my $signer = $a{signer} || 'ocsp-int1';
    $log = "$LOGS/ocsp-responder.$$.log";
    unlink $log;
    $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $log;
        no warnings 'exec';
        exec 'timeout', '300', $OPENSSL, 'ocsp', '-index', pki($a{index} || 'int1-index-unknown.txt'),
            '-port', $PORT, '-rsigner', pki("$signer.pem"), '-rkey', pki("$signer.key"),
            '-CA', pki('int1.pem'), '-nmin', '10', '-ignore_err';
        POSIX::_exit(127);
    }
    # not by connecting: openssl ocsp serves one connection at a time and
    # would wait on the probe's
    for (1 .. 100) {
        last if -s $log && do { open my $fh, '<', $log; grep { /waiting for/ } <$fh> };
        Time::HiRes::sleep(0.05);
    }
    Time::HiRes::sleep(0.1);
}

# A stub answering every request with the DER in file.
sub start_stub {
    my $file = shift;
    stop_responder();
    open my $fh, '<:raw', $file or die "$file: $!";
    my $der = do { local $/; <$fh> };
    my $listen = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                       LocalPort => $PORT, ReuseAddr => 1)
        or die "stub cannot listen on $PORT: $!";
    $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        alarm 300;
        while (my $c = $listen->accept) {
            my $head = '';
            while ($head !~ /\r\n\r\n/) {
                my $n = sysread $c, $head, 4096, length $head;
                last unless $n;
            }
            my ($len) = $head =~ /Content-Length:\s*(\d+)/i;
            my $body = length($head) - index($head, "\r\n\r\n") - 4;
            while (defined $len && $body < $len) {
                my $n = sysread $c, my $buf, $len - $body;
                last unless $n;
                $body += $n;
            }
            print $c "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
                   . "Content-Length: " . length($der) . "\r\n\r\n" . $der;
            close $c;
        }
        POSIX::_exit(0);
    }
    close $listen;
}

sub requests_seen {
    open my $fh, '<', $log or return 0;
    return scalar grep { /Received request/ } <$fh>;
}

# A response of ocsp-int1 about cert, for a request of its own (its own nonce).
sub prepared_response {
    my $cert = shift;
    my $req = "$LOGS/ocsp-$cert.$$.req";
    my $resp = "$LOGS/ocsp-$cert.$$.resp";
    system($OPENSSL, 'ocsp', '-issuer', pki('int1.pem'), '-cert', pki("$cert.pem"),
           '-reqout', $req) == 0 or die "cannot make a request for $cert";
    system("$OPENSSL ocsp -index '" . pki('int1-index.txt') . "' -rsigner '"
           . pki('ocsp-int1.pem') . "' -rkey '" . pki('ocsp-int1.key') . "' -CA '"
           . pki('int1.pem') . "' -reqin '$req' -respout '$resp' -nmin 10 >/dev/null 2>&1") == 0
        or die "cannot make a response for $cert";
    return $resp;
}

END { stop_responder() }

start_responder();

subtest 'a good certificate passes, the responder asked once' => sub {
    my $res = mtls_request(vhost => 'mauth_ocsp', path => '/free/env.cgi', cert => 'alice');
    assert_accepted($res, cert => 'alice');
    is(requests_seen(), 1, 'one request reached the responder');
};

subtest 'many handshakes with the same certificate ask the responder no more' => sub {
    for (1 .. 5) {
        my $res = mtls_request(vhost => 'mauth_ocsp', path => '/free/env.cgi', cert => 'alice');
        is($res->{status}, 200, "handshake $_ passes");
    }
    # the cache is shared by every child: another vhost asking OCSP, too
    my $res = mtls_request(vhost => 'mauth_ocsp_open', path => '/free/env.cgi', cert => 'alice');
    is($res->{status}, 200, 'another vhost passes from the same cache');
    is(requests_seen(), 1, 'still one request at the responder');
};

subtest 'a revoked certificate gets the revoked page' => sub {
    my $res = mtls_request(vhost => 'mauth_ocsp', path => '/free/env.cgi', cert => 'revoked');
    assert_refused($res, reason => $REVOKED, token => 'revoked');
};

subtest 'a certificate the responder does not know is refused as unavailable' => sub {
    my $res = mtls_request(vhost => 'mauth_ocsp', path => '/free/env.cgi', cert => 'good-rsa');
    assert_refused($res, reason => $UNAVAILABLE, token => 'revocation-unavailable');
};

subtest 'revoked by OCSP refuses where the CRL still says good' => sub {
    my $res = mtls_request(vhost => 'mauth_ocsp_crl', path => '/free/env.cgi',
                           cert => 'revoked-later');
    assert_refused($res, reason => $REVOKED, token => 'revoked');
};

subtest 'revoked by the CRL refuses, whatever OCSP would say' => sub {
    start_responder();
    my $res = mtls_request(vhost => 'mauth_ocsp_crl', path => '/free/env.cgi', cert => 'revoked');
    assert_refused($res, reason => $REVOKED, token => 'revoked');
    is(requests_seen(), 0, 'the CRL refused first: OCSP was not asked');
};

stop_responder();

subtest 'responder down, failing closed: the page' => sub {
    my $res = mtls_request(vhost => 'mauth_ocsp', path => '/free/env.cgi', cert => 'bob');
    assert_refused($res, reason => $UNAVAILABLE, token => 'revocation-unavailable');
};

subtest 'responder down, failing open: passes with a warning' => sub {
    my $mark = error_log_mark();
    my $res = mtls_request(vhost => 'mauth_ocsp_open', path => '/free/env.cgi', cert => 'bob');
    assert_accepted($res, cert => 'bob');
    like(error_log_since($mark), qr/MAUTH00103: .*accepted under MAuthOCSPFailure open/,
         'the warning is logged');
};

subtest 'a response signed by a responder the issuer did not delegate to is refused' => sub {
    start_responder(signer => 'ocsp-wrong');
    my $mark = error_log_mark();
    my $res = mtls_request(vhost => 'mauth_ocsp', path => '/free/env.cgi', cert => 'carol');
    assert_refused($res, reason => $UNAVAILABLE, token => 'revocation-unavailable');
    like(error_log_since($mark), qr/signed neither by the issuer/, 'the log says why');
    stop_responder();
};

subtest 'a response to another request (its nonce) is refused' => sub {
    start_stub(prepared_response('alice2'));
    my $mark = error_log_mark();
    my $res = mtls_request(vhost => 'mauth_ocsp', path => '/free/env.cgi', cert => 'alice2');
    assert_refused($res, reason => $UNAVAILABLE, token => 'revocation-unavailable');
    like(error_log_since($mark), qr/nonce/, 'the log names the nonce');
    stop_responder();
};

subtest 'a response older than MAuthOCSPResponseMaxAge is refused' => sub {
    my $resp = prepared_response('large');
    sleep 3;
    start_stub($resp);
    my $mark = error_log_mark();
    my $res = mtls_request(vhost => 'mauth_ocsp_stale', path => '/free/env.cgi', cert => 'large');
    assert_refused($res, reason => $UNAVAILABLE, token => 'revocation-unavailable');
    like(error_log_since($mark), qr/older than the allowed age/, 'the log says it is stale');
    stop_responder();
};
