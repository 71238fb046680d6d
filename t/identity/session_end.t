# Ending sessions with mauth-admin: `session end TOKEN` and `session end
# --user NAME` stop httpd accepting the sessions within
# MAuthStoreCacheTimeout (1 s here): the request then names no user, and
# the application answers as for any unknown session.  Another user's
# sessions live on.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes ();
use MAuth::Store;

identity_plan(3);

my $M = 'identity_mutual';
my $API = '/id/enforce/backend.cgi';
# MAuthStoreCacheTimeout in t/conf/identity.conf.in, and what a poll may
# take beyond it: the requests' own time
my $CACHE_TIMEOUT = 1;
my $SLACK = 2;

sub request { id_request(vhost => $M, path => $API, cert => 'alice',
                         headers => [Authorization => "Bearer $_[0]"]) }

# Polls until the session names no user; the last response, and whether
# that happened within one cache timeout of $since.
sub no_longer_accepted {
    my ($tok, $since) = @_;
    my $res;
    while (1) {
        $res = request($tok);
        return (1, $res) if $res->{status} == 200 && !exists $res->{env}->{MAUTH_USER};
        last if Time::HiRes::time() > $since + $CACHE_TIMEOUT + $SLACK;
        Time::HiRes::sleep(0.1);
    }
    return (0, $res);
}

my ($user) = enforced_user('ending', certs => ['alice']);
my ($other) = enforced_user('ending-other', certs => ['alice']);
my ($one, $two, $three) = map { new_session($user) } 1 .. 3;
my $others = new_session($other);

subtest 'session end TOKEN: that session is refused within the cache timeout' => sub {
    assert_passed(request($one), user => $user, matched => 'user');
    my $since = Time::HiRes::time();
    my $out = admin_ok('session', 'end', $one);
    like($out, qr/^ended session [0-9a-f]{16} of user '\Q$user\E'$/m, 'mauth-admin says so');
    unlike($out, qr/\Q$one\E/, '... without printing the token');
    my ($ok, $res) = no_longer_accepted($one, $since);
    ok($ok, 'the ended session names no user any more') or diag describe($res);
    assert_declined($res);
    assert_passed(request($two), user => $user, matched => 'user');
};

subtest 'session end --user: every session of the user is refused' => sub {
    my $since = Time::HiRes::time();
    my $out = admin_ok('session', 'end', '--user', $user);
    like($out, qr/^ended 2 live sessions of user '\Q$user\E'$/m, 'mauth-admin counts them');
    for my $tok ($two, $three) {
        my ($ok, $res) = no_longer_accepted($tok, $since);
        ok($ok, 'an ended session names no user any more') or diag describe($res);
        assert_declined($res);
    }
    like(admin_ok('session', 'list', '--user', $user), qr/^no live sessions$/m,
         'session list --user lists none');
};

subtest 'another user\'s session lives on' => sub {
    assert_passed(request($others), user => $other, matched => 'user');
    like(admin_ok('session', 'list', '--user', $other), qr/\b\Q$other\E\b/,
         'session list --user lists it');
};
