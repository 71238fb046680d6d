# MAuthSOAPPeekLimit: the module reads at most that much of a SOAP body to
# find the SessionHeader, and the handler still gets every byte.  A body
# larger than the limit with SOAP as the only source cannot name its user:
# 413 (the module does not let through what it cannot identify).  With
# another credential after it, that credential decides and the body is
# delivered whole.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use MAuth::Store;

identity_plan(9);

my $M = 'identity_mutual';
my $S = 'identity_standard';
my @xml = (content_type => 'text/xml; charset=UTF-8');
my @soapaction = ('SOAPAction' => '"example"');

my ($enforced, $org) = enforced_user('peek-enforced', certs => ['alice']);
my $plain = new_user($org, uname('peek-plain'));
my $etok = new_session($enforced);
my $ptok = new_session($plain);

sub assert_413 {
    my $res = shift;
    is($res->{status}, 413, 'HTTP status 413') or diag describe($res);
    ok(!id_ran($res->{id}), 'back end did not run');
}

subtest 'body of exactly MAuthSOAPPeekLimit (1024) bytes: read whole, user found, body intact' => sub {
    my $body = soap_envelope(session => $ptok, size => 1024);
    is(length $body, 1024, 'body is 1024 bytes');
    my $res = id_request(vhost => $S, path => '/id/peek/backend.cgi', body => $body, @xml,
                         headers => [@soapaction]);
    assert_passed($res, user => $plain, body => $body);
};

subtest 'body one byte over the limit, SOAP the only source: 413, back end not run' => sub {
    my $body = soap_envelope(session => $ptok, size => 1025);
    my $res = id_request(vhost => $S, path => '/id/peek/backend.cgi', body => $body, @xml,
                         headers => [@soapaction]);
    assert_413($res);
};

subtest 'body far over the limit with the SessionHeader in its first bytes: 413 (by design)' => sub {
    my $body = soap_envelope(session => $etok, size => 200_000);
    my $res = id_request(vhost => $S, path => '/id/peek/backend.cgi', body => $body, @xml,
                         headers => [@soapaction]);
    assert_413($res);
    $res = id_request(vhost => $M, path => '/id/peek/backend.cgi', cert => 'alice',
                      body => $body, @xml, headers => [@soapaction]);
    assert_413($res);
};

subtest 'default limit (64 KiB): a 70 KB SOAP body with only the SOAP source is refused with 413' => sub {
    my $body = soap_envelope(session => $ptok, size => 70_000);
    my $res = id_request(vhost => $S, path => '/id/soap/backend.cgi', body => $body, @xml,
                         headers => [@soapaction]);
    assert_413($res);
};

subtest 'default limit: a 65,000-byte body is read, the user found, the body intact' => sub {
    my $body = soap_envelope(session => $ptok, size => 65_000);
    my $res = id_request(vhost => $S, path => '/id/soap/backend.cgi', body => $body, @xml,
                         headers => [@soapaction]);
    assert_passed($res, user => $plain, body => $body);
};

subtest 'over the limit with a Bearer token too (MAuthUserSource soap bearer): still 413' => sub {
    # the body may name another user than the token: it cannot be left unread
    my $body = soap_envelope(session => $etok, size => 150_000);
    my $res = id_request(vhost => $S, path => '/id/peek-then-bearer/backend.cgi', body => $body,
                         @xml, headers => [@soapaction, Authorization => "Bearer $ptok"]);
    assert_413($res);
    $res = id_request(vhost => $M, path => '/id/peek-then-bearer/backend.cgi', cert => 'alice',
                      body => $body, @xml, headers => [@soapaction, Authorization => "Bearer $etok"]);
    assert_413($res);
};

subtest 'over the limit with neither a SessionHeader nor a token behind it: still 413' => sub {
    my $body = soap_envelope(size => 5000);
    my $res = id_request(vhost => $S, path => '/id/peek-then-bearer/backend.cgi', body => $body,
                         @xml, headers => [@soapaction]);
    assert_413($res);
};

subtest 'a large body that is not XML is read only to see that: back end gets it whole' => sub {
    my $body = join '', map { chr(($_ * 7) % 256) } 0 .. 199_999;
    my $res = id_request(vhost => $S, path => '/id/peek/backend.cgi', body => $body,
                         content_type => 'application/octet-stream');
    assert_declined($res, body => $body);
};

subtest 'a SOAP body within the limit but binary junk after the XML: unreadable, 400' => sub {
    my $body = soap_envelope(session => $etok) . "\x00\x01\x02junk";
    my $res = id_request(vhost => $S, path => '/id/peek/backend.cgi', body => $body, @xml,
                         headers => [@soapaction]);
    assert_refused($res, 400);
};
