# A TLS session carries the verdict of the vhost that judged its chain,
# not of every vhost that will accept the session.  resume-a and resume-b
# are mutual vhosts on two ports with the same ServerName (no port in it),
# so mod_ssl gives them one session id context; resume-a trusts root A,
# resume-b root B.  The session cache (shmcb) and, with the global
# SSLSessionTicketKeyFile, the ticket keys are shared: a session made on
# the A port with a chain from root A resumes on the B port.  It must not
# pass there.
#
# Expected of the fixed module: the resumption is refused (s_client prints
# "New,"), the full handshake sends the A chain, which resume-b does not
# trust: the Certificate Error page; or mod_ssl's 421.  Asserted strictly:
# no 200, the back end never runs, nothing says SUCCESS; which refusal it
# was is noted.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;
use MAuth::Attack;

my @variants = (
    ['TLS 1.2, session id', proto => 'tls1_2', no_ticket => 1],
    ['TLS 1.2, session ticket', proto => 'tls1_2'],
    ['TLS 1.3, session ticket', proto => 'tls1_3'],
);

plan tests => 3 * @variants;

my $t = Apache::Test::vars('serverroot');
my %port = (a => vhost_port('attack_tls_resume_a'), b => vhost_port('attack_tls_resume_b'));
my %leaf = (a => 'good-ec', b => 'b-good');
my $untrusted = 'Client certificate is not issued by a trusted certificate authority.';

# get(side => 'a' | 'b', cert => LEAF, sess_out/sess_in => FILE, variant)
sub get {
    my (%a) = @_;
    my %v = @{ $a{variant} }[1 .. $#{ $a{variant} }];
    return s_client_get(port => $port{ $a{side} }, sni => 'resume.test',
                        host => "resume.test:$port{ $a{side} }", cert => $a{cert},
                        path => '/required/env.cgi', %v,
                        map { $_ => $a{$_} } grep { $a{$_} } qw(sess_out sess_in));
}

sub new_session {
    my ($side, $variant, $sess) = @_;
    my $first = get(side => $side, cert => $leaf{$side}, variant => $variant, sess_out => $sess);
    is($first->{session}, 'New', "first handshake on port $side is new")
        or diag($first->{out});
    assert_passes($first, cert => $leaf{$side});
    ok(-s $sess, 'session saved');
    my %v = @{$variant}[1 .. $#$variant];
    if ($v{no_ticket}) {
        unlike($first->{out}, qr/TLS session ticket:/,
               'no ticket: the session lives in the server\'s session cache');
    }
    else {
        like($first->{out}, qr/TLS session ticket:/, 'the server issued a session ticket');
    }
    return $first;
}

my $n = 0;
for my $variant (@variants) {
    my $label = $variant->[0];

    subtest "a session resumes on its own port and passes ($label)" => sub {
        for my $side (qw(a b)) {
            my $sess = "$t/logs/attack-resume-own-$side-$$-" . $n++ . '.pem';
            new_session($side, $variant, $sess);
            my $again = get(side => $side, cert => $leaf{$side}, variant => $variant,
                            sess_in => $sess);
            is($again->{session}, 'Reused', "port $side: the session was resumed")
                or diag($again->{out});
            assert_passes($again, cert => $leaf{$side});
            served_by($again, "resume-$side");
            unlink $sess;
        }
    };

    for my $pair ([qw(a b)], [qw(b a)]) {
        my ($from, $to) = @$pair;
        subtest "a session made with a root-\U$from\E chain on the root-\U$from\E port "
              . "does not pass on the root-\U$to\E port ($label)" => sub {
            my $sess = "$t/logs/attack-resume-cross-$from-$$-" . $n++ . '.pem';
            new_session($from, $variant, $sess);
            my $res = get(side => $to, cert => $leaf{$from}, variant => $variant,
                          sess_in => $sess);
            note("handshake on the root-\U$to\E port: " . ($res->{session} || 'failed'));
            served_by($res, "resume-$to");
            assert_not_passed($res, reason => $untrusted);
            unlink $sess;
        };
    }
}
