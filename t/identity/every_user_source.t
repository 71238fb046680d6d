# Every user source: r->user (mod_auth_basic + mod_authn_file), a session
# token in Authorization: Bearer / OAuth, a named cookie, a named header,
# and the SOAP SessionHeader in the body, whose bytes reach the back end
# unchanged.  Each is shown to name the user twice: an enforced user is
# refused on the standard vhost, a plain user passes with MAUTH_USER.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MIME::Base64 ();
use MAuth::Store;

identity_plan(12);

my $M = 'identity_mutual';
my $S = 'identity_standard';
my @xml = (content_type => 'text/xml; charset=UTF-8');
my @soapaction = ('SOAPAction' => '"example"');

my ($enforced, $org) = enforced_user('src-enforced', certs => ['alice']);
my $plain = new_user($org, uname('src-plain'));
my $etok = new_session($enforced);
my $ptok = new_session($plain);

# both(NAME, PATH, [enforced user's request], [plain user's request]): the
# enforced user is refused on the standard vhost (the SOAP fault when the
# request carries SOAPAction, else the JSON error), the plain one passes
# (with its body intact when it sent one).
sub both {
    my ($what, $path, $enf, $pl) = @_;
    my %e = @$enf;
    my %p = @$pl;
    my $soap = grep { $_ eq 'SOAPAction' } @{ $e{headers} || [] };
    my $res = id_request(vhost => $S, path => $path, %e);
    assert_fault($res, format => $soap ? 'soap' : 'json');
    $res = id_request(vhost => $S, path => $path, %p);
    assert_passed($res, user => $plain, org => $org, enforced => 'false',
                  (defined $p{body} ? (body => $p{body}) : ()));
    return $res;
}

subtest 'Authorization: Bearer' => sub {
    both('bearer', '/id/enforce/backend.cgi',
         [headers => [Authorization => "Bearer $etok"]],
         [headers => [Authorization => "Bearer $ptok"]]);
};

subtest 'Authorization: OAuth (Salesforce\'s scheme)' => sub {
    both('oauth', '/id/enforce/backend.cgi',
         [headers => [Authorization => "OAuth $etok"]],
         [headers => [Authorization => "OAuth $ptok"]]);
};

subtest 'authorization scheme names are case-insensitive' => sub {
    both('bearer-lc', '/id/enforce/backend.cgi',
         [headers => [Authorization => "bearer $etok"]],
         [headers => [Authorization => "OAUTH $ptok"]]);
};

subtest 'cookie:MAUTHSID among other cookies' => sub {
    both('cookie', '/id/cookie/backend.cgi',
         [headers => [Cookie => "a=1; MAUTHSID=$etok; b=2"]],
         [headers => [Cookie => "MAUTHSID=\"$ptok\"; other=x"]]);
    # the same token under another cookie name is not a credential there
    my $res = id_request(vhost => $S, path => '/id/cookie/backend.cgi',
                         headers => [Cookie => "XMAUTHSID=$etok; MAUTHSIDX=$etok"]);
    assert_declined($res);
};

subtest 'header:X-MAuth-Session' => sub {
    both('header', '/id/header/backend.cgi',
         [headers => ['X-MAuth-Session' => $etok]],
         [headers => ['X-MAuth-Session' => $ptok]]);
    # a Bearer token is not looked at where only the header is configured
    my $res = id_request(vhost => $S, path => '/id/header/backend.cgi',
                         headers => [Authorization => "Bearer $etok"]);
    assert_declined($res);
};

subtest 'SOAP SessionHeader in the body: the back end receives the identical body' => sub {
    my $ebody = soap_envelope(session => $etok, size => 5000);
    my $pbody = soap_envelope(session => $ptok, size => 5000);
    both('soap', '/id/soap/backend.cgi',
         [body => $ebody, @xml, headers => [@soapaction]],
         [body => $pbody, @xml, headers => [@soapaction]]);
};

subtest 'SOAP SessionHeader at the default sources (user bearer oauth soap), text/xml without SOAPAction' => sub {
    my $pbody = soap_envelope(session => $ptok);
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi', body => $pbody, @xml);
    assert_passed($res, user => $plain, body => $pbody);
    $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi',
                      body => soap_envelope(session => $etok), @xml);
    assert_fault($res, format => 'soap');
};

