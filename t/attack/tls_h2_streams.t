# HTTP/2 runs the streams of one TLS connection concurrently, on secondary
# connections in worker threads, all sharing the connection's certificate
# and verdict.  Each stream must still get its own user's answer.  Streams
# of one connection carry the Bearer tokens of different users, at
# locations with MAuthEnforce on:
#
#   forward  enforced user with the leaf uploaded for it,  passes; the back end gets
#            at a location with MAuthForwardClientCert   Client-Cert(-Chain)
#   match    enforced user with the leaf uploaded for it   passes, MAUTH_CERT_MATCHED=user
#   org      enforced user, leaf uploaded for its org      passes, MAUTH_CERT_MATCHED=organization
#   other    enforced user with only bob uploaded          403 page "not registered"
#   plain    user without the permission                   passes, MAUTH_ENFORCED=false
#   unknown  a token no session has                        passes, no MAUTH_USER
#
# with MAUTH_CLIENT_VERIFY=SUCCESS and the leaf's fingerprint on every
# stream.  First 40 streams on one connection (client certificate deep:
# deep -> int2 -> int1), to the CGI back end, whose run log proves which
# streams reached it.  Then stress rounds: many short connections one
# after the other, each with a few streams that arrive together, client
# certificate large (about 80 KB, slow to hash: whatever the first streams
# of a connection compute about it takes a while), asking for a file that
# does not exist, so a stream that passes is a cheap 404 and the module's
# decision is read from response headers (attack-tls.conf.in).  Bounded:
# a few hundred requests, and no round starts after STRESS_SECONDS.
#
# Needs the identity store (sh t/run-all.sh) and curl with HTTP/2.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes ();
use Apache::Test ();
use MAuth::Store;
use MAuth::Attack;

use constant STREAMS => 40;             # the first round, on one connection
use constant STRESS_ROUNDS => 8;        # then rounds of ...
use constant STRESS_CONNECTIONS => 10;  # ... this many connections, one after the other, ...
use constant STRESS_STREAMS => 8;       # ... each with this many streams at once
use constant STRESS_SECONDS => 60;      # no new round starts after this

my $vhost = 'attack_tls_h2';
{
    my $why;
    my $curl = `curl -V 2>/dev/null` // '';
    if ($curl !~ /^Features:.*\bHTTP2\b/m) {
        $why = 'curl with HTTP/2 support not found';
    }
    elsif (!Apache::Test::config()->{vhosts}->{$vhost}) {
        $why = "vhost $vhost missing from the configuration";
    }
    if ($why) {
        plan(skip_all => $why);
        exit 0;
    }
}
identity_plan(3 + STRESS_ROUNDS);

my $port = Apache::Test::config()->{vhosts}->{$vhost}->{port};
my $runlog = Apache::Test::vars('serverroot') . '/logs/identity-runs.log';
my $not_registered = expected_page('Client certificate is not registered for this user.');
my @kinds = qw(forward match org other plain unknown);

my ($u_match) = enforced_user('h2-match', certs => ['deep', 'large']);
my ($u_org, $org) = enforced_user('h2-org', org_certs => ['deep', 'large']);
my ($u_other) = enforced_user('h2-other', certs => ['bob']);
my $u_plain = new_user(new_org(uname('org-h2-plain')), uname('h2-plain'));
my %token = (
    forward => new_session($u_match),
    match   => new_session($u_match),
    org     => new_session($u_org),
    other   => new_session($u_other),
    plain   => new_session($u_plain),
    unknown => 'h2-no-such-session-' . $$ . '-' . time,
);
my %want_user = (forward => $u_match, match => $u_match, org => $u_org, plain => $u_plain);
my %want_matched = (forward => 'user', match => 'user', org => 'organization');
my %want_enforced = (forward => 'true', match => 'true', org => 'true', plain => 'false');

# The ids the back end saw, from its run log.
sub ran_ids {
    my %ran;
    open my $fh, '<', $runlog or return \%ran;
    while (<$fh>) {
        $ran{$1} = 1 if /\bid=(\S+)/;
    }
    return \%ran;
}

