# Review probe: the per-process store cache is keyed by the credential
# only ("session" + token, "user" + name, user_id/org_id + fingerprint),
# not by the store (mod_dbd settings, MAuthUserQuery/MAuthSessionQuery)
# of the vhost that asked.  A vhost whose store does not know the token
# poisons the answer for the vhost whose store enforces it.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(2);
my $u = attack_users('rvcache');
my $etok = $u->{etok};

# httpd runs several child processes, each with its own cache: warm
# them all on review_alt, then ask review_mutual, a few times.
my ($alt_ok, $worst) = (1, undef);
for my $round (1 .. 10) {
    for (1 .. 8) {
        my $alt = ac_request(vhost => 'review_alt', path => '/rv/enforce/app.cgi',
                             headers => [Authorization => "Bearer $etok"]);
        $alt_ok &&= $alt->{status} == 200 if $round == 1;
    }
    my $res = ac_request(vhost => 'review_mutual', path => '/rv/enforce/app.cgi',
                         headers => [Authorization => "Bearer $etok"]);
    $worst = $res if !$worst || $res->{status} < 400;
    last if $res->{status} < 400;
}
ok($alt_ok, 'review_alt: its store knows no such session (200 before any other vhost asked)');
# (later rounds may see 401 there: the poisoning works the other way as well)
diag("back end ran: " . (MAuth::Store::id_ran($worst->{id}) ? 'yes' : 'no'));
ok($worst->{status} >= 400,
   "review_mutual, enforced user's token, no certificate: refused every time (status $worst->{status})");