subtest 'SOAP body on the mutual vhost with the registered certificate: 200, identical body' => sub {
    my $body = soap_envelope(session => $etok, size => 40000);
    my $res = id_request(vhost => $M, path => '/id/soap/backend.cgi', cert => 'alice',
                         body => $body, @xml, headers => [@soapaction]);
    assert_passed($res, user => $enforced, matched => 'user', body => $body);
};

subtest 'every credential counts, known or not (MAuthUserSource bearer cookie:MAUTHSID)' => sub {
    # an unknown Bearer first does not hide the enforced user's cookie
    my $res = id_request(vhost => $S, path => '/id/order/backend.cgi',
                         headers => [Authorization => 'Bearer ' . uname('unknown'),
                                     Cookie => "MAUTHSID=$etok"]);
    assert_fault($res, format => 'json');
    # the cookie alone
    $res = id_request(vhost => $S, path => '/id/order/backend.cgi',
                      headers => [Cookie => "MAUTHSID=$etok"]);
    assert_fault($res, format => 'json');
    # the plain user's Bearer beside the enforced user's cookie: two users
    $res = id_request(vhost => $S, path => '/id/order/backend.cgi',
                      headers => [Authorization => "Bearer $ptok", Cookie => "MAUTHSID=$etok"]);
    assert_refused($res, 400);
    # both credentials of the plain user: one user
    $res = id_request(vhost => $S, path => '/id/order/backend.cgi',
                      headers => [Authorization => "Bearer $ptok", Cookie => "MAUTHSID=$ptok"]);
    assert_passed($res, user => $plain);
};

subtest 'a Bearer token and a SOAP SessionHeader naming different users: 400' => sub {
    my $body = soap_envelope(session => $etok);
    my $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi', body => $body, @xml,
                         headers => [@soapaction, Authorization => "Bearer $ptok"]);
    assert_refused($res, 400);
    # the same user in both: that user's rule
    $res = id_request(vhost => $S, path => '/id/enforce/backend.cgi', body => $body, @xml,
                      headers => [@soapaction, Authorization => "Bearer $etok"]);
    assert_fault($res, format => 'soap');
};

subtest 'r->user from mod_auth_basic + mod_authn_file' => sub {
    plan skip_all => 'mod_auth_basic/mod_authn_file/mod_authz_user not available'
        unless basic_auth_available();
    my $stranger = uname('basic-stranger');
    write_htpasswd($enforced => 'pw-e', $plain => 'pw-p', $stranger => 'pw-s');
    my $basic = sub { 'Basic ' . MIME::Base64::encode_base64("$_[0]:$_[1]", '') };
    my $res = id_request(vhost => $S, path => '/id/basic/backend.cgi',
                         headers => [Authorization => $basic->($enforced, 'pw-e')]);
    assert_fault($res, format => 'json');
    $res = id_request(vhost => $S, path => '/id/basic/backend.cgi',
                      headers => [Authorization => $basic->($plain, 'pw-p')]);
    assert_passed($res, user => $plain, enforced => 'false');
    is($res->{env}->{REMOTE_USER}, $plain, 'REMOTE_USER is the same user');
    # the enforced user on the mutual vhost with the registered certificate
    $res = id_request(vhost => $M, path => '/id/basic/backend.cgi', cert => 'alice',
                      headers => [Authorization => $basic->($enforced, 'pw-e')]);
    assert_passed($res, user => $enforced, matched => 'user');
    # a user the password file knows and the store does not: declined
    $res = id_request(vhost => $S, path => '/id/basic/backend.cgi',
                      headers => [Authorization => $basic->($stranger, 'pw-s')]);
    assert_declined($res);
    is($res->{env}->{REMOTE_USER}, $stranger, 'REMOTE_USER still set by mod_auth_basic');
    # a wrong password: mod_auth_basic refuses, the module has nothing to say
    $res = id_request(vhost => $S, path => '/id/basic/backend.cgi',
                      headers => [Authorization => $basic->($plain, 'wrong')]);
    is($res->{status}, 401, 'wrong password: 401 from mod_auth_basic');
    ok(!id_ran($res->{id}), 'back end did not run');
};

subtest 'a token with spaces cannot be read for certain: 400, not looked up' => sub {
    my $res = id_request(vhost => $S, path => '/id/header/backend.cgi',
                         headers => ['X-MAuth-Session' => "$etok x"]);
    assert_refused($res, 400);
};
