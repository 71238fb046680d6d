# No client certificate: refused with the seed's page on a
# MAuthRequireCertificate path, passed with verdict NONE elsewhere.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 5;

my $NOCERT = 'No client certificate provided.';
my $SEED_IMAGE = 'http://www.sfdcstatic.com/common/assets/img/logo-company.png';

subtest 'no certificate on a required path gets the Certificate Error page' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi');
    assert_refused($res, reason => $NOCERT, token => 'no-certificate', verify_alt => ['NONE']);
};

subtest 'no certificate with MAuthErrorImage gets the seed page byte for byte' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/image/env.cgi');
    assert_refused($res, reason => $NOCERT, token => 'no-certificate', verify_alt => ['NONE'], image => $SEED_IMAGE);
    # The exact text of the seed blog's curl output.
    is($res->{body},
       '<html><head><title>Certificate Error</title></head><body bgcolor=#ffffff text=#3198d8><center><img src="http://www.sfdcstatic.com/common/assets/img/logo-company.png"><p><h3>Client certificate error:<i>No client certificate provided.</i></h3></center></body></html>',
       'body equals the seed page');
};

subtest 'MAuthErrorStatus changes the refusal status' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/status/env.cgi');
    assert_refused($res, reason => $NOCERT, token => 'no-certificate', verify_alt => ['NONE'], status => 400);
};

subtest 'no certificate on a free path passes with verdict NONE' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/free/env.cgi');
    is($res->{status}, 200, 'HTTP status 200') or diag($res->{error} // $res->{body});
    ok(backend_ran($res->{id}), 'back end ran');
    is($res->{env}->{MAUTH_CLIENT_VERIFY}, 'NONE', 'MAUTH_CLIENT_VERIFY=NONE');
    is($res->{env}->{SSL_CLIENT_VERIFY}, 'NONE', "mod_ssl's SSL_CLIENT_VERIFY=NONE");
    ok(!defined $res->{env}->{MAUTH_CLIENT_CERT_SHA256}, 'no MAUTH_CLIENT_CERT_SHA256');
};

subtest 'a valid certificate on the image path gets no page' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/image/env.cgi', cert => 'good-ec');
    assert_accepted($res, cert => 'good-ec');
};