# streams(N, $count, $cgi): the kinds mixed, the order rotating with N so
# that every kind is sometimes among the first streams of a connection.
sub streams {
    my ($n, $count, $cgi) = @_;
    my $file = $cgi ? 'backend.cgi' : 'no-such-file.txt';
    return map {
        my $kind = $kinds[($_ + $n) % @kinds];
        my $prefix = $kind eq 'forward' ? '/id/forward/' : '/id/enforce/';
        +{ kind => $kind, path => "$prefix$file?round=$n&stream=$_",
           headers => [Authorization => "Bearer $token{$kind}"] }
    } 0 .. $count - 1;
}

my %sha256;

sub short { my $v = shift // 'unset'; length($v) > 40 ? substr($v, 0, 37) . '...' : $v }

sub differs {
    my ($what, $got, $want) = @_;
    return () if !defined $got && !defined $want;
    return () if defined $got && defined $want && $got eq $want;
    return ("$what is '" . short($got) . "', not '" . short($want) . "'");
}

# What is wrong with one stream's answer (nothing: an empty list).  $cgi:
# the back end answered, and its environment and run log are the
# evidence; otherwise the response headers.
sub problems {
    my ($s, %a) = @_;
    my $kind = $s->{kind};
    my @p;
    my $h = $s->{headers};
    # mod_headers writes an unset variable as (null), an empty expr as ''
    my $hdr = sub { my $v = $h->{ lc shift }; defined $v && $v ne '(null)' && $v ne '' ? $v : undef };
    my $pass = $a{cgi} ? 200 : 404;
    my $want_status = $kind eq 'other' ? 403 : $pass;
    push @p, "status $s->{status}, not $want_status" if $s->{status} != $want_status;
    push @p, "HTTP version $s->{http_version}, not 2" if $s->{http_version} ne '2';
    push @p, differs("response's MAUTH_CLIENT_VERIFY", $hdr->('X-Test-MAuth-Client-Verify'),
                     'SUCCESS');
    if ($kind eq 'other') {
        push @p, 'back end ran' if $a{cgi} && $a{ran}->{ $s->{id} };
        push @p, 'body is not the "not registered" page' if $s->{body} ne $not_registered;
        return @p;
    }
    my %got;
    if ($a{cgi}) {
        push @p, 'back end did not run' unless $a{ran}->{ $s->{id} };
        %got = (%{ $s->{env} });
    }
    else {
        %got = (MAUTH_USER => $hdr->('X-Test-MAuth-User'),
                MAUTH_ENFORCED => $hdr->('X-Test-MAuth-Enforced'),
                MAUTH_CERT_MATCHED => $hdr->('X-Test-MAuth-Cert-Matched'),
                MAUTH_CLIENT_CERT_SHA256 => $hdr->('X-Test-MAuth-Cert-SHA256'),
                MAUTH_CLIENT_VERIFY => $hdr->('X-Test-MAuth-Client-Verify'),
                HTTP_CLIENT_CERT_CHAIN => $hdr->('X-Test-Client-Cert-Chain'));
    }
    push @p, differs('MAUTH_CLIENT_VERIFY', $got{MAUTH_CLIENT_VERIFY}, 'SUCCESS');
    push @p, differs('MAUTH_CLIENT_CERT_SHA256', $got{MAUTH_CLIENT_CERT_SHA256},
                     $sha256{ $a{cert} } //= cert_sha256($a{cert}));
    push @p, differs('MAUTH_USER', $got{MAUTH_USER}, $want_user{$kind});
    push @p, differs('MAUTH_ENFORCED', $got{MAUTH_ENFORCED}, $want_enforced{$kind});
    push @p, differs('MAUTH_CERT_MATCHED', $got{MAUTH_CERT_MATCHED}, $want_matched{$kind});
    my @chain = $a{cert} eq 'deep' ? ('int2', 'int1') : ('int1');
    push @p, differs('Client-Cert-Chain', $got{HTTP_CLIENT_CERT_CHAIN},
                     $kind eq 'forward' ? join(', ', map { sf_binary($_) } @chain) : undef);
    push @p, differs('Client-Cert', $got{HTTP_CLIENT_CERT},
                     $kind eq 'forward' ? sf_binary($a{cert}) : undef)
        if $a{cgi};
    return @p;
}

sub one_connection {
    my $batch = shift;
    my @s = @{ $batch->{streams} };
    my %ports = map { $_->{local_port} => 1 } @s;
    my $connects = 0;
    $connects += $_->{num_connects} for @s;
    return (keys(%ports) == 1 && $connects == 1)
        ? ()
        : ("curl exit $batch->{rc}, local ports " . join(',', sort keys %ports)
           . ", $connects connections opened: " . substr($batch->{output}, 0, 300));
}

# ------------------------------------------------------------ one connection

my $first = h2_batch(port => $port, cert => 'deep', streams => [streams(0, STREAMS, 1)],
                     max_time => 60);
Time::HiRes::sleep(0.2);
my $ran = ran_ids();

subtest 'the streams really were HTTP/2, on one TLS connection' => sub {
    is($first->{rc}, 0, 'curl succeeded') or diag(substr($first->{output}, 0, 2000));
    my @p = one_connection($first);
    ok(!@p, STREAMS . ' streams shared one TLS connection') or diag(@p);
    my %versions = map { $_->{http_version} => 1 } @{ $first->{streams} };
    is(join(',', sort keys %versions), '2', 'every stream was HTTP/2');
};

subtest 'each kind of user gets its own answer on its own stream' => sub {
    for my $kind (@kinds) {
        my @mine = grep { $_->{kind} eq $kind } @{ $first->{streams} };
        my @bad = map { my @p = problems($_, cgi => 1, ran => $ran, cert => 'deep');
                        @p ? "$_->{path}: " . join('; ', @p) : () } @mine;
        ok(!@bad, "$kind: " . scalar(@mine) . ' streams answered as expected')
            or diag(join "\n", @bad);
    }
};

subtest 'no stream of a refused user reached the back end; every allowed one did' => sub {
    my @s = @{ $first->{streams} };
    my $refused_ran = grep { $_->{kind} eq 'other' && $ran->{ $_->{id} } } @s;
    my $allowed_missing = grep { $_->{kind} ne 'other' && !$ran->{ $_->{id} } } @s;
    is($refused_ran, 0, 'refused streams that ran the back end');
    is($allowed_missing, 0, 'allowed streams that did not run the back end');
};

# ------------------------------------------------------------ stress

# A module that races between streams can leave a child's memory damaged
# (seen: later TLS resumptions in that child fail); later tests must not
# pay for it.  A graceful restart gives them fresh children.
END {
    local $?;
    graceful_restart(port => $port) if $port;
}

my $t0 = Time::HiRes::time();
my $n = 0;
for my $round (1 .. STRESS_ROUNDS) {
    SKIP: {
        skip('stress time budget spent', 1) if Time::HiRes::time() - $t0 > STRESS_SECONDS;
        subtest "stress round $round: " . STRESS_CONNECTIONS . ' connections of '
              . STRESS_STREAMS . ' concurrent streams, every stream its own answer' => sub {
            my (@bad, @conn);
            for my $c (1 .. STRESS_CONNECTIONS) {
                $n++;
                my $batch = h2_batch(port => $port, cert => 'large', max_time => 30,
                                     streams => [streams($n, STRESS_STREAMS, 0)]);
                push @conn, "connection $n: $_" for one_connection($batch);
                for my $s (@{ $batch->{streams} }) {
                    my @p = problems($s, cert => 'large');
                    push @bad, "connection $n $s->{path} ($s->{kind}): " . join('; ', @p) if @p;
                }
            }
            ok(!@conn, 'every connection carried all its streams') or diag(join "\n", @conn);
            my $total = STRESS_CONNECTIONS * STRESS_STREAMS;
            ok(!@bad, "every stream got its own user's answer ($total streams, "
                      . scalar(@bad) . ' wrong)')
                or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
        };
    }
}
