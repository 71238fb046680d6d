# Invalid chains on the main mutual vhost (chain CRL checking): the TLS
# handshake completes and every request, even on a path that does not
# require a certificate, gets the Certificate Error page with the reason.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

my $UNTRUSTED = 'Client certificate is not issued by a trusted certificate authority.';

my @cases = (
    ['expired leaf is refused as expired',
     cert => 'expired', reason => 'Client certificate has expired.', token => 'expired'],
    ['not yet valid leaf is refused as not yet valid',
     cert => 'notyet', reason => 'Client certificate is not yet valid.', token => 'not-yet-valid'],
    ['revoked leaf is refused as revoked',
     cert => 'revoked', reason => 'Client certificate has been revoked.', token => 'revoked'],
    ['leaf under a revoked intermediate is refused as issuer revoked',
     cert => 'under-revoked',
     reason => 'A certificate in the client certificate chain has been revoked.',
     token => 'issuer-revoked'],
    ['impostor intermediate with int1\'s name is refused as untrusted',
     cert => 'impostor',
     reason => [$UNTRUSTED, 'Client certificate chain has an invalid signature.'],
     token => ['untrusted-issuer', 'bad-signature']],
    ['self-signed leaf is refused as self-signed',
     cert => 'selfsigned', reason => 'Client certificate is self-signed.', token => 'self-signed'],
    ['serverAuth-only leaf is refused as wrong purpose',
     cert => 'serveronly', reason => 'Client certificate is not valid for client authentication.',
     token => 'wrong-purpose'],
    ['leaf sent without its intermediate is refused as untrusted',
     cert => 'good-ec', chain => 0, reason => $UNTRUSTED, token => 'untrusted-issuer'],
    ['leaf from an untrusted root is refused as untrusted',
     cert => 'wrong-root', reason => $UNTRUSTED, token => 'untrusted-issuer'],
);

plan tests => 2 * @cases + 1;

for my $c (@cases) {
    my ($name, %a) = @$c;
    for my $path ('/free/env.cgi', '/required/env.cgi') {
        subtest "$name ($path)" => sub {
            my $res = mtls_request(vhost => 'mauth_main', path => $path, cert => $a{cert},
                                   chain => exists $a{chain} ? $a{chain} : 1);
            assert_refused($res, reason => $a{reason}, token => $a{token});
        };
    }
}

subtest 'a refusal is logged with the certificate subject, issuer and serial' => sub {
    my $mark = error_log_mark();
    my $res = mtls_request(vhost => 'mauth_main', path => '/free/env.cgi', cert => 'expired');
    is($res->{status}, 403, 'HTTP status 403');
    my @lines = grep { /refused/ } split /\n/, error_log_since($mark);
    ok(scalar @lines, 'a "refused" line was logged') or return;
    my $serial = cert_serial(pki('expired.pem'));
    my @match = grep { /expired\.client\.test/ && /mauth Test Intermediate CA 1/ && /\b\Q$serial\E\b/ }
                @lines;
    ok(scalar @match, "it names subject, issuer and serial $serial") or diag(join "\n", @lines);
    like($lines[0], qr/\[mauth:warn\]/, 'logged at warn, shown by the default LogLevel');
};
