# An uploaded certificate whose stored validity has ended (or not begun),
# or that is inactive, does not match.
#
# mauth-admin refuses to upload an expired certificate (checked first), so
# the tests age an upload instead: a valid leaf is uploaded, then its row's
# not_after is moved into the past with SQL (sqlite3 / psql on the test
# store).  The presented leaf stays valid, so the chain layer passes it and
# the refusal can only come from the identity layer's match.  A row for the
# really expired leaf (expired.pem) is also inserted straight into the
# store: presenting it is refused by the chain layer already.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(6);

my $M = 'identity_mutual';
my $API = '/id/enforce/backend.cgi';
my $NOT_REGISTERED = 'Client certificate is not registered for this user.';

sub user_cert_where {
    my ($user, $leaf) = @_;
    return "sha256 = '" . cert_sha256($leaf) . "' AND user_id = "
         . "(SELECT id FROM mauth_user WHERE username = '$user')";
}

subtest 'mauth-admin refuses to upload an expired certificate' => sub {
    my ($user) = enforced_user('exp-admin');
    my ($rc, $out, $err) = admin('cert', 'add', '--user', $user, '--chain',
                                 pki('expired-chain.pem'), pki('expired.pem'));
    isnt($rc, 0, 'cert add exits non-zero');
    like("$out$err", qr/expired/i, 'and says the certificate has expired');
};

subtest 'an upload aged past its not_after does not match (user-bound)' => sub {
    my ($user) = enforced_user('exp-aged', certs => ['carol']);
    my $tok = new_session($user);
    my $res = id_request(vhost => $M, path => $API, cert => 'carol',
                         headers => [Authorization => "Bearer $tok"]);
    assert_passed($res, user => $user, matched => 'user');
    my $past = time - 3600;
    sql("UPDATE mauth_certificate SET not_before = $past - 86400, not_after = $past WHERE "
        . user_cert_where($user, 'carol'));
    wait_cache();
    $res = id_request(vhost => $M, path => $API, cert => 'carol',
                      headers => [Authorization => "Bearer $tok"]);
    assert_page($res, reason => $NOT_REGISTERED);
};

subtest 'an org-wide upload aged past its not_after does not match' => sub {
    my ($user, $org) = enforced_user('exp-aged-org', org_certs => ['carol']);
    my $past = time - 60;
    sql("UPDATE mauth_certificate SET not_after = $past WHERE sha256 = '"
        . cert_sha256('carol') . "' AND user_id IS NULL AND org_id = "
        . "(SELECT id FROM mauth_org WHERE name = '$org')");
    my $res = id_request(vhost => $M, path => $API, cert => 'carol',
                         headers => [Authorization => 'Bearer ' . new_session($user)]);
    assert_page($res, reason => $NOT_REGISTERED);
};

subtest 'an upload whose stored not_before is in the future does not match' => sub {
    my ($user) = enforced_user('exp-notyet', certs => ['carol']);
    my $future = time + 86400;
    sql("UPDATE mauth_certificate SET not_before = $future WHERE " . user_cert_where($user, 'carol'));
    my $res = id_request(vhost => $M, path => $API, cert => 'carol',
                         headers => [Authorization => 'Bearer ' . new_session($user)]);
    assert_page($res, reason => $NOT_REGISTERED);
};

subtest 'an inactive upload does not match' => sub {
    my ($user) = enforced_user('exp-inactive', certs => ['carol']);
    sql("UPDATE mauth_certificate SET active = 0 WHERE " . user_cert_where($user, 'carol'));
    my $res = id_request(vhost => $M, path => $API, cert => 'carol',
                         headers => [Authorization => 'Bearer ' . new_session($user)]);
    assert_page($res, reason => $NOT_REGISTERED);
};

subtest 'the expired leaf itself, inserted into the store directly: refused as expired' => sub {
    my ($user, $org) = enforced_user('exp-real');
    my $pem = do { local (@ARGV, $/) = (pki('expired.pem')); <> };
    $pem =~ s/'/''/g;
    # expired.pem: valid 2020-01-01 .. 2021-01-01 (t/pki/mkpki.sh)
    sql("INSERT INTO mauth_certificate (org_id, user_id, sha256, subject, issuer, serial, "
        . "not_before, not_after, pem, active, created) SELECT o.id, u.id, '"
        . cert_sha256('expired') . "', 'CN=expired.client.test', "
        . "'CN=mauth Test Intermediate CA 1', '00', 1577836800, 1609459200, '$pem', 1, "
        . time . " FROM mauth_user u JOIN mauth_org o ON o.id = u.org_id "
        . "WHERE u.username = '$user'");
    is(sql_value("SELECT COUNT(*) FROM mauth_certificate WHERE " . user_cert_where($user, 'expired')),
       1, 'the row is in the store');
    my $res = id_request(vhost => $M, path => $API, cert => 'expired',
                         headers => [Authorization => 'Bearer ' . new_session($user)]);
    assert_page($res, reason => 'Client certificate has expired.');
};
