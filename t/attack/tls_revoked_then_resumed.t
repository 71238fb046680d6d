# A certificate revoked after its TLS session was made must not keep
# passing through that session.  The vhost attack_tls_revoke reads its CRLs
# from a copy this test owns (t/logs/attack-tls-crls.pem, remade from
# crls-later-before.pem by t/TEST.PL at every run).  A session is made with
# revoked-later while its CRL still says good; the test then swaps in
# crls-later-after.pem (int1's next CRL, revoking revoked-later) and
# restarts httpd gracefully.  With the server-wide SSLSessionTicketKeyFile
# (attack-tls.conf.in) session tickets survive the restart.
#
# Expected of the fixed module: a resumed session is judged against the
# CRLs of now, not of the day it was made: the resumption is refused and
# the full handshake gets the revoked page (or any refusal: 421).
# Asserted strictly: no 200, the back end never runs, nothing says SUCCESS.
# The original CRL is put back (and httpd restarted) at the end, also when
# the test dies half-way.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;
use MAuth::Attack;

my @variants = (
    ['TLS 1.3, session ticket', proto => 'tls1_3'],
    ['TLS 1.2, session ticket', proto => 'tls1_2'],
    ['TLS 1.2, session id', proto => 'tls1_2', no_ticket => 1],
);

plan tests => 6 + @variants;

my $t = Apache::Test::vars('serverroot');
my $vhost = 'attack_tls_revoke';
my $port = vhost_port($vhost);
my $live = "$t/logs/attack-tls-crls.pem";
my $before = pki('crls-later-before.pem');
my $after = pki('crls-later-after.pem');
my $leaf = 'revoked-later';
my $revoked = 'Client certificate has been revoked.';
my %sess;
my $n = 0;
$sess{ $_->[0] } = "$t/logs/attack-revoke-$$-" . $n++ . '.pem' for @variants;
my $log_mark = error_log_mark();

my $swapped = 0;
END {
    local $?;
    if ($swapped) {
        swap_file($before, $live);
        graceful_restart(port => $port);
    }
    unlink values %sess;
}

sub get {
    my ($variant, %a) = @_;
    my %v = @{$variant}[1 .. $#$variant];
    return s_client_get(port => $port, sni => 'localhost', host => "localhost:$port",
                        cert => $leaf, path => '/required/env.cgi', %v, %a);
}

subtest 'before the revocation, revoked-later passes and its sessions resume' => sub {
    for my $variant (@variants) {
        my $label = $variant->[0];
        note($label);
        my $first = get($variant, sess_out => $sess{$label});
        is($first->{session}, 'New', "$label: first handshake is new") or diag($first->{out});
        assert_passes($first, cert => $leaf);
        ok(-s $sess{$label}, "$label: session saved");
        my $again = get($variant, sess_in => $sess{$label});
        is($again->{session}, 'Reused', "$label: the session resumes") or diag($again->{out});
        assert_passes($again, cert => $leaf);
    }
};

subtest 'the CRL that revokes revoked-later is in place after a graceful restart' => sub {
    $swapped = 1;
    swap_file($after, $live);
    ok(graceful_restart(port => $port), 'httpd restarted gracefully and answers');
};

subtest 'a fresh handshake with revoked-later now gets the revoked page; good-ec still passes' => sub {
    my $res = mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => $leaf);
    assert_refused($res, reason => $revoked, token => 'revoked');
    my $good = mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => 'good-ec');
    assert_passes($good, cert => 'good-ec');
};

for my $variant (@variants) {
    my $label = $variant->[0];
    subtest "a session made before the revocation does not pass after it ($label)" => sub {
        my $res = get($variant, sess_in => $sess{$label});
        note("handshake: " . ($res->{session} || 'failed'));
        assert_not_passed($res, reason => $revoked);
    };
}

subtest 'the original CRL is back after a graceful restart' => sub {
    swap_file($before, $live);
    $swapped = 0;
    ok(graceful_restart(port => $port), 'httpd restarted gracefully and answers');
};

subtest 'with the original CRL, revoked-later passes again, with a fresh or a saved session' => sub {
    my $res = mtls_request(vhost => $vhost, path => '/required/env.cgi', cert => $leaf);
    assert_passes($res, cert => $leaf);
    for my $variant (@variants) {
        my $label = $variant->[0];
        my $again = get($variant, sess_in => $sess{$label});
        # Tickets survive a graceful restart (the key is in a file), the
        # session cache does not; whether a session from an older
        # generation may still resume is the module's choice.
        note("$label: handshake " . ($again->{session} || 'failed'));
        assert_passes($again, cert => $leaf);
    }
};

subtest 'no httpd child crashed during the test' => sub {
    unlike(error_log_since($log_mark), qr/exit signal|AH00052|segmentation fault/i,
           'the error log names no crashed child');
};
