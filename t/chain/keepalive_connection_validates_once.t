# Several requests on one keep-alive connection validate the chain once:
# the module logs one "validated chain" line per full validation.
# Uses its own vhost (mauth_keepalive, verdict cache timeout 1 s) so no other
# test's verdicts are cached there.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 2;

sub three_requests {
    my ($cert, $path) = @_;
    sleep 2;                     # let any earlier verdict for this chain expire
    my $mark = error_log_mark();
    my ($sock, $err) = open_tls(vhost => 'mauth_keepalive', cert => $cert);
    ok($sock, 'TLS connection') or do { diag($err); return };
    my @res;
    for my $i (1 .. 3) {
        my $id = "keepalive-$cert-$$-" . time . "-$i";
        send_request($sock, path => $path, id => $id, close => $i == 3);
        my $r = read_response($sock);
        $r->{id} = $id;
        $r->{env} = parse_env($r->{body});
        push @res, $r;
    }
    my $port = $sock->sockport;
    $sock->close(SSL_no_shutdown => 1);
    my $log = error_log_since($mark);
    my @validated = grep { /validated chain/ } split /\n/, $log;
    return (\@res, \@validated, $log, $port);
}

subtest 'three requests with a good chain on one connection validate once' => sub {
    my ($res, $validated, $log) = three_requests('carol', '/required/env.cgi');
    return unless $res;
    for my $i (0 .. 2) {
        is($res->[$i]->{status}, 200, "request " . ($i + 1) . ": 200");
        is($res->[$i]->{env}->{MAUTH_CLIENT_VERIFY}, 'SUCCESS', "request " . ($i + 1) . ": SUCCESS");
        ok(backend_ran($res->[$i]->{id}), "request " . ($i + 1) . ": back end ran");
    }
    is(scalar @$validated, 1, 'exactly one "validated chain" log line')
        or diag("error_log during the test:\n$log");
};

subtest 'three requests with an expired chain on one connection validate once' => sub {
    my ($res, $validated, $log) = three_requests('expired', '/free/env.cgi');
    return unless $res;
    for my $i (0 .. 2) {
        is($res->[$i]->{status}, 403, "request " . ($i + 1) . ": 403");
        is($res->[$i]->{body}, expected_page('Client certificate has expired.'),
           "request " . ($i + 1) . ": expired page");
        ok(!backend_ran($res->[$i]->{id}), "request " . ($i + 1) . ": back end did not run");
    }
    is(scalar @$validated, 1, 'exactly one "validated chain" log line')
        or diag("error_log during the test:\n$log");
};
