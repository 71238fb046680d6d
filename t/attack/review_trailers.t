# Review probe: with MergeTrailers on, a chunked request's trailer fields
# join r->headers_in once the body has been read, which is after the
# module read the Authorization header (and, for a proxied application,
# before mod_proxy_http copies the request headers: it prefetches a small
# body first).  An enforced user's Bearer token sent as a trailer reaches
# the back end unjudged.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(2);
my $RV = 'review_mutual';
my $u = attack_users('rvtrail');
my $etok = $u->{etok};

sub trailer_request {
    my (%a) = @_;
    my ($sock, $err) = MAuth::Test::open_tls(vhost => $RV);
    return { status => 0, body => $err, headers => {} } unless $sock;
    my $id = MAuth::Store::new_id();
    my $port = $sock->peerport;
    my $body = "hello=world";
    my $req = "POST $a{path} HTTP/1.1\r\nHost: localhost:$port\r\nX-Test-Id: $id\r\n"
            . "Connection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            . "Transfer-Encoding: chunked\r\nTrailer: Authorization\r\n\r\n"
            . sprintf("%x\r\n%s\r\n", length $body, $body)
            . "0\r\n$a{trailer}\r\n\r\n";
    $sock->syswrite($req);
    my $res = MAuth::Test::read_response($sock);
    $sock->close(SSL_no_shutdown => 1);
    $res->{id} = $id;
    return $res;
}

subtest 'control: Bearer enforced token as a header to the proxied app: refused' => sub {
    my ($sock) = MAuth::Test::open_tls(vhost => $RV);
    my $res = ac_request(vhost => $RV, path => '/rv/px-enforce/app.cgi',
                         headers => [Authorization => "Bearer $etok"]);
    ok($res->{status} >= 400, "refused (status $res->{status})");
};
subtest 'Bearer enforced token as a chunked trailer to the proxied app: refused' => sub {
    my $res = trailer_request(path => '/rv/px-enforce/app.cgi',
                              trailer => "Authorization: Bearer $etok");
    my $echo = $res->{headers}{'x-echo-authorization'} // '';
    diag("status $res->{status}; back end received Authorization: '$echo'");
    ok($res->{status} >= 400, "refused (status $res->{status})");
};
