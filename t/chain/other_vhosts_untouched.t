# Vhosts that are not mutual are left alone: the standard (443-style) vhost,
# a TLS vhost with MAuthEngine off and the plain HTTP main server.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use Apache::TestRequest ();
use MAuth::Test;

plan tests => 4;

subtest 'standard vhost serves a request without a certificate' => sub {
    my $res = mtls_request(vhost => 'mauth_standard', path => '/required/env.cgi');
    is($res->{status}, 200, 'HTTP status 200') or diag($res->{error} // $res->{body});
    ok(backend_ran($res->{id}), 'back end ran');
    is($res->{env}->{SSL_CLIENT_VERIFY}, 'NONE', 'SSL_CLIENT_VERIFY=NONE');
    unlike($res->{body}, qr/Certificate Error/, 'no Certificate Error page');
    my $v = $res->{env}->{MAUTH_CLIENT_VERIFY};
    ok(!defined $v || $v eq 'NONE', 'MAUTH_CLIENT_VERIFY unset or NONE (' . ($v // 'unset') . ')');
};

subtest 'standard vhost ignores a client certificate it never asked for' => sub {
    my $res = mtls_request(vhost => 'mauth_standard', path => '/free/env.cgi', cert => 'expired');
    is($res->{status}, 200, 'HTTP status 200') or diag($res->{error} // $res->{body});
    ok(backend_ran($res->{id}), 'back end ran');
};

subtest 'MAuthEngine off vhost is untouched' => sub {
    my $res = mtls_request(vhost => 'mauth_off', path => '/required/env.cgi');
    is($res->{status}, 200, 'HTTP status 200') or diag($res->{error} // $res->{body});
    ok(backend_ran($res->{id}), 'back end ran');
    is_deeply([grep { /^MAUTH_/ } sort keys %{ $res->{env} }], [], 'no MAUTH_* variables');
};

subtest 'plain HTTP main server is untouched' => sub {
    Apache::TestRequest::module('default');
    Apache::TestRequest::scheme('http');
    my $id = "plain-http-$$-" . time;
    my $r = Apache::TestRequest::GET('/required/env.cgi', 'X-Test-Id' => $id);
    is($r->code, 200, 'HTTP status 200') or diag($r->as_string);
    ok(backend_ran($id), 'back end ran');
    is_deeply([grep { /^MAUTH_/ } sort keys %{ parse_env($r->content) }], [], 'no MAUTH_* variables');
};
