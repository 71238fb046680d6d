# "Users that do not have the Enforce SSL/TLS Mutual Authentication user
# permission enabled are able to access Salesforce either without a
# certificate or with any certificate that chains up to a root certificate"
# (seed 000).  The chain layer still refuses a chain that fails validation
# on the mutual vhost.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(7);

my $M = 'identity_mutual';
my $API = '/id/enforce/backend.cgi';

my $org = new_org(uname('org-plain'));
my $user = new_user($org, uname('plain'));
add_cert(user => $user, leaf => 'alice');
my $tok = new_session($user);
my @auth = (Authorization => "Bearer $tok");

subtest 'non-enforced user on the mutual vhost without a certificate: 200' => sub {
    my $res = id_request(vhost => $M, path => $API, headers => [@auth]);
    assert_passed($res, user => $user, org => $org, enforced => 'false');
    is($res->{env}->{MAUTH_CLIENT_VERIFY}, 'NONE', 'MAUTH_CLIENT_VERIFY=NONE');
    ok(!exists $res->{env}->{MAUTH_CERT_MATCHED}, 'no MAUTH_CERT_MATCHED');
};

subtest 'non-enforced user with any trusted certificate (not uploaded anywhere for it): 200' => sub {
    for my $leaf (qw(bob good-rsa deep)) {
        my $res = id_request(vhost => $M, path => $API, cert => $leaf, headers => [@auth]);
        assert_passed($res, user => $user, enforced => 'false');
        is($res->{env}->{MAUTH_CLIENT_VERIFY}, 'SUCCESS', "$leaf: MAUTH_CLIENT_VERIFY=SUCCESS");
    }
};

subtest 'non-enforced user with its own uploaded certificate: 200 (nothing to match)' => sub {
    my $res = id_request(vhost => $M, path => $API, cert => 'alice', headers => [@auth]);
    assert_passed($res, user => $user, enforced => 'false');
    ok(!exists $res->{env}->{MAUTH_CERT_MATCHED}, 'no MAUTH_CERT_MATCHED');
};

subtest 'profile without the permission does not enforce' => sub {
    my $profile = new_profile($org, uname('PlainProfile'));
    my $u = new_user($org, uname('plain-profile'), profiles => [$profile]);
    my $res = id_request(vhost => $M, path => $API, headers => [Authorization => 'Bearer ' . new_session($u)]);
    assert_passed($res, user => $u, enforced => 'false');
};

subtest 'permission set but organisation switch off, any trusted certificate: 200' => sub {
    my ($u) = enforced_user('plain-switchoff', enabled => 0);
    my $res = id_request(vhost => $M, path => $API, cert => 'carol',
                         headers => [Authorization => 'Bearer ' . new_session($u)]);
    assert_passed($res, user => $u, enforced => 'false');
};

subtest 'non-enforced user with a chain that fails validation: still refused on the mutual vhost' => sub {
    my %cases = (
        revoked    => 'Client certificate has been revoked.',
        expired    => 'Client certificate has expired.',
        selfsigned => 'Client certificate is self-signed.',
    );
    for my $leaf (sort keys %cases) {
        my $res = id_request(vhost => $M, path => $API, cert => $leaf, headers => [@auth]);
        assert_page($res, reason => $cases{$leaf});
    }
};

subtest 'non-enforced user on the standard vhost: 200' => sub {
    my $res = id_request(vhost => 'identity_standard', path => $API, headers => [@auth]);
    assert_passed($res, user => $user, org => $org, enforced => 'false');
};
