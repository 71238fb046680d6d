# MAuthExpiryWarning: at start-up (and after each restart, and daily) one
# process warns of the CA certificates of each mutual vhost's trust and of
# the uploads to its identity store whose validity ends within the
# configured days.  identity_mutual says 9000 days: the suite's root
# (valid until 2049) is within it, its CRLs' nextUpdate (30 days) is not
# near.  Uploads are imported with the validity each case needs; a
# graceful restart makes the warnings run again.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp;
use MAuth::Store;
use MAuth::Attack ();

identity_plan(5);

my $port = Apache::Test::config()->{vhosts}->{identity_mutual}->{port};
my $now = time;
my $org = new_org(uname('org-expiry'));
my $user = new_user($org, uname('expiry'));

sub fake_sha256 { my $tag = shift; return substr(Digest::SHA::sha256_hex("$tag-$$-$now"), 0, 64) }
my %cert = (
    soon    => [fake_sha256('soon'),    "CN=soon-$$",    "user:$user", $now + 5 * 86400],
    ended   => [fake_sha256('ended'),   "CN=ended-$$",   "org:$org",   $now - 86400],
    distant => [fake_sha256('distant'), "CN=distant-$$", "user:$user", $now + 9100 * 86400],
);
my $lines = File::Temp->new;
for my $c (values %cert) {
    my ($sha, $subject, $owner, $end) = @$c;
    print $lines join("\t", $sha, $subject, 'CN=mauth Test Root', '01', $now - 86400 * 400,
                      $end, $owner), "\n";
}
close $lines;
admin_ok('import', 'certs', $lines->filename);

my $mark = error_log_mark();
ok(MAuth::Attack::graceful_restart(port => $port), 'httpd restarted gracefully');

# The singleton watchdog runs once its child is up: wait for its lines.
my $log = '';
for (1 .. 50) {
    $log = error_log_since($mark);
    last if $log =~ /\Q$cert{distant}[0]\E|MAUTH00113.*CN=ended-$$/s && $log =~ /MAUTH00110/;
}

subtest 'an upload ending within the days is warned of, naming subject, user, organisation and date' => sub {
    my ($line) = grep { /\Q$cert{soon}[0]\E/ } split /\n/, $log;
    ok($line, 'a line names the fingerprint') or diag($log);
    like($line // '', qr/\[mauth:warn\].*MAUTH00113: uploaded client certificate CN=soon-$$ /,
         'at warn, with the subject');
    like($line // '', qr/of user '\Q$user\E' of organisation '\Q$org\E' expires \w{3}, \d\d \w{3} \d{4}/,
         'the owner and the date');
};

subtest 'an organisation-wide upload that already ended says expired' => sub {
    my ($line) = grep { /\Q$cert{ended}[0]\E/ } split /\n/, $log;
    like($line // '', qr/of organisation '\Q$org\E' expired /, 'organisation owner, expired')
        or diag($log);
};

subtest 'an upload ending after the days is not warned of' => sub {
    unlike($log, qr/\Q$cert{distant}[0]\E/, 'no line for it');
};

subtest "the trust's CA certificates are warned of; CRLs far from nextUpdate are not" => sub {
    like($log, qr/MAUTH00110: CA certificate CN=mauth Test Root CA,O=mauth Test,C=US of MAuthCACertificateFile \S+roots\.pem expires Fri, 01 Jan 2049 /,
         'the root, its file and the date') or diag($log);
    unlike($log, qr/MAUTH00111[^\n]*crls-all\.pem/, "no warning of the vhost's CRLs");
    my @once = $log =~ /MAUTH00113: [^\n]*\Q$cert{soon}[0]\E/g;
    is(scalar @once, 1, 'one process warns, once');
};
