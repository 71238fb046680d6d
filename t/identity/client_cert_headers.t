# Client-sent Client-Cert / Client-Cert-Chain headers (RFC 9440) never
# reach the back end on a vhost with MAuthEngine on.  With
# MAuthForwardClientCert on, the back end gets the real ones: the leaf's
# DER and each intermediate's as RFC 8941 sf-binary (":base64:").
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(8);

my $M = 'identity_mutual';
my $S = 'identity_standard';

my $forged_leaf = sf_binary('bob');
my $forged_chain = sf_binary('alice2');
my @forged = ('Client-Cert' => $forged_leaf, 'Client-Cert-Chain' => $forged_chain,
              'client-cert' => ':AAAA:', 'CLIENT-CERT-CHAIN' => ':BBBB:');

my ($user, $org) = enforced_user('fwd', certs => ['alice', 'deep']);
my $tok = new_session($user);

sub no_forwarded {
    my $res = shift;
    is($res->{status}, 200, 'HTTP status 200') or diag describe($res);
    ok(id_ran($res->{id}), 'back end ran');
    ok(!exists $res->{env}->{HTTP_CLIENT_CERT}, 'back end got no Client-Cert')
        or diag "Client-Cert: $res->{env}->{HTTP_CLIENT_CERT}";
    ok(!exists $res->{env}->{HTTP_CLIENT_CERT_CHAIN}, 'back end got no Client-Cert-Chain')
        or diag "Client-Cert-Chain: $res->{env}->{HTTP_CLIENT_CERT_CHAIN}";
}

subtest 'mutual vhost, no forwarding, with a certificate: forged headers removed' => sub {
    no_forwarded(id_request(vhost => $M, path => '/id/open/backend.cgi', cert => 'alice',
                            headers => [@forged]));
};

subtest 'mutual vhost, no forwarding, without a certificate: forged headers removed' => sub {
    no_forwarded(id_request(vhost => $M, path => '/id/open/backend.cgi', headers => [@forged]));
};

subtest 'mutual vhost, enforced location, no forwarding: forged headers removed' => sub {
    my $res = id_request(vhost => $M, path => '/id/enforce/backend.cgi', cert => 'alice',
                         headers => [@forged, Authorization => "Bearer $tok"]);
    no_forwarded($res);
    is($res->{env}->{MAUTH_CERT_MATCHED}, 'user', 'and the request passed as the user');
};

subtest 'standard vhost: forged headers removed, nothing forwarded even with MAuthForwardClientCert on' => sub {
    no_forwarded(id_request(vhost => $S, path => '/id/login/backend.cgi', headers => [@forged]));
    no_forwarded(id_request(vhost => $S, path => '/id/forward/backend.cgi', headers => [@forged]));
};

subtest 'MAuthForwardClientCert on, enforced user with its certificate: the real Client-Cert and chain' => sub {
    my $res = id_request(vhost => $M, path => '/id/forward/backend.cgi', cert => 'alice',
                         headers => [@forged, Authorization => "Bearer $tok"]);
    assert_passed($res, user => $user, matched => 'user');
    is($res->{env}->{HTTP_CLIENT_CERT}, sf_binary('alice'),
       'Client-Cert is the leaf\'s DER as sf-binary');
    is($res->{env}->{HTTP_CLIENT_CERT_CHAIN}, sf_binary('int1'),
       'Client-Cert-Chain is the intermediate\'s DER as sf-binary');
};

subtest 'MAuthForwardClientCert on, two intermediates: Client-Cert-Chain lists both, issuer order' => sub {
    my $res = id_request(vhost => $M, path => '/id/forward/backend.cgi', cert => 'deep',
                         headers => [Authorization => "Bearer $tok"]);
    assert_passed($res, user => $user, matched => 'user');
    is($res->{env}->{HTTP_CLIENT_CERT}, sf_binary('deep'), 'Client-Cert is the leaf');
    is($res->{env}->{HTTP_CLIENT_CERT_CHAIN}, sf_binary('int2') . ', ' . sf_binary('int1'),
       'Client-Cert-Chain is int2, int1 (an RFC 8941 list)');
};

subtest 'MAuthForwardClientCert on without enforcement: real headers for any valid chain' => sub {
    my $res = id_request(vhost => $M, path => '/id/forward-open/backend.cgi', cert => 'carol',
                         headers => [@forged]);
    is($res->{status}, 200, 'HTTP status 200') or diag describe($res);
    is($res->{env}->{HTTP_CLIENT_CERT}, sf_binary('carol'), 'Client-Cert is carol\'s leaf');
    is($res->{env}->{HTTP_CLIENT_CERT_CHAIN}, sf_binary('int1'), 'Client-Cert-Chain is int1');
};

subtest 'MAuthForwardClientCert on, no client certificate: forged headers removed, none added' => sub {
    no_forwarded(id_request(vhost => $M, path => '/id/forward-open/backend.cgi',
                            headers => [@forged]));
};
