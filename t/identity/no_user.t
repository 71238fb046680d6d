# No user could be determined (no credential, an unknown, missing or
# expired session, malformed XML, XML without a SessionHeader): the module
# declines and the application answers.  It never grants what the
# application would refuse, and never names a user.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(11);

my $M = 'identity_mutual';
my $S = 'identity_standard';
my $API = '/id/enforce/backend.cgi';
my @xml = (content_type => 'text/xml; charset=UTF-8');
my @soapaction = ('SOAPAction' => '"example"');

subtest 'no credential at all, mutual vhost, no certificate: the application answers' => sub {
    my $res = id_request(vhost => $M, path => $API);
    assert_declined($res);
};

subtest 'no credential at all, mutual vhost, with a certificate: the application answers' => sub {
    my $res = id_request(vhost => $M, path => $API, cert => 'alice');
    assert_declined($res);
};

subtest 'no credential at all, standard vhost: the application answers' => sub {
    my $res = id_request(vhost => $S, path => $API);
    assert_declined($res);
};

subtest 'unknown (missing) session token: the application answers' => sub {
    my $res = id_request(vhost => $S, path => $API,
                         headers => [Authorization => 'Bearer ' . uname('no-such-session')]);
    assert_declined($res);
};

subtest 'session of a deleted user is missing: the application answers' => sub {
    my ($user) = enforced_user('deleted');
    my $tok = new_session($user);
    sql("DELETE FROM mauth_session WHERE token = '$tok'");
    my $res = id_request(vhost => $S, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_declined($res);
};

subtest 'expired session (created already expired): the application answers' => sub {
    my ($user) = enforced_user('expired-neg');
    my $tok = new_session($user, ttl => -60);
    my $res = id_request(vhost => $S, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_declined($res);
    $res = id_request(vhost => $M, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_declined($res);
};

subtest 'session created with --ttl 2 is honoured, then expires: refused, later declined' => sub {
    my ($user) = enforced_user('expired-ttl');
    my $tok = new_session($user, ttl => 2);
    my $res = id_request(vhost => $S, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_fault($res, format => 'json');
    # expiry (2 s, whole seconds) plus the cached answer's lifetime (1 s)
    Time::HiRes::sleep(4.2);
    $res = id_request(vhost => $S, path => $API, headers => [Authorization => "Bearer $tok"]);
    assert_declined($res);
};

subtest 'malformed XML: a credential may be in it, so 400 and the application never runs' => sub {
    my ($user) = enforced_user('malformed');
    my $tok = new_session($user);
    my $body = soap_envelope(session => $tok);
    $body =~ s{</soapenv:Envelope>}{</soapenv:Envelop>};
    my $res = id_request(vhost => $S, path => $API, body => $body, @xml,
                         headers => [@soapaction]);
    assert_refused($res, 400);
    $res = id_request(vhost => $S, path => $API, body => "<<<not xml at all \x00\xff", @xml,
                      headers => [@soapaction]);
    assert_refused($res, 400);
};

subtest 'well-formed XML without a SessionHeader: the application answers, body intact' => sub {
    my $body = soap_envelope();
    my $res = id_request(vhost => $S, path => $API, body => $body, @xml, headers => [@soapaction]);
    assert_declined($res, body => $body);
};

subtest 'a sessionId anywhere in the XML counts: an application may look for it there' => sub {
    my ($user) = enforced_user('misplaced');
    my $tok = new_session($user);
    my $in_body = soap_envelope();
    $in_body =~ s{<urn:getUserInfo />}{<urn:SessionHeader><urn:sessionId>$tok</urn:sessionId></urn:SessionHeader>};
    my $res = id_request(vhost => $S, path => $API, body => $in_body, @xml, headers => [@soapaction]);
    assert_fault($res, format => 'soap');
    my $other_root = qq{<?xml version="1.0"?><Other><Header><SessionHeader>}
                   . qq{<sessionId>$tok</sessionId></SessionHeader></Header></Other>};
    $res = id_request(vhost => $S, path => $API, body => $other_root, @xml, headers => [@soapaction]);
    assert_fault($res, format => 'soap');
};

subtest 'declining never grants what the application refuses (basic auth still asks)' => sub {
    plan skip_all => 'mod_auth_basic/mod_authn_file/mod_authz_user not available'
        unless basic_auth_available();
    my $res = id_request(vhost => $S, path => '/id/basic/backend.cgi');
    is($res->{status}, 401, 'mod_auth_basic\'s 401 stands') or diag describe($res);
    like($res->{headers}->{'www-authenticate'} // '', qr/^Basic/, 'WWW-Authenticate: Basic');
    ok(!id_ran($res->{id}), 'back end did not run');
};
