# Clients often send more than the intermediates: the root itself, or an
# unrelated certificate.  The chain still validates; order in the sent list
# does not matter beyond the leaf coming first.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 3;

my $logs = Apache::Test::vars('serverroot') . '/logs';

sub bundle {
    my ($name, @parts) = @_;
    my $file = "$logs/$name.pem";
    open my $out, '>', $file or die "$file: $!";
    for my $p (@parts) {
        open my $in, '<', pki($p) or die;
        local $/;
        my $text = <$in>;
        print $out $text;
    }
    close $out;
    return $file;
}

subtest 'leaf + intermediate + root is accepted' => sub {
    my $f = bundle('extra-with-root', qw(good-ec.pem int1.pem root.pem));
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi',
                           certfile => $f, keyfile => pki('good-ec.key'));
    assert_accepted($res, cert => 'good-ec');
};

subtest 'leaf + unrelated certificate + intermediate is accepted' => sub {
    my $f = bundle('extra-unrelated', qw(good-rsa.pem other-root.pem int1.pem));
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi',
                           certfile => $f, keyfile => pki('good-rsa.key'));
    assert_accepted($res, cert => 'good-rsa');
};

subtest 'deep leaf with its intermediates in reverse order is accepted' => sub {
    my $f = bundle('extra-reversed', qw(deep.pem int1.pem int2.pem));
    my $res = mtls_request(vhost => 'mauth_main', path => '/required/env.cgi',
                           certfile => $f, keyfile => pki('deep.key'));
    assert_accepted($res, cert => 'deep');
};
