# The seed blog's curl walk-through against the mutual vhost: curl -E with
# the full PEM (key, leaf, intermediates) gets through; without a
# certificate curl prints the Certificate Error page; a full PEM that lacks
# the intermediate is refused as untrusted.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

my $curl = `sh -c 'command -v curl' 2>/dev/null`;
chomp $curl;
plan skip_all => 'curl not installed' unless $curl;
plan tests => 3;

my $port = vhost_port('mauth_main');

sub curl {
    my ($path, @args) = @_;
    my $id = "curl-$$-" . time . '-' . int(rand 1e6);
    my @cmd = ($curl, '-s', '-k', '--max-time', '20', '-H', "X-Test-Id: $id",
               '-w', '\n%{http_code} %{content_type}', @args,
               "https://localhost:$port$path");
    my $cmd = join ' ', map { my $x = $_; $x =~ s/'/'\\''/g; "'$x'" } @cmd;
    my $out = `$cmd`;
    my ($body, $code, $type) = $out =~ /\A(.*)\n(\d+) ?(.*)\z/s;
    return { body => $body // $out, status => $code // 0, content_type => $type // '',
             id => $id, env => parse_env($body // '') };
}

subtest 'curl -E fullcert.pem is accepted' => sub {
    my $res = curl('/required/env.cgi', '-E', pki('good-ec-full.pem'));
    is($res->{status}, 200, 'HTTP status 200') or diag($res->{body});
    is($res->{env}->{MAUTH_CLIENT_VERIFY}, 'SUCCESS', 'MAUTH_CLIENT_VERIFY=SUCCESS');
    ok(backend_ran($res->{id}), 'back end ran');
};

subtest 'curl without a certificate prints the seed page' => sub {
    my $res = curl('/image/env.cgi');
    is($res->{status}, 403, 'HTTP status 403');
    like($res->{content_type}, qr{^text/html}, 'text/html');
    is($res->{body},
       '<html><head><title>Certificate Error</title></head><body bgcolor=#ffffff text=#3198d8><center><img src="http://www.sfdcstatic.com/common/assets/img/logo-company.png"><p><h3>Client certificate error:<i>No client certificate provided.</i></h3></center></body></html>',
       'the seed page, byte for byte');
    ok(!backend_ran($res->{id}), 'back end did not run');
};

subtest 'curl -E with a full PEM lacking the intermediate is refused' => sub {
    my $res = curl('/free/env.cgi', '-E', pki('good-ec-nochain-full.pem'));
    is($res->{status}, 403, 'HTTP status 403') or diag($res->{body});
    is($res->{body},
       expected_page('Client certificate is not issued by a trusted certificate authority.'),
       'untrusted page');
    ok(!backend_ran($res->{id}), 'back end did not run');
};
