# Review probe: MAuthRequireCertificate is applied by the chain layer, a
# header_parser hook, which httpd runs for the main request only (never
# for subrequests).  A location that requires a certificate (without
# MAuthEnforce) is reached without one through an SSI include or a
# DirectoryIndex naming it (mod_dir's fast redirect).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(3);
my $RV = 'review_mutual';

subtest 'control: /rv/reqcert/app.cgi without a certificate: 403 page' => sub {
    my $res = ac_request(vhost => $RV, path => '/rv/reqcert/app.cgi');
    is($res->{status}, 403, 'refused') or diag(MAuth::Store::describe($res));
};
subtest 'SSI include of /rv/reqcert/app.cgi without a certificate: not served' => sub {
    my $res = ac_request(vhost => $RV, path => '/rv/x/review/inc.shtml');
    diag("status $res->{status}");
    unlike($res->{body}, qr/BACKEND=ran/, 'the certificate-only script did not run inside the page')
        or diag($res->{body});
};
subtest 'DirectoryIndex /rv/reqcert/app.cgi (fast redirect) without a certificate: not served' => sub {
    my $res = ac_request(vhost => $RV, path => '/rv/dirx/');
    is($res->{status}, 403, 'refused') or diag(MAuth::Store::describe($res));
};
