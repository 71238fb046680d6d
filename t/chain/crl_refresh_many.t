# Review 4: 30 refreshes of the CRL on the vhost mauth_refresh (1 s,
# after crl_refresh.t, from crls-later-before.pem again by a graceful restart;
# t/conf/refresh.conf.in), each file a new inode of the same newer CRL
# (crls-later-after.pem: revokes revoked-later), so every process rebuilds
# its trust 30 times (the parent at its monitor tick too): revoked-later is
# refused after each (the back end never runs for it), good-ec passes, no
# process crashes, the child's open files and memory do not grow, and every
# process maps one copy of the CRL.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes ();
use Digest::SHA ();
use Apache::Test ();
use MAuth::Test;
use MAuth::Attack;

plan tests => 9;

my $t = Apache::Test::vars('serverroot');
my $vhost = 'mauth_refresh';
my $live = "$t/logs/refresh-crls.pem";
my $revoked = 'Client certificate has been revoked.';

sub get {
    my ($cert) = @_;
    return mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => $cert);
}

sub status_of {
    my $pid = shift;
    my %s = (fds => 0, rss => 0);
    opendir my $d, "/proc/$pid/fd" or return \%s;
    $s{fds} = grep { !/^\./ } readdir $d;
    open my $st, '<', "/proc/$pid/status" or return \%s;
    while (my $line = <$st>) { $s{rss} = $1 if $line =~ /^VmRSS:\s+(\d+)/ }
    return \%s;
}

sub children { my @k = MAuth::Attack::children_of(MAuth::Attack::read_pid()); return @k }

# crl_refresh.t, run before on this vhost, leaves a newer (stale) CRL in
# use, which the later-after one would be refused as older than: start from
# the files as t/TEST.PL made them, loaded by a graceful restart
swap_file(pki('crls-later-before.pem'), $live);
ok(MAuth::Attack::graceful_restart(port => vhost_port($vhost)), 'graceful restart: the CRL of before');

my $mark = error_log_mark();
swap_file(pki('crls-later-after.pem'), $live);
sleep 3;
subtest 'revoked-later is refused once the CRL that revokes it is taken' => sub {
    assert_refused(get('revoked-later'), reason => $revoked, token => 'revoked');
};
my @kids = grep { defined } children();
my %before = map { ($_, status_of($_)) } @kids, MAuth::Attack::read_pid();

my ($passed, $good_failed) = (0, 0);
for my $i (1 .. 30) {
    swap_file(pki('crls-later-after.pem'), $live);
    Time::HiRes::sleep(1.3);
    my $res = get('revoked-later');
    $passed++ if ($res->{status} // 0) == 200 || defined $res->{env}->{MAUTH_CLIENT_VERIFY};
    $good_failed++ if (get('good-ec')->{status} // 0) != 200;
}
is($passed, 0, 'revoked-later never reached the back end in 30 refreshes');
is($good_failed, 0, 'good-ec passed after every refresh');
sleep 12;    # the parent's monitor tick, then the children's look
my $log = error_log_since($mark);
unlike($log, qr/segfault|exit signal|AddressSanitizer|double free/i, 'no process crashed')
    or diag(join "\n", grep { /segfault|exit signal/i } split /\n/, $log);
my $refreshes = () = $log =~ /MAUTH00092/g;
cmp_ok($refreshes, '>=', 30, "the CRL was refreshed ($refreshes refresh lines)");

my %after = map { ($_, status_of($_)) } @kids, MAuth::Attack::read_pid();
my @grew = grep { $after{$_}{fds} > $before{$_}{fds} + 2
                  || $after{$_}{rss} > $before{$_}{rss} + 8192 } keys %before;
is(scalar @grew, 0, 'no process gained open files or 8 MB of memory over 30 refreshes')
    or diag(explain(\%before, \%after));
note(explain(\%before, \%after));

my $prefix = substr(Digest::SHA::sha256_hex($live), 0, 16) . '-';
my %maps;
for my $pid (@kids, MAuth::Attack::read_pid()) {
    open my $m, '<', "/proc/$pid/maps" or next;
    $maps{$pid} = grep { m{/mauth-crl/\Q$prefix\E} } <$m>;
}
# (mod_cgid's daemon is a child too, and maps no CRL)
is_deeply([grep { $maps{$_} > 1 } keys %maps], [], 'no process maps more than one copy of the CRL')
    or diag(join ' ', map { "$_=$maps{$_}" } sort keys %maps);
cmp_ok(scalar(grep { $maps{$_} == 1 } keys %maps), '>=', 2, 'the parent and the child map it')
    or diag(join ' ', map { "$_=$maps{$_}" } sort keys %maps);
