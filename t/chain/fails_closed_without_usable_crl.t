# Chain CRL checking fails closed: a CRL past its nextUpdate, a CRL with a
# bad signature and a missing CRL all refuse an otherwise good chain.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 4;

my $UNAVAILABLE = 'Revocation status of the client certificate is unavailable.';

subtest 'CRL past nextUpdate refuses a good chain' => sub {
    my $res = mtls_request(vhost => 'mauth_crl_expired', path => '/free/env.cgi', cert => 'good-ec');
    assert_refused($res, reason => $UNAVAILABLE, token => 'revocation-unavailable');
};

subtest 'badly signed CRL refuses a good chain' => sub {
    my $res = mtls_request(vhost => 'mauth_crl_badsig', path => '/free/env.cgi', cert => 'good-ec');
    assert_refused($res, reason => $UNAVAILABLE, token => 'revocation-unavailable');
};

subtest 'missing CRL for the issuer refuses a good chain' => sub {
    my $res = mtls_request(vhost => 'mauth_crl_missing', path => '/free/env.cgi', cert => 'good-ec');
    assert_refused($res, reason => $UNAVAILABLE, token => 'revocation-unavailable');
};

subtest 'the same good chain is still accepted where the CRLs are fine' => sub {
    # Guards against a verdict cache shared across vhosts.
    my $res = mtls_request(vhost => 'mauth_main', path => '/free/env.cgi', cert => 'good-ec');
    assert_accepted($res, cert => 'good-ec');
};
