# Authorization headers the module cannot read as one credential.  httpd
# merges repeated request headers into one value joined by ", ", so two
# "Authorization: Bearer <token>" lines reach the module as
# "Bearer <token>, Bearer <token>".  The module used to treat that (and a
# token with a blank inside) as no credential at all and let the request
# through as "no user"; an application or a proxied back end that splits
# the header, or takes its first or last line, then served the enforced
# user without a certificate.
#
# Now a credential that is there but cannot be read is refused with 400,
# on both vhosts, at a location with MAuthEnforce on and the default
# sources, and at an enforced location in front of a proxied back end
# (which must not be reached).  A single well-formed header still passes.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(27);

my $API = '/ac/enforce/app.cgi';
my $PROXIED = '/px-enforce/app.cgi';
my $u = attack_users('merged');
my ($etok, $ptok) = @$u{qw(etok ptok)};

my @attacks = (
    ['two Authorization: Bearer headers with the enforced user\'s token',
     [Authorization => "Bearer $etok", Authorization => "Bearer $etok"]],
    ['a plain user\'s Bearer header, then the enforced user\'s',
     [Authorization => "Bearer $ptok", Authorization => "Bearer $etok"]],
    ['the enforced user\'s Bearer header, then a plain user\'s',
     [Authorization => "Bearer $etok", Authorization => "Bearer $ptok"]],
    ['the enforced user\'s Bearer header, then a Basic one',
     [Authorization => "Bearer $etok", Authorization => 'Basic eDp5']],
    ['two OAuth headers with the enforced user\'s token',
     [Authorization => "OAuth $etok", Authorization => "OAuth $etok"]],
    ['one header holding two Bearer credentials, comma-separated',
     [Authorization => "Bearer $ptok, Bearer $etok"]],
    ['a blank inside the enforced user\'s Bearer token',
     [Authorization => "Bearer $etok x"]],
    ['a tab inside the enforced user\'s Bearer token',
     [Authorization => "Bearer $etok\tx"]],
);

for my $v ($S, $M) {
    my $where = vhost_label($v);
    for my $case (@attacks) {
        my ($name, $headers) = @$case;
        subtest "$where: $name: 400" => sub {
            assert_status(ac_request(vhost => $v, path => $API, headers => $headers), 400);
        };
    }
    for my $case (@attacks[0, 1]) {
        my ($name, $headers) = @$case;
        subtest "$where, proxied back end: $name: 400, the back end is not reached" => sub {
            my $res = ac_request(vhost => $v, path => $PROXIED, headers => $headers);
            assert_status($res, 400);
            ok(!defined $res->{headers}->{'x-echo-authorization'},
               'no answer from the proxied back end');
        };
    }

    # ---- the legitimate requests beside them
    subtest "$where: legit: one Bearer header with the plain user's token passes" => sub {
        assert_ok_twin(ac_request(vhost => $v, path => $API,
                                  headers => [Authorization => "Bearer $ptok"]),
                       user => $u->{plain}, enforced => 'false');
    };
    subtest "$where: legit: proxied, one Bearer header with the plain user's token reaches the back end as sent" => sub {
        my $res = ac_request(vhost => $v, path => $PROXIED,
                             headers => [Authorization => "Bearer $ptok"]);
        assert_ok_twin($res);
        is($res->{headers}->{'x-echo-authorization'}, "Bearer $ptok",
           'the back end received the Authorization header unchanged');
    };
}

subtest 'mutual vhost, legit: the enforced user\'s single Bearer header with its certificate passes' => sub {
    assert_ok_twin(ac_request(vhost => $M, path => $API, cert => 'alice',
                              headers => [Authorization => "Bearer $etok"]),
                   user => $u->{enforced}, matched => 'user');
};

subtest 'mutual vhost, legit: proxied, the enforced user\'s single Bearer header with its certificate passes' => sub {
    my $res = ac_request(vhost => $M, path => $PROXIED, cert => 'alice',
                         headers => [Authorization => "Bearer $etok"]);
    assert_ok_twin($res);
};

subtest 'mutual vhost with the enforced user\'s certificate: two Bearer headers are still 400' => sub {
    assert_status(ac_request(vhost => $M, path => $API, cert => 'alice',
                             headers => [Authorization => "Bearer $etok",
                                         Authorization => "Bearer $etok"]), 400);
};
