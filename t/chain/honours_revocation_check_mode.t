# MAuthCARevocationCheck none: revoked certificates pass.
# MAuthCARevocationCheck leaf: only the leaf's CRL counts, so a leaf under a
# revoked intermediate passes while a revoked leaf is refused.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 6;

subtest 'revocation none: revoked leaf passes' => sub {
    my $res = mtls_request(vhost => 'mauth_crl_none', path => '/required/env.cgi', cert => 'revoked');
    assert_accepted($res, cert => 'revoked');
};

subtest 'revocation none: leaf under revoked intermediate passes' => sub {
    my $res = mtls_request(vhost => 'mauth_crl_none', path => '/required/env.cgi', cert => 'under-revoked');
    assert_accepted($res, cert => 'under-revoked');
};

subtest 'revocation none: expired leaf is still refused' => sub {
    my $res = mtls_request(vhost => 'mauth_crl_none', path => '/free/env.cgi', cert => 'expired');
    assert_refused($res, reason => 'Client certificate has expired.', token => 'expired');
};

subtest 'revocation leaf: leaf under revoked intermediate passes' => sub {
    my $res = mtls_request(vhost => 'mauth_crl_leaf', path => '/required/env.cgi', cert => 'under-revoked');
    assert_accepted($res, cert => 'under-revoked');
};

subtest 'revocation leaf: revoked leaf is refused' => sub {
    my $res = mtls_request(vhost => 'mauth_crl_leaf', path => '/free/env.cgi', cert => 'revoked');
    assert_refused($res, reason => 'Client certificate has been revoked.', token => 'revoked');
};

subtest 'revocation leaf: good leaves pass' => sub {
    for my $c (qw(good-ec deep)) {
        my $res = mtls_request(vhost => 'mauth_crl_leaf', path => '/required/env.cgi', cert => $c);
        assert_accepted($res, cert => $c);
    }
};
