# Valid chains from the trusted root are accepted; the back end gets the
# verdict and the leaf's facts in MAUTH_* (matching mod_ssl's SSL_CLIENT_*).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 7;

my $int1 = 'mauth Test Intermediate CA 1';

subtest 'good EC leaf with its intermediate is accepted' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/free/env.cgi', cert => 'good-ec');
    assert_accepted($res, cert => 'good-ec', subject_cn => 'good-ec.client.test',
                    issuer_cn => $int1);
};

subtest 'good EC leaf is accepted on a MAuthRequireCertificate path' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi', cert => 'good-ec');
    assert_accepted($res, cert => 'good-ec');
};

subtest 'good RSA leaf is accepted' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi', cert => 'good-rsa');
    assert_accepted($res, cert => 'good-rsa', subject_cn => 'good-rsa.client.test',
                    issuer_cn => $int1);
};

subtest 'leaf under two intermediates is accepted at the default depth' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi', cert => 'deep');
    assert_accepted($res, cert => 'deep', issuer_cn => 'mauth Test Intermediate CA 2');
};

subtest 'other int1 leaves (alice, alice2, bob) are accepted' => sub {
    for my $c (qw(alice alice2 bob)) {
        my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi', cert => $c);
        assert_accepted($res, cert => $c, subject_cn => "$c.client.test");
    }
};

subtest 'good EC leaf is accepted over TLS 1.2' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi', cert => 'good-ec',
                           ssl => { SSL_version => 'TLSv1_2' });
    assert_accepted($res, cert => 'good-ec');
    is($res->{env}->{SSL_PROTOCOL}, 'TLSv1.2', 'the connection was TLS 1.2');
};

subtest 'good EC leaf is accepted over TLS 1.3' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi', cert => 'good-ec',
                           ssl => { SSL_version => 'TLSv1_3' });
    assert_accepted($res, cert => 'good-ec');
    is($res->{env}->{SSL_PROTOCOL}, 'TLSv1.3', 'the connection was TLS 1.3');
};
