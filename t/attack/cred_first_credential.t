# A credential in a header in front of the SOAP SessionHeader must not hide
# it.  The module used to stop at the first credential present ("the
# first credential present decides, known or not"), so an enforced user
# put any Authorization header before its SOAP session (garbage, another
# user's valid token, "OAuth x") and reached the application, which read
# the SessionHeader and served the enforced user without a certificate.
#
# Now every credential the module can read is looked up: when any names an
# enforced user, that user's requirement applies (the fault on the
# standard vhost, the Certificate Error page on the mutual vhost without a
# certificate); two credentials naming different known users are refused
# with 400.  Each attack is run on both vhosts, at a location with
# MAuthEnforce on and the default user sources; the legitimate requests
# beside them still pass with their body intact.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MIME::Base64 ();
use MAuth::Store;
use MAuth::AttackCred;

attack_plan(22);

my $API = '/ac/enforce/app.cgi';
my $u = attack_users('first');
my $ebody = envelope(headers => [session_header($u->{etok})]);
my $pbody = envelope(headers => [session_header($u->{ptok})]);
my $garbage = 'garbage' . uname('tok');
my $basic = 'Basic ' . MIME::Base64::encode_base64("$u->{enforced}:pw", '');

# attack(HEADERS, BODY) on VHOST
sub attack {
    my ($vhost, $headers, $body) = @_;
    my %soap = soap_headers();
    return ac_request(vhost => $vhost, path => $API, body => $body,
                      content_type => $soap{content_type},
                      headers => [@{ $soap{headers} }, @$headers]);
}

for my $v ($S, $M) {
    my $where = vhost_label($v);

    subtest "$where: Bearer garbage before the enforced user's SessionHeader: the enforced user's requirement applies" => sub {
        assert_enforced_refusal(attack($v, [Authorization => "Bearer $garbage"], $ebody),
                                vhost => $v, format => 'soap');
    };

    subtest "$where: OAuth x before the enforced user's SessionHeader: the enforced user's requirement applies" => sub {
        assert_enforced_refusal(attack($v, [Authorization => 'OAuth x'], $ebody),
                                vhost => $v, format => 'soap');
    };

    subtest "$where: a plain user's valid Bearer token before the enforced user's SessionHeader: 400 (two users)" => sub {
        assert_status(attack($v, [Authorization => "Bearer $u->{ptok}"], $ebody), 400);
    };

    subtest "$where: a plain user's valid OAuth token before the enforced user's SessionHeader: 400 (two users)" => sub {
        assert_status(attack($v, [Authorization => "OAuth $u->{otok}"], $ebody), 400);
    };

    subtest "$where: the enforced user's Bearer token with a plain user's SessionHeader: 400 (two users)" => sub {
        assert_status(attack($v, [Authorization => "Bearer $u->{etok}"], $pbody), 400);
    };

    subtest "$where: the enforced user's token in both the Bearer header and the SessionHeader: refused as that user" => sub {
        assert_enforced_refusal(attack($v, [Authorization => "Bearer $u->{etok}"], $ebody),
                                vhost => $v, format => 'soap');
    };

    subtest "$where: Basic credentials (no r->user here) before the enforced user's SessionHeader: the requirement applies" => sub {
        assert_enforced_refusal(attack($v, [Authorization => $basic], $ebody),
                                vhost => $v, format => 'soap');
    };

    # ---- the legitimate requests beside them
    subtest "$where: legit: the plain user's SessionHeader alone passes, body intact" => sub {
        assert_ok_twin(attack($v, [], $pbody), user => $u->{plain}, enforced => 'false',
                       body => $pbody);
    };

    subtest "$where: legit: the plain user's token in both Bearer and SessionHeader passes, body intact" => sub {
        assert_ok_twin(attack($v, [Authorization => "Bearer $u->{ptok}"], $pbody),
                       user => $u->{plain}, body => $pbody);
    };

    subtest "$where: legit: a plain user's Bearer token with a SOAP body without SessionHeader passes" => sub {
        my $body = envelope();
        assert_ok_twin(attack($v, [Authorization => "Bearer $u->{ptok}"], $body),
                       user => $u->{plain}, body => $body);
    };
}

subtest 'mutual vhost, legit: the enforced user\'s SessionHeader alone with its registered certificate passes' => sub {
    my %soap = soap_headers();
    my $res = ac_request(vhost => $M, path => $API, cert => 'alice', body => $ebody, %soap);
    assert_ok_twin($res, user => $u->{enforced}, enforced => 'true', matched => 'user',
                   body => $ebody);
};

subtest 'mutual vhost, legit: the enforced user\'s token in Bearer and SessionHeader with its certificate passes' => sub {
    my %soap = soap_headers();
    my $res = ac_request(vhost => $M, path => $API, cert => 'alice', body => $ebody,
                         content_type => $soap{content_type},
                         headers => [@{ $soap{headers} }, Authorization => "Bearer $u->{etok}"]);
    assert_ok_twin($res, user => $u->{enforced}, matched => 'user', body => $ebody);
};
