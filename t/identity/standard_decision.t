# The decision table's rows on the STANDARD vhost (port 443 in the seeds):
# an enforced user is refused, there is no fallback.  SOAP clients get the
# seed's sf:MUTUAL_AUTHENTICATION_FAILED fault (500, text/xml), REST clients
# the JSON error (401); MAuthFaultFormat picks per location.  The login
# location (no MAuthEnforce) works for everybody.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(13);

my $S = 'identity_standard';

my ($enforced, $org) = enforced_user('std-enforced', certs => ['alice']);
my $tok = new_session($enforced);
my $soap = soap_envelope(session => $tok);
my @soap_headers = ('SOAPAction' => '"example"');

subtest 'enforced user, SOAP request (SOAPAction, text/xml): 500 with the seed\'s fault' => sub {
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi', body => $soap,
                         content_type => 'text/xml; charset=UTF-8', headers => [@soap_headers]);
    assert_fault($res, format => 'soap');
};

subtest 'enforced user, SOAP session in a Bearer header with SOAPAction: the SOAP fault' => sub {
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                         body => soap_envelope(), content_type => 'text/xml; charset=UTF-8',
                         headers => ['SOAPAction' => '""', Authorization => "Bearer $tok"]);
    assert_fault($res, format => 'soap');
};

subtest 'auto: an XML content type alone (application/soap+xml) picks the SOAP fault' => sub {
    my $res = id_request(vhost => $S, path => '/id/auto/backend.cgi',
                         body => soap_envelope(session => $tok),
                         content_type => 'application/soap+xml; charset=UTF-8');
    assert_fault($res, format => 'soap');
};

subtest 'enforced user, REST request (GET, Bearer): 401 with the JSON error' => sub {
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                         headers => [Authorization => "Bearer $tok", Accept => 'application/json']);
    assert_fault($res, format => 'json');
};

subtest 'enforced user, REST request (POST JSON, OAuth): 401 with the JSON error' => sub {
    my $res = id_request(vhost => $S, path => '/id/auto/backend.cgi', body => '{"a":1}',
                         content_type => 'application/json', headers => [Authorization => "OAuth $tok"]);
    assert_fault($res, format => 'json');
};

subtest 'MAuthFaultFormat soap: a REST-looking request still gets the SOAP fault' => sub {
    my $res = id_request(vhost => $S, path => '/id/soapfault/backend.cgi',
                         headers => [Authorization => "Bearer $tok"]);
    assert_fault($res, format => 'soap');
};

subtest 'MAuthFaultFormat json: a SOAP request still gets the JSON error' => sub {
    my $res = id_request(vhost => $S, path => '/id/json/backend.cgi', body => $soap,
                         content_type => 'text/xml; charset=UTF-8', headers => [@soap_headers]);
    assert_fault($res, format => 'json');
};

subtest 'HEAD by an enforced user: the fault\'s status, no body' => sub {
    my ($sock, $err) = MAuth::Test::open_tls(vhost => $S);
    ok($sock, 'connected') or return diag $err;
    my $port = $sock->peerport;
    print $sock "HEAD /id/enforce/backend.cgi HTTP/1.1\r\nHost: localhost:$port\r\n"
              . "Authorization: Bearer $tok\r\nConnection: close\r\n\r\n";
    my $res = MAuth::Test::read_response($sock, 1);
    is($res->{status}, 401, 'HTTP status 401');
    my $rest = '';
    while ($sock->sysread(my $buf, 4096)) { $rest .= $buf }
    is(${*$sock}{mauth_buf} . $rest, '', 'no body after the headers');
};

subtest 'enforced through a profile on the standard vhost: refused too' => sub {
    my $org2 = new_org(uname('org-std-profile'));
    my $profile = new_profile($org2, uname('MutualAuthProfile'), grant => 1);
    my $user = new_user($org2, uname('std-viaprofile'), profiles => [$profile]);
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                         headers => [Authorization => 'Bearer ' . new_session($user)]);
    assert_fault($res, format => 'json');
};

subtest 'login location (no MAuthEnforce) works for an enforced user on the standard vhost' => sub {
    my $login = qq{<?xml version="1.0" encoding="utf-8" ?>\n}
              . qq{<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"\n}
              . qq{ xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n}
              . qq{ xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">\n}
              . qq{  <env:Body>\n    <n1:login xmlns:n1="urn:partner.soap.sforce.com">\n}
              . qq{      <n1:username>$enforced</n1:username>\n}
              . qq{      <n1:password>p455w0rd</n1:password>\n}
              . qq{    </n1:login>\n  </env:Body>\n</env:Envelope>\n};
    my $res = id_request(vhost => $S, path => '/id/login/backend.cgi', body => $login,
                         content_type => 'text/xml; charset=UTF-8',
                         headers => ['SOAPAction' => 'login']);
    assert_passed($res, body => $login);
    # and even with the enforced user's session attached
    $res = id_request(vhost => $S, path => '/id/login/backend.cgi', body => $soap,
                      content_type => 'text/xml; charset=UTF-8', headers => [@soap_headers]);
    assert_passed($res, body => $soap);
    ok(!exists $res->{env}->{MAUTH_USER}, 'no identity lookup happened here (no MAUTH_USER)');
};

subtest 'user without the permission on the standard vhost: 200' => sub {
    my $org2 = new_org(uname('org-std-plain'));
    my $user = new_user($org2, uname('std-plain'));
    my $t = new_session($user);
    my $body = soap_envelope(session => $t);
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi', body => $body,
                         content_type => 'text/xml; charset=UTF-8', headers => [@soap_headers]);
    assert_passed($res, user => $user, org => $org2, enforced => 'false', body => $body);
};

subtest 'user with the permission but the organisation switch off on the standard vhost: 200' => sub {
    my ($user, $org2) = enforced_user('std-switchoff', enabled => 0);
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                         headers => [Authorization => 'Bearer ' . new_session($user)]);
    assert_passed($res, user => $user, org => $org2, enforced => 'false');
};

subtest 'the same enforced session passes on the mutual vhost with its certificate (no fallback, but no lockout)' => sub {
    my $res = id_request(vhost => 'identity_mutual', path => '/id/enforce/backend.cgi',
                         cert => 'alice', body => $soap, content_type => 'text/xml; charset=UTF-8',
                         headers => [@soap_headers]);
    assert_passed($res, user => $enforced, enforced => 'true', matched => 'user', body => $soap);
};
