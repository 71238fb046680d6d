# A certificate uploaded for one user matches that user only; one uploaded
# for the organisation matches every user of it; neither matches a user of
# another organisation.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(4);

my $M = 'identity_mutual';
my $API = '/id/enforce/backend.cgi';
my $NOT_REGISTERED = 'Client certificate is not registered for this user.';

my $org = new_org(uname('org-binding'));
my $ann = new_user($org, uname('ann'), grant => 1);
my $ben = new_user($org, uname('ben'), grant => 1);
add_cert(user => $ann, leaf => 'alice');
add_cert(org => $org, leaf => 'bob');
my %tok = (ann => new_session($ann), ben => new_session($ben));

sub as { my $who = shift; (headers => [Authorization => "Bearer $tok{$who}"]) }

subtest 'the certificate bound to a user matches that user' => sub {
    my $res = id_request(vhost => $M, path => $API, cert => 'alice', as('ann'));
    assert_passed($res, user => $ann, matched => 'user');
};

subtest 'the certificate bound to one user does not match another user of the same organisation' => sub {
    my $res = id_request(vhost => $M, path => $API, cert => 'alice', as('ben'));
    assert_page($res, reason => $NOT_REGISTERED);
};

subtest 'the organisation\'s certificate matches every user of it' => sub {
    for my $who (qw(ann ben)) {
        my $res = id_request(vhost => $M, path => $API, cert => 'bob', as($who));
        assert_passed($res, user => ($who eq 'ann' ? $ann : $ben), matched => 'organization');
    }
};

subtest 'neither matches a user of another organisation' => sub {
    my ($stranger) = enforced_user('binding-stranger');
    my $tok = new_session($stranger);
    for my $leaf (qw(alice bob)) {
        my $res = id_request(vhost => $M, path => $API, cert => $leaf,
                             headers => [Authorization => "Bearer $tok"]);
        assert_page($res, reason => $NOT_REGISTERED);
    }
};
