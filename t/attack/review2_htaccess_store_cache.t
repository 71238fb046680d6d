# Review2 probe: MAuthEnforce is allowed in .htaccess (OR_AUTHCFG), but a
# vhost's store is set up at start-up only for vhosts where MAuthEnforce
# appears in the configuration files (sc->uses_store, set by the directive
# on cmd->server).  A vhost that enforces only from .htaccess gets no
# store_id, so its store answers are cached under the empty store id, the
# same key as every other such vhost's, whatever their stores.  A vhost
# whose store does not know a session makes it "unknown" for the vhost
# whose store enforces it (t/conf/review2.conf.in: review2_a, review2_b).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(3);
my $path = '/rv2/ht/app.cgi';
my $ctl = attack_users('rv2ctl');
my $u = attack_users('rv2ht');

subtest 'control: review2_b (.htaccess MAuthEnforce on), enforced token: refused' => sub {
    my $res = ac_request(vhost => 'review2_b', path => $path,
                         headers => [Authorization => "Bearer $ctl->{etok}"]);
    diag("status $res->{status}; back end ran: "
         . (MAuth::Store::id_ran($res->{id}) ? 'yes' : 'no'));
    ok($res->{status} >= 400, "refused (status $res->{status})");
};

my $alt = ac_request(vhost => 'review2_a', path => $path,
                     headers => [Authorization => "Bearer $u->{etok}"]);
is($alt->{status}, 200, 'review2_a: its store knows no such session: the application answers');

my $res = ac_request(vhost => 'review2_b', path => $path,
                     headers => [Authorization => "Bearer $u->{etok}"]);
diag("status $res->{status}; back end ran: " . (MAuth::Store::id_ran($res->{id}) ? 'yes' : 'no')
     . "; MAUTH_DECISION=" . ($res->{env}{MAUTH_DECISION} // '-'));
ok($res->{status} >= 400,
   "review2_b right after review2_a, enforced user's token: refused (status $res->{status})");
