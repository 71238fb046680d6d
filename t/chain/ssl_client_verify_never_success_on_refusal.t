# mod_ssl's SSL_CLIENT_VERIFY is read by other modules and Require expr
# rules: for a chain mod_mauth refuses it must never say SUCCESS.  The
# vhosts send it back in X-Test-SSL-Client-Verify on every response.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

my @refused = (
    [mauth_main => 'expired'], [mauth_main => 'notyet'], [mauth_main => 'revoked'],
    [mauth_main => 'under-revoked'], [mauth_main => 'impostor'], [mauth_main => 'selfsigned'],
    [mauth_main => 'serveronly'], [mauth_main => 'wrong-root'],
    [mauth_depth2 => 'deep'], [mauth_crl_expired => 'good-ec'],
    [mauth_crl_badsig => 'good-ec'], [mauth_crl_missing => 'good-ec'],
    [mauth_crl_leaf => 'revoked'],
);

plan tests => @refused + 2;

for my $c (@refused) {
    my ($vhost, $cert) = @$c;
    subtest "refused $cert on $vhost: SSL_CLIENT_VERIFY is not SUCCESS" => sub {
        my $res = mtls_request(vhost => $vhost, path => '/free/env.cgi', cert => $cert);
        is($res->{status}, 403, 'HTTP status 403') or diag($res->{error} // $res->{body});
        my $v = $res->{headers}->{'x-test-ssl-client-verify'};
        ok(defined $v, 'mod_ssl reported SSL_CLIENT_VERIFY');
        unlike($v // '', qr/^SUCCESS/, "SSL_CLIENT_VERIFY=" . ($v // 'undef') . " is not SUCCESS");
        like($v // '', qr/^(FAILED|NONE|GENEROUS)/, 'it is FAILED, NONE or GENEROUS');
        ok(!backend_ran($res->{id}), 'back end did not run');
    };
}

subtest 'refused chain without intermediate: SSL_CLIENT_VERIFY is not SUCCESS' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/free/env.cgi', cert => 'good-ec', chain => 0);
    is($res->{status}, 403, 'HTTP status 403');
    unlike($res->{headers}->{'x-test-ssl-client-verify'} // '', qr/^SUCCESS/, 'not SUCCESS');
};

subtest 'accepted chain: SSL_CLIENT_VERIFY is SUCCESS' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/free/env.cgi', cert => 'good-ec');
    is($res->{status}, 200, 'HTTP status 200');
    is($res->{headers}->{'x-test-ssl-client-verify'}, 'SUCCESS', 'header says SUCCESS');
    is($res->{env}->{SSL_CLIENT_VERIFY}, 'SUCCESS', 'back end sees SUCCESS');
};
