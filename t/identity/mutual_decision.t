# The decision table's rows on the MUTUAL vhost (port 8443 in the seeds),
# at a location with MAuthEnforce on: an enforced user needs a valid chain
# whose leaf is uploaded for the user or the organisation.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(12);

my $M = 'identity_mutual';
my $API = '/id/enforce/backend.cgi';

sub bearer { [Authorization => "Bearer $_[0]"] }

subtest 'enforced user (permission on the user), certificate uploaded for the user: 200, MAUTH_CERT_MATCHED=user' => sub {
    my ($user, $org) = enforced_user('userbound', certs => ['alice']);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, cert => 'alice', headers => bearer($tok));
    assert_passed($res, user => $user, org => $org, enforced => 'true', matched => 'user');
    is($res->{env}->{MAUTH_CLIENT_VERIFY}, 'SUCCESS', 'MAUTH_CLIENT_VERIFY=SUCCESS');
    is($res->{env}->{MAUTH_CLIENT_CERT_SHA256}, cert_sha256('alice'),
       'MAUTH_CLIENT_CERT_SHA256 is the leaf\'s fingerprint');
};

subtest 'enforced user, certificate uploaded for the whole organisation: 200, MAUTH_CERT_MATCHED=organization' => sub {
    my ($user, $org) = enforced_user('orgwide', org_certs => ['alice2']);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, cert => 'alice2', headers => bearer($tok));
    assert_passed($res, user => $user, org => $org, enforced => 'true',
                  matched => 'organization');
};

subtest 'enforced through a profile with the permission: registered certificate passes, none is refused' => sub {
    my $org = new_org(uname('org-profile'));
    my $profile = new_profile($org, uname('MutualAuthProfile'), grant => 1);
    my $user = new_user($org, uname('viaprofile'), profiles => [$profile]);
    add_cert(user => $user, leaf => 'bob');
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, cert => 'bob', headers => bearer($tok));
    assert_passed($res, user => $user, enforced => 'true', matched => 'user');
    $res = id_request(vhost => $M, path => $API, headers => bearer($tok));
    assert_page($res, reason => 'No client certificate provided.');
};

subtest 'permission on the user is ineffective while the organisation switch is off' => sub {
    my ($user, $org) = enforced_user('switchoff', enabled => 0);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, headers => bearer($tok));
    assert_passed($res, user => $user, org => $org, enforced => 'false');
    ok(!exists $res->{env}->{MAUTH_CERT_MATCHED}, 'no certificate match was asked for');
    $res = id_request(vhost => $M, path => $API, cert => 'carol', headers => bearer($tok));
    assert_passed($res, user => $user, enforced => 'false');
};

subtest 'permission on a profile is ineffective while the organisation switch is off' => sub {
    my $org = new_org(uname('org-profile-off'), enabled => 0);
    my $profile = new_profile($org, uname('MutualAuthProfile'), grant => 1);
    my $user = new_user($org, uname('viaprofile-off'), profiles => [$profile]);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, headers => bearer($tok));
    assert_passed($res, user => $user, enforced => 'false');
};

subtest 'enforced user without a client certificate: 403 "No client certificate provided."' => sub {
    my ($user) = enforced_user('nocert', certs => ['alice']);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, headers => bearer($tok));
    assert_page($res, reason => 'No client certificate provided.');
    is($res->{headers}->{'x-test-mauth-client-verify'}, 'NONE', 'MAUTH_CLIENT_VERIFY=NONE');
};

subtest 'enforced user with a valid certificate not uploaded: 403 "Client certificate is not registered for this user."' => sub {
    my ($user) = enforced_user('notuploaded', certs => ['alice']);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, cert => 'bob', headers => bearer($tok));
    assert_page($res, reason => 'Client certificate is not registered for this user.');
    is($res->{headers}->{'x-test-mauth-client-verify'}, 'SUCCESS',
       'the chain itself was valid (MAUTH_CLIENT_VERIFY=SUCCESS)');
};

subtest 'enforced user with no certificate uploaded at all: 403 not registered' => sub {
    my ($user) = enforced_user('nothinguploaded');
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, cert => 'alice', headers => bearer($tok));
    assert_page($res, reason => 'Client certificate is not registered for this user.');
};

subtest 'enforced user whose chain fails validation: 403 with the chain layer\'s reason' => sub {
    my ($user) = enforced_user('badchain', certs => ['alice']);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, cert => 'revoked', headers => bearer($tok));
    assert_page($res, reason => 'Client certificate has been revoked.');
};

subtest 'certificate uploaded for another organisation does not match' => sub {
    my ($user) = enforced_user('otherorg-victim');
    my ($other_user, $other_org) = enforced_user('otherorg-owner', org_certs => ['carol']);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, cert => 'carol', headers => bearer($tok));
    assert_page($res, reason => 'Client certificate is not registered for this user.');
    # the owner's own user passes with it
    $res = id_request(vhost => $M, path => $API, cert => 'carol',
                      headers => bearer(new_session($other_user)));
    assert_passed($res, user => $other_user, matched => 'organization');
};

subtest 'turning the organisation switch off takes effect within MAuthStoreCacheTimeout' => sub {
    my ($user, $org) = enforced_user('switch-later');
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, headers => bearer($tok));
    assert_page($res, reason => 'No client certificate provided.');
    admin_ok('org', 'disable', $org);
    wait_cache();
    $res = id_request(vhost => $M, path => $API, headers => bearer($tok));
    assert_passed($res, user => $user, enforced => 'false');
};

subtest 'revoking the user\'s permission takes effect within MAuthStoreCacheTimeout' => sub {
    my ($user) = enforced_user('revoke-later');
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, headers => bearer($tok));
    assert_page($res, reason => 'No client certificate provided.');
    admin_ok('revoke', 'user', $user);
    wait_cache();
    $res = id_request(vhost => $M, path => $API, headers => bearer($tok));
    assert_passed($res, user => $user, enforced => 'false');
};
