# A resumed TLS session has no peer chain on the server side; it must get the
# verdict of its first handshake: SUCCESS for a good chain, the revoked page
# for a revoked one.  Both TLS 1.3 (tickets) and TLS 1.2.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Apache::Test ();
use MAuth::Test;

plan tests => 6;

my $t = Apache::Test::vars('serverroot');

sub fetch {
    my (%a) = @_;
    my $port = vhost_port($a{vhost} || 'mauth_main');
    my $id = "resume-$a{cert}-$a{proto}-$$-" . time . "-$a{step}";
    my @args = ('-connect', "127.0.0.1:$port", '-servername', 'localhost',
                '-CAfile', pki('root.pem'), "-$a{proto}", '-ign_eof',
                '-cert', pki("$a{cert}.pem"), '-key', pki("$a{cert}.key"),
                '-cert_chain', pki("$a{cert}-chain.pem"));
    push @args, $a{step} == 1 ? ('-sess_out', $a{sess}) : ('-sess_in', $a{sess});
    my $out = run_s_client(args => \@args,
        input => "GET /required/env.cgi HTTP/1.0\r\nHost: localhost:$port\r\nX-Test-Id: $id\r\n\r\n");
    my ($session) = $out =~ /^(New|Reused), /m;
    my ($http) = $out =~ /(HTTP\/1\.\d \d+.*)\z/s;
    $http //= '';
    my ($status) = $http =~ /^HTTP\/1\.\d (\d+)/;
    my ($head, $body) = $http =~ /\A(.*?)\r?\n\r?\n(.*)\z/s;
    $body //= '';
    # s_client prints session tickets and its own notes into the same
    # stream: cut the body at Content-Length, or at s_client's next note.
    if (defined $head && $head =~ /^Content-Length:\s*(\d+)/mi) {
        $body = substr($body, 0, $1);
    }
    else {
        $body =~ s/\n?(---\n|read R BLOCK|closed\n|DONE\n).*\z//s;
    }
    return { out => $out, session => $session // '', status => $status // 0,
             body => $body, env => parse_env($body), id => $id };
}

for my $proto (qw(tls1_3 tls1_2)) {
    my $sess = "$t/logs/resume-good-$proto.$$.pem";
    subtest "resumed session with a good chain keeps SUCCESS ($proto)" => sub {
        my $first = fetch(cert => 'good-ec', proto => $proto, step => 1, sess => $sess);
        is($first->{session}, 'New', 'first handshake is new') or diag($first->{out});
        is($first->{status}, 200, 'first: 200');
        is($first->{env}->{MAUTH_CLIENT_VERIFY}, 'SUCCESS', 'first: SUCCESS');
        ok(-s $sess, 'session saved');
        my $second = fetch(cert => 'good-ec', proto => $proto, step => 2, sess => $sess);
        is($second->{session}, 'Reused', 'second handshake resumed the session')
            or diag($second->{out});
        is($second->{status}, 200, 'resumed: 200') or diag($second->{out});
        is($second->{env}->{MAUTH_CLIENT_VERIFY}, 'SUCCESS', 'resumed: SUCCESS');
        like($second->{env}->{MAUTH_CLIENT_CERT_SHA256} // '', qr/^[0-9a-f]{64}$/,
             'resumed: MAUTH_CLIENT_CERT_SHA256 present');
        is($second->{env}->{MAUTH_CLIENT_CERT_SHA256}, cert_fingerprint(pki('good-ec.pem')),
           'resumed: it is the leaf of the first handshake');
        is($second->{env}->{SSL_CLIENT_VERIFY}, 'SUCCESS', "resumed: mod_ssl's SSL_CLIENT_VERIFY SUCCESS");
        ok(backend_ran($second->{id}), 'resumed: back end ran');
        unlink $sess;
    };

    $sess = "$t/logs/resume-revoked-$proto.$$.pem";
    subtest "resumed session with a revoked chain stays refused ($proto)" => sub {
        my $page = expected_page('Client certificate has been revoked.');
        my $first = fetch(cert => 'revoked', proto => $proto, step => 1, sess => $sess);
        is($first->{session}, 'New', 'first handshake is new') or diag($first->{out});
        is($first->{status}, 403, 'first: 403');
        is($first->{body}, $page, 'first: revoked page');
        ok(!backend_ran($first->{id}), 'first: back end did not run');
        ok(-s $sess, 'session saved');
        my $second = fetch(cert => 'revoked', proto => $proto, step => 2, sess => $sess);
        is($second->{session}, 'Reused', 'second handshake resumed the session')
            or diag($second->{out});
        is($second->{status}, 403, 'resumed: 403') or diag($second->{out});
        is($second->{body}, $page, 'resumed: revoked page');
        ok(!backend_ran($second->{id}), 'resumed: back end did not run');
        unlink $sess;
    };
}

# A session made where revocation is not checked must not carry its SUCCESS
# to the vhost that checks CRLs.
for my $proto (qw(tls1_3 tls1_2)) {
    my $sess = "$t/logs/resume-cross-$proto.$$.pem";
    subtest "a session from another vhost does not carry its verdict ($proto)" => sub {
        my $first = fetch(vhost => 'mauth_crl_none', cert => 'revoked', proto => $proto,
                          step => 1, sess => $sess);
        is($first->{status}, 200, 'revocation-none vhost: 200') or diag($first->{out});
        is($first->{env}->{MAUTH_CLIENT_VERIFY}, 'SUCCESS', 'revocation-none vhost: SUCCESS');
        my $second = fetch(vhost => 'mauth_main', cert => 'revoked', proto => $proto,
                           step => 2, sess => $sess);
        note("main vhost handshake: $second->{session}");
        is($second->{status}, 403, 'main vhost: 403') or diag($second->{out});
        is($second->{body}, expected_page('Client certificate has been revoked.'),
           'main vhost: revoked page');
        ok(!backend_ran($second->{id}), 'main vhost: back end did not run');
        unlink $sess;
    };
}
