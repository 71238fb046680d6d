# Certificate rotation: two certificates uploaded for one organisation both
# work; a removed one stops working within MAuthStoreCacheTimeout (1 s
# here); a newly added one starts working within the not-found timeout.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(5);

my $M = 'identity_mutual';
my $API = '/id/enforce/backend.cgi';
my $NOT_REGISTERED = 'Client certificate is not registered for this user.';

# good-rsa is removed below (cert remove goes by fingerprint, store-wide):
# no other identity test uploads it.
my ($user, $org) = enforced_user('rotation', org_certs => ['alice', 'good-rsa']);
my $tok = new_session($user);
my @auth = (headers => [Authorization => "Bearer $tok"]);

subtest 'two certificates uploaded for one organisation both work' => sub {
    for my $leaf (qw(alice good-rsa)) {
        my $res = id_request(vhost => $M, path => $API, cert => $leaf, @auth);
        assert_passed($res, user => $user, matched => 'organization');
        is($res->{env}->{MAUTH_CLIENT_CERT_SHA256}, cert_sha256($leaf), "it was $leaf");
    }
};

subtest 'both listed by mauth-admin cert list --org' => sub {
    my ($rc, $out) = admin('cert', 'list', '--org', $org);
    is($rc, 0, 'cert list exits 0');
    like($out, qr/\Q@{[cert_sha256('alice')]}\E/i, 'alice listed');
    like($out, qr/\Q@{[cert_sha256('good-rsa')]}\E/i, 'good-rsa listed');
};

subtest 'a removed certificate stops working within the cache TTL; the other keeps working' => sub {
    remove_cert('good-rsa');
    my $t0 = Time::HiRes::time();
    wait_cache();
    my $res = id_request(vhost => $M, path => $API, cert => 'good-rsa', @auth);
    assert_page($res, reason => $NOT_REGISTERED);
    note(sprintf 'refused %.1f s after the removal', Time::HiRes::time() - $t0);
    $res = id_request(vhost => $M, path => $API, cert => 'alice', @auth);
    assert_passed($res, user => $user, matched => 'organization');
};

subtest 'a removed certificate stays refused (every process, several connections)' => sub {
    for (1 .. 6) {
        my $res = id_request(vhost => $M, path => $API, cert => 'good-rsa', @auth);
        is($res->{status}, 403, "connection $_: 403") or diag describe($res);
    }
};

subtest 'a newly uploaded certificate starts working within the not-found TTL' => sub {
    my $res = id_request(vhost => $M, path => $API, cert => 'alice2', @auth);
    assert_page($res, reason => $NOT_REGISTERED);
    add_cert(org => $org, leaf => 'alice2');
    wait_cache();
    $res = id_request(vhost => $M, path => $API, cert => 'alice2', @auth);
    assert_passed($res, user => $user, matched => 'organization');
};
