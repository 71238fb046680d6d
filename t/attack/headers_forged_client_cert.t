# A client must not be able to hand a proxied back end its own Client-Cert
# or Client-Cert-Chain (RFC 9440).  The module removed only headers named
# exactly Client-Cert and Client-Cert-Chain (ignoring case); a client sent
# Client_Cert, Client.Cert, client_cert_chain, Client-Cert_Chain...  httpd
# and mod_proxy pass those names on unchanged, and many back ends (CGI-like
# gateways, WSGI/Rack servers, frameworks) fold '_' and '.' into '-' or
# both into HTTP_CLIENT_CERT, so the forged certificate stood in for, or
# beside, the one the module vouches for.
#
# On a vhost with MAuthEngine on, no client-sent header whose name equals
# Client-Cert or Client-Cert-Chain ignoring case and taking '-', '_' and
# '.' alike reaches a proxied back end: mutual and standard vhosts, with
# MAuthForwardClientCert on and off, with and without a certificate.  The
# back end (the attack-cred echo vhost) reports every spelling it receives.
# With forwarding on and a valid certificate, the module's own headers
# still arrive.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(9);

# Every spelling class, echoed by the back end as X-Echo-Cert-S or
# X-Echo-Chain-ST (S, T in h '-', u '_', d '.'), each sent twice with
# different letter case.
my %sep = (h => '-', u => '_', d => '.');
my @classes;
for my $s (qw(h u d)) {
    push @classes, ["Cert-$s", "Client$sep{$s}Cert"];
    for my $t (qw(h u d)) {
        push @classes, ["Chain-$s$t", "Client$sep{$s}Cert$sep{$t}Chain"];
    }
}
my @forged;
my $n = 0;
for my $c (@classes) {
    my ($echo, $name) = @$c;
    my $alt = $n % 2 ? uc $name : lc $name;
    $alt = join '', map { $_ % 2 ? uc substr($name, $_, 1) : lc substr($name, $_, 1) }
        0 .. length($name) - 1 if $n % 3 == 0;
    push @forged, $name => ':Rk9SR0VE' . $n++ . ':', $alt => ':Rk9SR0VE' . $n++ . ':';
}

sub echoed {
    my ($res, $class) = @_;
    my $v = $res->{headers}->{lc "x-echo-$class"};
    return defined $v && $v ne '' ? $v : undef;
}

# nothing_forged($res, real => {class => value}): the back end ran and got
# no header of any spelling but the real ones.
sub nothing_forged {
    my ($res, %a) = @_;
    my $real = $a{real} || {};
    is($res->{status}, 200, 'HTTP status 200') or diag describe($res);
    ok(id_ran($res->{id}), 'the proxied back end ran');
    ok(exists $res->{headers}->{'x-echo-cert-h'}, 'the back end\'s echo headers came back');
    my @got;
    for my $c (@classes) {
        my $class = $c->[0];
        my $v = echoed($res, $class);
        if (exists $real->{$class}) {
            is($v, $real->{$class}, "$c->[1] is the module's own");
        }
        elsif (defined $v) {
            push @got, "$c->[1]: $v";
        }
    }
    ok(!@got, 'no client-sent Client-Cert/Client-Cert-Chain spelling reached the back end')
        or diag join "\n", 'received:', @got;
}

my $real = {'Cert-h' => sf_binary('alice'), 'Chain-hh' => sf_binary('int1')};

subtest 'the echo back end reports every spelling when reached directly (the test can see them)' => sub {
    my $res = ac_request(vhost => 'attack_cred_echo', path => '/attack/app.cgi',
                         headers => [@forged]);
    is($res->{status}, 200, 'HTTP status 200') or diag describe($res);
    is(scalar(grep { defined echoed($res, $_->[0]) } @classes), scalar @classes,
       'all ' . scalar(@classes) . ' spellings echoed');
};

subtest 'mutual vhost, forwarding off, with a valid certificate: no spelling reaches the back end' => sub {
    nothing_forged(ac_request(vhost => $M, path => '/px/app.cgi', cert => 'alice',
                              headers => [@forged]));
};

subtest 'mutual vhost, forwarding off, without a certificate: no spelling reaches the back end' => sub {
    nothing_forged(ac_request(vhost => $M, path => '/px/app.cgi', headers => [@forged]));
};

subtest 'mutual vhost, MAuthForwardClientCert on, without a certificate: no spelling reaches the back end' => sub {
    nothing_forged(ac_request(vhost => $M, path => '/px-fwd/app.cgi', headers => [@forged]));
};

subtest 'mutual vhost, MAuthForwardClientCert on, valid certificate: only the module\'s own headers arrive' => sub {
    nothing_forged(ac_request(vhost => $M, path => '/px-fwd/app.cgi', cert => 'alice',
                              headers => [@forged]), real => $real);
};

subtest 'standard vhost, forwarding off: no spelling reaches the back end' => sub {
    nothing_forged(ac_request(vhost => $S, path => '/px/app.cgi', headers => [@forged]));
};

subtest 'standard vhost, MAuthForwardClientCert on: no spelling reaches the back end' => sub {
    nothing_forged(ac_request(vhost => $S, path => '/px-fwd/app.cgi', headers => [@forged]));
};

subtest 'legit: MAuthForwardClientCert on, valid certificate, nothing forged: the module\'s Client-Cert and chain arrive' => sub {
    nothing_forged(ac_request(vhost => $M, path => '/px-fwd/app.cgi', cert => 'alice'),
                   real => $real);
};

subtest 'legit: MAuthForwardClientCert on, two intermediates: Client-Cert-Chain lists both' => sub {
    nothing_forged(ac_request(vhost => $M, path => '/px-fwd/app.cgi', cert => 'deep'),
                   real => {'Cert-h' => sf_binary('deep'),
                            'Chain-hh' => sf_binary('int2') . ', ' . sf_binary('int1')});
};
