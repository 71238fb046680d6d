# MAuthVerifyDepth has mod_ssl's meaning: leaf -> int1 -> root is depth 2,
# leaf -> int2 -> int1 -> root needs 3.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 2;

subtest 'chain of depth 2 is accepted with MAuthVerifyDepth 2' => sub {
    my $res = mtls_request(vhost => 'mauth_depth2', path => '/required/env.cgi', cert => 'good-ec');
    assert_accepted($res, cert => 'good-ec');
};

subtest 'chain longer than MAuthVerifyDepth is refused as too long' => sub {
    my $res = mtls_request(vhost => 'mauth_depth2', path => '/free/env.cgi', cert => 'deep');
    assert_refused($res, reason => 'Client certificate chain is too long.',
                   token => 'chain-too-long');
};
