# The mutual vhost asks for a client certificate with an empty list of CA
# names (the seed's CertificateRequest); the standard vhost does not ask.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 3;

sub probe {
    my ($vhost, @extra) = @_;
    my $port = vhost_port($vhost);
    return run_s_client(args => ['-connect', "127.0.0.1:$port", '-servername', 'localhost',
                                 '-CAfile', pki('root.pem'), '-msg', @extra],
                        input => '');
}

for my $v (['TLS 1.3', '-tls1_3'], ['TLS 1.2', '-tls1_2']) {
    my ($label, $flag) = @$v;
    subtest "mutual vhost sends a CertificateRequest with no CA names ($label)" => sub {
        my $out = probe('mauth_main', $flag);
        like($out, qr/CertificateRequest/, 'server sent a CertificateRequest')
            or diag($out);
        like($out, qr/No client certificate CA names sent/, 'no CA names in it');
        unlike($out, qr/Acceptable client certificate CA names/, 'no acceptable CA list');
    };
}

subtest 'standard vhost sends no CertificateRequest' => sub {
    my $out = probe('mauth_standard');
    like($out, qr/Server certificate|BEGIN CERTIFICATE/, 'handshake happened') or diag($out);
    unlike($out, qr/CertificateRequest/, 'no CertificateRequest');
};
