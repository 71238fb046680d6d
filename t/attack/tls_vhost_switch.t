# A TLS connection's verdict belongs to the vhost whose roots judged it.
# a.test and b.test are name-based mutual vhosts on one port with identical
# mod_ssl settings (so mod_ssl's SNI/Host check lets a request through);
# a.test trusts root A only, b.test root B only.  A chain from root A,
# accepted in a handshake for a.test (by SNI, or as the port's default
# without SNI), must not open b.test by a Host header, nor the reverse.
#
# Expected of the fixed module: the request's vhost re-validates the
# connection's chain against its own roots, so b.test answers with its
# Certificate Error page ("not issued by a trusted certificate authority");
# mod_ssl's 421 would do as well.  Asserted strictly: no 200, the back end
# never runs, nothing says SUCCESS.  A session resumed for a.test (legitly:
# same vhost, same trust) has no chain left to judge for b.test: 421.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Test;
use Apache::Test ();
use MAuth::Attack;

plan tests => 8;

my $port = vhost_port('attack_tls_switch');
my $path = '/required/env.cgi';
my $untrusted = 'Client certificate is not issued by a trusted certificate authority.';

subtest 'legitimate requests pass: each chain on its own vhost, with and without SNI' => sub {
    my ($a) = tls_requests(port => $port, sni => 'a.test', cert => 'good-ec',
                           requests => [{host => "a.test:$port", path => $path}]);
    note('SNI a.test, Host a.test, chain A');
    assert_passes($a, cert => 'good-ec');
    served_by($a, 'a.test');
    my ($b) = tls_requests(port => $port, sni => 'b.test', cert => 'b-good',
                           requests => [{host => "b.test:$port", path => $path}]);
    note('SNI b.test, Host b.test, chain B');
    assert_passes($b, cert => 'b-good');
    served_by($b, 'b.test');
    my ($n) = tls_requests(port => $port, sni => undef, cert => 'good-ec',
                           requests => [{host => "a.test:$port", path => $path}]);
    note('no SNI (default vhost a.test), Host a.test, chain A');
    assert_passes($n, cert => 'good-ec');
    served_by($n, 'a.test');
};

subtest 'each vhost refuses the other root\'s chain in its own handshake' => sub {
    my ($a) = tls_requests(port => $port, sni => 'a.test', cert => 'b-good',
                           requests => [{host => "a.test:$port", path => $path}]);
    assert_refused($a, reason => $untrusted, token => 'untrusted-issuer');
    my ($b) = tls_requests(port => $port, sni => 'b.test', cert => 'good-ec',
                           requests => [{host => "b.test:$port", path => $path}]);
    assert_refused($b, reason => $untrusted, token => 'untrusted-issuer');
};

subtest 'a chain from root A accepted for SNI a.test does not open b.test by its Host header' => sub {
    my ($res) = tls_requests(port => $port, sni => 'a.test', cert => 'good-ec',
                             requests => [{host => "b.test:$port", path => $path}]);
    served_by($res, 'b.test');
    assert_not_passed($res, reason => $untrusted);
};

subtest 'a chain from root A accepted without SNI (default vhost a.test) does not open b.test' => sub {
    my ($res) = tls_requests(port => $port, sni => undef, cert => 'good-ec',
                             requests => [{host => "b.test:$port", path => $path}]);
    served_by($res, 'b.test');
    assert_not_passed($res, reason => $untrusted);
};

subtest 'a chain from root B accepted for SNI b.test does not open a.test by its Host header' => sub {
    my ($res) = tls_requests(port => $port, sni => 'b.test', cert => 'b-good',
                             requests => [{host => "a.test:$port", path => $path}]);
    served_by($res, 'a.test');
    assert_not_passed($res, reason => $untrusted);
};

subtest 'on a keep-alive connection that passed for a.test, the next request for b.test does not pass' => sub {
    my ($first, $second) = tls_requests(port => $port, sni => 'a.test', cert => 'good-ec',
        requests => [{host => "a.test:$port", path => $path},
                     {host => "b.test:$port", path => $path}]);
    note('first request: Host a.test');
    assert_passes($first, cert => 'good-ec');
    note('second request: Host b.test');
    served_by($second, 'b.test');
    assert_not_passed($second, reason => $untrusted);
};

for my $proto ('tls1_2', 'tls1_3') {
    subtest "a session resumed for SNI a.test gets 421 for Host b.test ($proto)" => sub {
        my $sess = Apache::Test::vars('t_logs') . "/switch-$proto-$$.sess";
        my %tls = (port => $port, sni => 'a.test', cert => 'good-ec', proto => $proto,
                   path => $path);
        my $first = s_client_get(%tls, host => "a.test:$port", sess_out => $sess);
        is($first->{session}, 'New', 'first handshake for a.test');
        assert_passes($first, cert => 'good-ec');
        my $again = s_client_get(%tls, host => "a.test:$port", sess_in => $sess);
        is($again->{session}, 'Reused', 'resumed for a.test: the same trust');
        assert_passes($again, cert => 'good-ec');
        my $res = s_client_get(%tls, host => "b.test:$port", sess_in => $sess);
        is($res->{session}, 'Reused', 'resumed again, Host b.test');
        is($res->{status}, 421, '421 Misdirected Request: no chain to judge for b.test')
            or diag(MAuth::Attack::describe($res));
        assert_not_passed($res);
        unlink $sess;
    };
}
