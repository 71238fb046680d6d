# An ErrorDocument 403 configured where the request lands replaces the
# module's Certificate Error page.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 4;

my $CUSTOM = 'mauth test: ErrorDocument refusal';

subtest 'control: the ErrorDocument syntax works for a core refusal' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/errdoc-control/env.cgi', cert => 'good-ec');
    is($res->{status}, 403, 'HTTP status 403') or diag($res->{error});
    like($res->{body}, qr/\Q$CUSTOM\E/, 'body is the ErrorDocument text');
};

subtest 'ErrorDocument 403 replaces the no-certificate page' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/errdoc/env.cgi');
    is($res->{status}, 403, 'HTTP status 403') or diag($res->{error});
    like($res->{body}, qr/\Q$CUSTOM\E/, 'body is the ErrorDocument text');
    unlike($res->{body}, qr/Certificate Error/, 'not the module page');
    ok(!backend_ran($res->{id}), 'back end did not run');
};

subtest 'ErrorDocument 403 replaces the expired-certificate page' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/errdoc/env.cgi', cert => 'expired');
    is($res->{status}, 403, 'HTTP status 403') or diag($res->{error});
    like($res->{body}, qr/\Q$CUSTOM\E/, 'body is the ErrorDocument text');
    unlike($res->{body}, qr/Certificate Error/, 'not the module page');
    ok(!backend_ran($res->{id}), 'back end did not run');
};

subtest 'a valid chain on the ErrorDocument path reaches the back end' => sub {
    my $res = mtls_request(vhost => 'mauth_main', path => '/errdoc/env.cgi', cert => 'good-ec');
    assert_accepted($res, cert => 'good-ec');
};
